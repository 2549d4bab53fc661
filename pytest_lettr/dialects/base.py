"""What both dialects share: routes, the per-request context, JSON parsing and the check order.

A dialect lists :class:`Route` objects; :meth:`Dialect.handle` matches one with werkzeug's
``Map``, runs the checks in the documented order (key → revoked → expired → IP → rate limit →
permission → validation → action) and renders domain errors in the dialect's envelope.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import ClientDisconnected, RequestEntityTooLarge
from werkzeug.wrappers import Request, Response

from .. import access, errors
from ..permissions import normalise_ip
from ..state import Account, Actor, ApiKey
from ..state.keys import contains_key, mask_keys
from ..state.limits import IdempotentResponse, RateLimitStatus
from . import routing
from .common import MAX_IDEMPOTENCY_KEY
from .routing import Router

if TYPE_CHECKING:
    from ..server import ServerOptions

MAX_BODY_BYTES = 10 * 1024 * 1024
MAX_JSON_DEPTH = 64
JSON_CONTENT_TYPES = ("application/json",)

Handler = Callable[["Call"], "Reply"]


@dataclass(frozen=True)
class Route:
    """One endpoint: ``permission`` is the atomic permission checked, ``scope`` the name errors show."""

    method: str
    path: str
    handler: Handler
    permission: str | None
    scope: str | None = None
    authenticated: bool = True
    write: bool = False  # refused for sandbox keys (current API)
    #: A top-level response field holding a secret shown once (``key``): an idempotent replay
    #: leaves it out, so the server never keeps it in the clear.
    secret_field: str | None = None


@dataclass
class Reply:
    """What a handler returns: a status, a JSON-able body and extra headers."""

    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Call:
    """Everything a handler needs about the request it serves."""

    request: Request
    account: Account
    options: ServerOptions
    route: Route
    args: dict[str, str]
    key: ApiKey | None = None
    actor: Actor = field(default_factory=Actor.system)
    rate_limit: RateLimitStatus | None = None
    #: Per-request scratch space for a dialect's hooks (e.g. what ``after_auth`` measured).
    extra: dict[str, Any] = field(default_factory=dict)
    _body: Any = None
    _parsed: bool = False

    @property
    def query(self) -> MultiDict[str, str]:
        return self.request.args

    def json(self) -> dict[str, Any]:
        """The body as a JSON object (empty body → ``{}``); raises the dialect's 400/413/415."""
        if not self._parsed:
            self._body = parse_json_object(self.request)
            self._parsed = True
        return self._body  # type: ignore[no-any-return]


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name, value in pairs:
        if name in result:
            raise errors.InvalidJson(f"Duplicate key '{name}' in JSON object")
        result[name] = value
    return result


def _reject_constant(name: str) -> Any:
    raise errors.InvalidJson(f"'{name}' is not valid JSON")


#: Digits past which an integer literal may exceed the largest double (1.8e308 has 309 digits).
_DOUBLE_DIGITS = 309


def _holds_non_finite(value: Any) -> bool:
    """Whether a parsed JSON value holds a number no double can: an infinite float (``1e400``) or
    an integer past the largest double. Visits the parsed value, not the text (a 20 KB HTML body
    is a handful of values but 20,000 characters)."""
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is dict:
            stack.extend(item.values())
        elif kind is list:
            stack.extend(item)
        elif kind is float:
            if math.isinf(item):
                return True
        elif kind is int and not -_DOUBLE_INT < item < _DOUBLE_INT:
            try:
                float(item)
            except OverflowError:
                return True
    return False


#: Integers below this always fit a double (2**1023); those past it are checked one by one.
_DOUBLE_INT = 2 ** 1023


def _not_finite(literal: str) -> errors.InvalidJson:
    shown = literal if len(literal) <= 24 else f"{literal[:12]}...({len(literal)} characters)"
    return errors.InvalidJson(f"The number {shown} is beyond the range of a double: numbers must be finite")


def _finite_float(literal: str) -> float:
    """A JSON fraction or exponent (``1.5``, ``1e400``): refused when it is ±infinity as a double."""
    value = float(literal)
    if math.isinf(value):
        raise _not_finite(literal)
    return value


