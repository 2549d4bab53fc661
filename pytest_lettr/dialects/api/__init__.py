"""The current Lettr API (``/api/...``), the one the official ``lettr`` SDK speaks.

    client = lettr.Lettr(lettr_server.create_key(mode="api").key, base_url=lettr_server.api_url)
    client.emails.send(from_email="app@example.com", to=["ada@example.com"], subject="Hi", html="<p>Hi</p>")
    lettr_server.assert_sent(to="ada@example.com")

Each resource module lists its ``ROUTES``; :class:`ApiDialect` adds what is particular to this
API: its 401 bodies, sandbox keys (403 ``sandbox_restricted`` on writes, their own rate limits),
the free plan's quota headers, and 422 for a malformed ``Idempotency-Key``.
"""

from __future__ import annotations

import re
from functools import cache
from itertools import chain

from werkzeug.wrappers import Response

from ... import errors
from ...errors import ValidationFailed
from ...spec import load_openapi
from ...state import ApiKey
from ..base import Call, Dialect, Reply, json_response, raw_body
from ..common import MAX_IDEMPOTENCY_KEY
from . import audience, audience_contacts, campaigns, domains, emails, system, templates, webhooks
from .wire import error_response, quota_headers, sandbox_headers

MODULES = (system, emails, domains, templates, webhooks, audience, audience_contacts, campaigns)
#: Routes whose responses carry the free plan's ``X-Monthly-*`` / ``X-Daily-*`` headers.
QUOTA_ROUTES = frozenset({("POST", "/emails"), ("POST", "/emails/scheduled")})
IDEMPOTENCY_KEY_RE = re.compile(rf"\A[A-Za-z0-9._-]{{1,{MAX_IDEMPOTENCY_KEY}}}\Z")
#: A path parameter, in the spec (``{webhookId}``) or in a route (``<webhook_id>``).
_PARAMETER = re.compile(r"\{[^}]*\}|<[^>]*>")


@cache
def operations_with_a_body() -> frozenset[tuple[str, str]]:
    """``(METHOD, path)`` of every operation whose request body the spec marks required, with
    each path parameter written ``{}`` (``("PUT", "/webhooks/{}")``)."""
    return frozenset((method.upper(), _PARAMETER.sub("{}", path))
                     for path, operations in load_openapi()["paths"].items()
                     for method, operation in operations.items()
                     if isinstance(operation, dict) and (operation.get("requestBody") or {}).get("required"))


class ApiDialect(Dialect):
    """Serves ``/api``: ``{"message", "data"}`` bodies, ``{"message", "error_code"}`` errors."""

    prefix = "/api"

    def __init__(self) -> None:
        super().__init__(chain.from_iterable(module.ROUTES for module in MODULES))
        with_a_body = operations_with_a_body()
        self._needs_body = {(route.method, route.path) for route in self.routes
                            if (route.method, _PARAMETER.sub("{}", route.path)) in with_a_body}

    def run(self, call: Call) -> Response:
        """A write whose spec requires a body refuses a request without one (a ``PUT`` with no body
        would otherwise be a silent no-op); ``{}`` is a body."""
        if (call.route.method, call.route.path) in self._needs_body and not raw_body(call.request).strip():
            raise ValidationFailed({"body": ["The request body is required."]})
        return super().run(call)

    def render(self, call: Call | None, reply: Reply) -> Response:
        if reply.status == 204:
            return Response(status=204, headers=reply.headers)
        return json_response(reply.status, reply.body, reply.headers)

    def render_error(self, call: Call | None, error: errors.LettrError) -> Response:
        return error_response(error, None if call is None else call.route.path)

    def intake_checks(self, call: Call, key: ApiKey) -> None:
        """Sandbox keys: no writes, 10 requests a minute and 100 a day. A bad Idempotency-Key: 422."""
        if key.sandbox:
            if call.route.write:
                raise errors.SandboxRestricted("Sandbox API keys cannot perform write operations on this resource.",
                                               restriction="sandbox")
            call.extra["sandbox"] = call.account.sandbox.hit(key.id, enforce=call.account.options.enforce_limits)
        idempotency_key = call.request.headers.get("Idempotency-Key")
        if call.request.method == "POST" and idempotency_key is not None \
                and not IDEMPOTENCY_KEY_RE.match(idempotency_key):
            raise ValidationFailed({"Idempotency-Key": [
                f"Use 1 to {MAX_IDEMPOTENCY_KEY} letters, digits, periods, underscores or hyphens."]})

    def response_headers(self, call: Call) -> dict[str, str]:
        headers = super().response_headers(call)
        sandbox = call.extra.get("sandbox")
        if sandbox is not None:
            headers.update(sandbox_headers(sandbox))
        key = call.key
        if key is not None and not key.sandbox and (call.route.method, call.route.path) in QUOTA_ROUTES:
            quota = call.account.quota
            if quota.applies:
                headers.update(quota_headers(quota.status()))
        return headers


__all__ = ["ApiDialect"]