def _finite_int(literal: str) -> int:
    """A JSON integer: refused when no double holds it (another client would read it as infinity)."""
    if len(literal.lstrip("-")) < _DOUBLE_DIGITS:
        return int(literal)
    try:
        value = int(literal)  # ValueError past Python's 4300-digit limit
        float(value)
    except (ValueError, OverflowError):
        raise _not_finite(literal) from None
    return value


def _nesting(value: Any) -> int:
    """How deep containers nest in a parsed JSON value (``{"a": [1]}`` is 2); visits containers only."""
    deepest = 0
    stack = [(value, 1)] if isinstance(value, dict | list) else []
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        for child in item.values() if isinstance(item, dict) else item:
            if isinstance(child, dict | list):
                stack.append((child, depth + 1))
    return deepest


def raw_body(request: Request) -> bytes:
    """The body, refused past 10 MiB before it is read when its length is declared."""
    too_large = errors.PayloadTooLarge(f"Request body exceeds the limit of {MAX_BODY_BYTES} bytes")
    declared = request.content_length
    if declared is not None and declared > MAX_BODY_BYTES:  # refuse before reading it
        raise too_large
    try:
        raw = request.get_data(cache=True)
    except RequestEntityTooLarge:  # a chunked body past the server's own limit
        raise too_large from None
    except (OSError, ValueError, ClientDisconnected):  # malformed chunks, or the client went away
        raise errors.InvalidJson("Request body could not be read (broken chunked encoding?)") from None
    if len(raw) > MAX_BODY_BYTES:
        raise too_large
    return raw


def _decode_json(raw: bytes) -> Any:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise errors.InvalidJson("Request body is not valid UTF-8") from None
    try:
        try:  # the common case keeps json's C number parsing
            value = json.loads(text, object_pairs_hook=_reject_duplicates, parse_constant=_reject_constant)
        except errors.InvalidJson:
            raise
        except ValueError:  # malformed, or an integer past Python's digit limit: the careful parse says
            pass
        else:
            if not _holds_non_finite(value):
                return value
        return json.loads(text, object_pairs_hook=_reject_duplicates, parse_constant=_reject_constant,
                          parse_float=_finite_float, parse_int=_finite_int)
    except errors.InvalidJson:
        raise
    except RecursionError:
        raise _too_deep() from None
    except ValueError as exc:
        raise errors.InvalidJson(f"Request body is not valid JSON: {exc}") from None


def _too_deep() -> errors.InvalidJson:
    return errors.InvalidJson(f"JSON nesting is deeper than {MAX_JSON_DEPTH} levels")


def parse_json_object(request: Request) -> dict[str, Any]:
    """Parse the body as one JSON object: 413 over 10 MiB, 415 if not JSON, 400 if malformed."""
    raw = raw_body(request)
    if not raw.strip():
        return {}
    if request.mimetype not in JSON_CONTENT_TYPES and not request.mimetype.endswith("+json"):
        raise errors.UnsupportedMediaType("Content-Type must be application/json")
    body = _decode_json(raw)
    # Counting brackets is a C-speed upper bound on the depth; walk the parsed value only past it.
    if raw.count(b"[") + raw.count(b"{") > MAX_JSON_DEPTH and _nesting(body) > MAX_JSON_DEPTH:
        raise _too_deep()
    if not isinstance(body, dict):
        raise errors.InvalidJson("Request body must be a JSON object")
    if _ESCAPED_SURROGATE.search(raw) and _has_lone_surrogate(body):
        raise errors.InvalidJson("Request body holds an unpaired UTF-16 surrogate escape, which is no character")
    return body


#: ``\uD800`` to ``\uDFFF`` escapes: json.loads joins valid pairs and keeps lone ones, which no UTF-8 can hold.
_ESCAPED_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]")


def _has_lone_surrogate(body: dict[str, Any]) -> bool:
    try:
        json.dumps(body, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _readable_body(request: Request) -> bool:
    """Whether the body can be read and is within the limit (so it may be fingerprinted)."""
    declared = request.content_length
    if declared is not None and declared > MAX_BODY_BYTES:
        return False
    try:
        return len(request.get_data(cache=True)) <= MAX_BODY_BYTES
    except (OSError, ValueError, ClientDisconnected, RequestEntityTooLarge):
        return False


def bearer_token(request: Request) -> str | None:
    """The key from ``Authorization: Bearer <key>``; raises Unauthorized when malformed or doubled."""
    value = request.headers.get("Authorization")
    if value is None:
        return None
    if "," in value:  # WSGI servers join repeated headers with commas; no key contains one
        raise errors.Unauthorized("Send exactly one Authorization header", key_prefix=None, key_length=0)
    scheme, _, token = value.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise errors.Unauthorized("Authorization header must be 'Bearer <API key>'", key_prefix=None,
                                  key_length=0)
    return token.strip()


def _request_token(request: Request) -> str | None:
    """The bearer token; a key anywhere in the query string — a parameter's name or value, or a
    token of one (``?le_…=1``, ``?q=Bearer le_…``) — is refused (it would end up in logs)."""
    args = request.args
    if "api_key" in args or any(contains_key(name) or any(contains_key(v) for v in args.getlist(name))
                                for name in args):
        raise errors.Unauthorized("API keys are never accepted in the query string; "
                                  "send 'Authorization: Bearer <key>'", key_prefix=None, key_length=0)
    return bearer_token(request)


def client_ip(request: Request, trust_forwarded_for: bool) -> str | None:
    """The socket peer, or the first ``X-Forwarded-For`` entry when the server trusts it, normalised
    (``2001:DB8::0005`` → ``2001:db8::5``).

    A trusted header whose first entry is not, as a whole, an IP address (``10.0.0.1:8080``,
    ``203.0.113.5%eth0``: a zone id belongs to IPv6 link-local addresses only) gives ``None``
    (unknown): it then passes no IP restriction, and its text never reaches the audit log.
    """
    if trust_forwarded_for:
        first = request.headers.get("X-Forwarded-For", "").split(",")[0].strip()
        if first:
            return normalise_ip(first)
    peer = request.remote_addr
    return peer if peer is None else normalise_ip(peer) or peer


def rate_limit_headers(status: RateLimitStatus) -> dict[str, str]:
    """The ``X-RateLimit-*`` headers both dialects send for a rate-limit window."""
    return {"X-RateLimit-Limit": str(status.limit), "X-RateLimit-Remaining": str(status.remaining),
            "X-RateLimit-Reset": str(status.reset)}


class Dialect:
    """Routing and the check order; subclasses render envelopes and add their own rules."""

    prefix = ""

    def __init__(self, routes: Iterable[Route]) -> None:
        self.routes: list[Route] = list(routes)
        self._router = Router((route.method, self.prefix + route.path) for route in self.routes)

    def match(self, path: str, method: str) -> tuple[Route, dict[str, str]]:
        """The route serving ``method path`` (with the prefix) and its arguments; raises
        :class:`~pytest_lettr.dialects.routing.NoRoute` or ``routing.MethodNotAllowed``."""
        index, args = self._router.match(path, method)
        return self.routes[index], args

    # -- hooks for subclasses -----------------------------------------------------------------
    def render(self, call: Call | None, reply: Reply) -> Response:
        raise NotImplementedError

    def render_error(self, call: Call | None, error: errors.LettrError) -> Response:
        raise NotImplementedError

    def intake_checks(self, call: Call, key: ApiKey) -> None:
        """This dialect's own checks between the IP check and the rate limit (sandbox rules, quotas)."""

    def response_headers(self, call: Call) -> dict[str, str]:
        return {} if call.rate_limit is None else rate_limit_headers(call.rate_limit)

    # -- the pipeline -------------------------------------------------------------------------
    def handle(self, request: Request, account: Account, options: ServerOptions) -> Response:
        try:
            route, args = self.match(request.path, request.method)
        except routing.MethodNotAllowed as exc:
            allowed = ", ".join(exc.allowed)
            response = self.render_error(None, errors.MethodNotAllowed(
                f"Method {request.method} not allowed on {request.path}; use {allowed}"))
            response.headers["Allow"] = allowed
            return response
        except routing.NoRoute:
            return self.render_error(None, errors.NotFound(f"No such endpoint: {request.method} "
                                                           f"{request.path}"))
        call = Call(request, account, options, route, args)
        account.tick()
        try:
            self.authorize(call)
            return self.run(call)
        except errors.LettrError as error:
            if call.key is not None:  # a refusal of the handler (a key more powerful than the caller, say)
                access.audit_refusal(account, call.actor, call.key, error, self.audit_context(call))
            response = self.render_error(call, error)
            response.headers.extend(self.response_headers(call))
            return response

    @staticmethod
    def audit_context(call: Call) -> dict[str, str]:
        """What an ``auth.*`` audit entry records of the request (a key in the path masked)."""
        return {"method": call.request.method, "path": mask_keys(call.request.path)}

    def authorize(self, call: Call) -> None:
        """The shared access check (:func:`pytest_lettr.access.authorize`) for this request."""
        request = call.request
        ip = client_ip(request, call.options.trust_forwarded_for)
        user_agent = request.headers.get("User-Agent")
        call.actor = access.anonymous(ip, user_agent)
        if not call.route.authenticated:
            return
        try:
            token = _request_token(request)
        except errors.Unauthorized as error:
            access.audit_refusal(call.account, call.actor, None, error, self.audit_context(call))
            raise
        try:
            granted = access.authorize(call.account, token, client_ip=ip, user_agent=user_agent,
                                       permission=call.route.permission, scope=call.route.scope,
                                       intake_checks=lambda key: self.intake_checks(call, key),
                                       context=self.audit_context(call))
        except errors.LettrError as error:  # a refusal still reports the rate-limit window
            call.rate_limit = call.rate_limit or error.extra.get("rate_limit")
            raise
        call.key, call.actor, call.rate_limit = granted.key, granted.actor, granted.rate_limit

    def run(self, call: Call) -> Response:
        """Call the handler; a POST with an ``Idempotency-Key`` is answered once and replayed after."""
        idem_key = call.request.headers.get("Idempotency-Key")
        if call.request.method != "POST" or not idem_key or call.key is None or not _readable_body(call.request):
            return self._finish(call, call.route.handler(call))  # (an unreadable body gets its 4xx there)
        if len(idem_key) > MAX_IDEMPOTENCY_KEY:
            raise errors.InvalidParameter(f"Idempotency-Key must be at most {MAX_IDEMPOTENCY_KEY} characters",
                                          param="Idempotency-Key")
        scope = (call.key.id, self.prefix, idem_key)
        fingerprint = call.account.idempotency.fingerprint(
            call.request.method, call.request.path, call.request.get_data(cache=True))
        stored = call.account.idempotency.begin(scope, fingerprint)
        response = self._replay(stored) if stored is not None else self._run_once(call, scope)
        response.headers.extend(self.response_headers(call))
        return response

    @staticmethod
    def _replay(stored: IdempotentResponse) -> Response:
        replay = Response(stored.body, status=stored.status, headers=stored.headers)
        replay.headers["Idempotency-Replayed"] = "true"
        return replay

    def _run_once(self, call: Call, scope: tuple[str, str, str]) -> Response:
        """The first request of an idempotency key: its answer (success or error) is kept."""
        try:
            response = self._finish(call, call.route.handler(call))
        except errors.LettrError as error:
            response = self.render_error(call, error)
        except BaseException:
            call.account.idempotency.abandon(scope)
            raise
        call.account.idempotency.finish(scope, response.status_code, [
            (k, v) for k, v in response.headers.items() if k.lower() in ("content-type", "location")
        ], _without_secret(response.get_data(), call.route.secret_field))
        return response

    def _finish(self, call: Call, reply: Reply) -> Response:
        response = self.render(call, reply)
        if not call.request.headers.get("Idempotency-Key"):
            response.headers.extend(self.response_headers(call))
        return response


def _without_secret(raw: bytes, field_name: str | None) -> bytes:
    """A response body as the idempotency store keeps it: minus its one-time secret, if any."""
    if field_name is None:
        return raw
    try:
        body = json.loads(raw)
    except ValueError:
        return raw
    if not isinstance(body, dict) or field_name not in body:
        return raw
    del body[field_name]
    return dump_json(body)


def dump_json(body: Any) -> bytes:
    """Compact UTF-8 JSON, the way every response body is written; never ``NaN`` or ``Infinity``,
    which are not JSON (a non-finite number here is a bug of the fake, answered 500)."""
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(dump_json(body), status=status, headers=headers, content_type="application/json")
