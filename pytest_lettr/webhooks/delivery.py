"""Deliver webhook POSTs to a URL (loopback HTTP/HTTPS) or an in-process WSGI app, with retries.

This module knows nothing about events, secrets or dialects: it POSTs bytes with headers and
keeps a log of attempts. Both the v1 and the current-API webhooks use one engine per account::

    engine = account.delivery_engine                 # shared, retries driven by account.clock
    delivery = engine.deliver(
        "http://127.0.0.1:8000/hooks",           # or WSGITarget(app, remote_addr="203.0.113.10")
        body,                                    # the exact bytes to send
        lambda attempt: {"Lettr-Signature": sign_webhook(body, secret, timestamp=attempt.moment)},
        event_id="evt_...", event_type="email.sent", webhook_id="wh_...",
        on_attempt=lambda delivery, attempt: ...,  # bookkeeping after every attempt
        on_gone=lambda delivery: ...,              # the receiver answered 410
    )
    assert delivery.status == "succeeded"        # the first attempt ran before deliver() returned
    account.clock.advance(minutes=1)             # due retries run now (and on every API request)

Rules (Lettr v1 §9): success is any 2xx within the timeout (30 s); anything else, a timeout or a
connection error is a failed attempt, retried after 1 min, 5 min, 30 min, 2 h, 8 h and 24 h
(7 attempts in all), after which the delivery is ``failed``. A 410 stops at once (``on_gone``).

Decisions:

- The schedule is anchored: attempt *n+1* is due ``schedule[n-1]`` after attempt *n* was due, not
  after it actually ran. A test that jumps the clock two days runs every retry that would have
  happened by then, one after another, each stamped with the moment it actually ran (now).
- The timeout is a deadline for the whole attempt: an OAuth2 token fetch, connect, TLS, sending
  and reading the answer all share it (:mod:`pytest_lettr.webhooks.transport`).
- Nothing is sent off this machine: the host must be a loopback address, or ``localhost`` / a
  ``.localhost`` name resolving only to loopback addresses; the socket connects to the checked
  address. Anything else fails with no network traffic. Redirects are not followed (a 3xx fails).
- The engine never raises: a header that cannot go on the wire, a header callable or transport
  that raises, a closed account: each is a recorded failed attempt (retried like any other).
  :meth:`DeliveryEngine.shutdown` cuts requests in flight at once and fails later attempts.
- An in-process app that raises counts as a 500 (the exception is kept on the response), as it
  would behind a real server; :func:`send` can re-raise it instead.
- One event's deliveries are attempted together (:meth:`DeliveryEngine.batch`): the requests to
  plain-HTTP receivers are all written, then the answers read as they arrive
  (:mod:`pytest_lettr.webhooks.pipeline`), in the calling thread; a webhook with several
  deliveries in one batch gets them one after another, in order.
- No lock is held while a request is in flight, so a receiver may call back into the mock (and
  cause more deliveries) without deadlock. ``Authorization`` values are masked in the log, and
  header values never appear in an attempt's ``error``.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import functools
import http.client
import inspect
import json
import re
import ssl
import threading
import time
import weakref
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal, TypeAlias
from urllib.parse import unquote, urlsplit

from .pipeline import Outcome, Post, post_together
from .transport import MAX_RESPONSE_BODY, Deadline, Inflight, NotDelivered, loopback_addresses, post

if TYPE_CHECKING:
    import asyncio

    from ..clock import Clock

__all__ = [
    "DEFAULT_TIMEOUT",
    "LETTR_WEBHOOK_ADDRESSES",
    "MAX_ATTEMPTS",
    "RETRY_SCHEDULE",
    "USER_AGENT",
    "ASGITarget",
    "Attempt",
    "AttemptContext",
    "Delivery",
    "DeliveryEngine",
    "DeliveryResponse",
    "WSGITarget",
    "app_target",
    "header_problem",
    "is_asgi_app",
    "is_loopback_host",
    "send",
]

#: Waits between attempts: attempt 2 is due 1 min after attempt 1 was, ... attempt 7 24 h after 6.
RETRY_SCHEDULE: tuple[timedelta, ...] = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=8),
    timedelta(hours=24),
)
MAX_ATTEMPTS = len(RETRY_SCHEDULE) + 1
DEFAULT_TIMEOUT = 30.0
#: The addresses Lettr delivers webhooks from (§9); in-process deliveries use one as REMOTE_ADDR.
LETTR_WEBHOOK_ADDRESSES = ("203.0.113.10", "203.0.113.11", "203.0.113.12")
USER_AGENT = "Lettr-Webhooks/1.0"
#: The largest body a fan-out writes without a thread of its own (a receiver that stops reading
#: could stall a bigger write, and with it the other receivers' requests).
PIPELINED_BODY = 64 * 1024
#: Threads an engine may use to make the first attempts of one event (or a round of due retries)
#: in parallel, besides the calling one.
HELPER_THREADS = 8

WSGIApp: TypeAlias = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
ASGIApp: TypeAlias = Callable[[dict[str, Any], Callable[..., Any], Callable[..., Any]], Awaitable[None]]
DeliveryStatus: TypeAlias = Literal["pending", "succeeded", "failed"]
_MASKED_HEADERS = frozenset({"authorization", "proxy-authorization"})


def is_loopback_host(host: str | None) -> bool:
    """Whether ``host`` is an IP literal in 127.0.0.0/8 or ``::1`` (brackets allowed), or
    ``localhost`` / a name under ``.localhost`` that resolves only to such addresses.

    >>> [is_loopback_host(h) for h in ("localhost", "127.0.0.5", "[::1]", "example.com")]
    [True, True, True, False]
    """
    try:
        return bool(loopback_addresses(host))
    except NotDelivered:
        return False


_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_BAD_VALUE = re.compile("[\r\n\0]|[^\x00-\xff]")  # a line break, a NUL, or beyond latin-1


def header_problem(headers: Mapping[str, str]) -> str | None:
    """Why ``headers`` cannot go on the wire (a bad name, or a value with CR, LF, NUL or a
    character outside latin-1), naming the header but never showing its value; else ``None``."""
    for name, value in headers.items():
        if not isinstance(name, str) or _HEADER_NAME.fullmatch(name) is None:
            return f"the header name {str(name)[:40]!r} is not a valid HTTP token"
        if not isinstance(value, str) or _BAD_VALUE.search(value) is not None:
            return (f"the {name} header value has a CR, LF or NUL or a character outside latin-1 "
                    "(a header cannot carry it)")
    return None


# --- one request ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class WSGITarget:
    """An in-process WSGI app as a delivery target.

    ``url`` gives the path (and host) the app sees; ``remote_addr`` the peer address, so an app's
    IP allowlist can be tested (default: Lettr's first webhook address).
    """

    app: WSGIApp
    url: str = "https://webhooks.example.test/"
    remote_addr: str = LETTR_WEBHOOK_ADDRESSES[0]

    def __repr__(self) -> str:
        name = getattr(self.app, "name", None) or getattr(self.app, "__name__", type(self.app).__name__)
        return f"<WSGITarget {name} {self.url} from {self.remote_addr}>"


@dataclass(frozen=True)
class ASGITarget:
    """An in-process ASGI app (Starlette, FastAPI...) as a delivery target; like :class:`WSGITarget`.

    The app is called once per POST on a fresh event loop (no lifespan events); ``remote_addr``
    becomes ``scope["client"]``.
    """

    app: ASGIApp
    url: str = "https://webhooks.example.test/"
    remote_addr: str = LETTR_WEBHOOK_ADDRESSES[0]

    def __repr__(self) -> str:
        name = getattr(self.app, "title", None) or getattr(self.app, "__name__", type(self.app).__name__)
        return f"<ASGITarget {name} {self.url} from {self.remote_addr}>"


AppTarget: TypeAlias = "WSGITarget | ASGITarget"
Target: TypeAlias = "str | WSGITarget | ASGITarget | WSGIApp | ASGIApp"


def is_asgi_app(app: object) -> bool:
    """An ASGI app is an ``async`` callable (a coroutine function or an object with ``async __call__``)."""
    if inspect.isfunction(app) or inspect.ismethod(app):
        return inspect.iscoroutinefunction(app)
    return callable(app) and inspect.iscoroutinefunction(type(app).__call__)


def app_target(app: Any, url: str = "https://webhooks.example.test/",
               remote_addr: str = LETTR_WEBHOOK_ADDRESSES[0]) -> AppTarget:
    """The right target for an in-process app: :class:`ASGITarget` or :class:`WSGITarget`."""
    if is_asgi_app(app):
        return ASGITarget(app, url, remote_addr)
    return WSGITarget(app, url, remote_addr)


@dataclass(frozen=True)
class DeliveryResponse:
    """What one POST got back. ``status_code`` is ``None`` when no response arrived (``error``)."""

    status_code: int | None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    error: str | None = None
    elapsed: float = 0.0
    exception: BaseException | None = field(default=None, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        """A 2xx answer."""
        return self.status_code is not None and 200 <= self.status_code < 300

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.body)


def as_target(target: Target) -> str | AppTarget:
    """A URL string stays a URL; a bare app becomes a :class:`WSGITarget` or :class:`ASGITarget`."""
    if isinstance(target, (str, WSGITarget, ASGITarget)):
        return target
    if callable(target):
        return app_target(target)
    raise TypeError(f"a delivery target is a URL or a WSGI app, not {type(target).__name__}")


def send(
    target: Target,
    body: bytes,
    headers: Mapping[str, str],
    *,
    timeout: float = DEFAULT_TIMEOUT,
    ssl_context: ssl.SSLContext | None = None,
    raise_app_errors: bool = False,
    deadline: Deadline | None = None,
    inflight: Inflight | None = None,
) -> DeliveryResponse:
    """POST ``body`` once; never raises for a network or receiver failure (see ``error``).

    ``timeout`` bounds the whole exchange (connect, TLS, send, read), not each socket read; a
    ``deadline`` shared with earlier steps (an OAuth2 token fetch) replaces it.

    >>> send("http://example.com/hook", b"{}", {}).error
    'not delivered: example.com is not a loopback host (the mock never leaves this machine)'
    """
    resolved = as_target(target)
    deadline = deadline or Deadline.after(timeout)
    started = time.monotonic()
    problem = header_problem(headers)
    if problem is not None:
        return DeliveryResponse(None, error=f"not sent: {problem}")
    if isinstance(resolved, str):
        response = _send_http(resolved, body, headers, deadline, ssl_context, inflight)
    elif isinstance(resolved, ASGITarget):
        response = _send_asgi(resolved, body, headers, deadline, raise_app_errors)
    else:
        response = _send_wsgi(resolved, body, headers, raise_app_errors)
    elapsed = time.monotonic() - started
    if response.error is None and time.monotonic() > deadline.at:
        return DeliveryResponse(None, error=_timed_out(deadline), elapsed=elapsed)
    return DeliveryResponse(response.status_code, response.headers, response.body, response.error,
                            elapsed, response.exception)


def _timed_out(deadline: Deadline) -> str:
    return f"timeout: no answer within {deadline.timeout:g} s"


@functools.cache
def _default_ssl_context() -> ssl.SSLContext:
    """The system CAs plus the local CA; built once (loading CA files costs milliseconds)."""
    from ..tls import local_ca

    context = ssl.create_default_context()
    context.load_verify_locations(cafile=str(local_ca().ca_bundle))
    return context


def _send_http(url: str, body: bytes, headers: Mapping[str, str], deadline: Deadline,
               ssl_context: ssl.SSLContext | None, inflight: Inflight | None) -> DeliveryResponse:
    context = ssl_context or (_default_ssl_context() if url[:6].lower() == "https:" else None)
    try:
        reply = post(url, body, headers, deadline, ssl_context=context, inflight=inflight)
    except Exception as error:
        return http_failure(error, deadline, inflight)
    return DeliveryResponse(*reply)


def http_failure(error: Exception, deadline: Deadline, inflight: Inflight | None) -> DeliveryResponse:
    """The response recorded for a POST that raised ``error`` (other errors are re-raised)."""
    if isinstance(error, NotDelivered):
        return DeliveryResponse(None, error=f"not delivered: {error}")
    if isinstance(error, TimeoutError):
        return DeliveryResponse(None, error=_timed_out(deadline))
    if isinstance(error, (OSError, http.client.HTTPException)):
        if inflight is not None and inflight.closed:
            return DeliveryResponse(None, error=f"not delivered: {inflight.reason}")
        return DeliveryResponse(None, error=f"connection error: {type(error).__name__}: {str(error)[:200]}")
    raise error


def _send_wsgi(target: WSGITarget, body: bytes, headers: Mapping[str, str],
               raise_app_errors: bool) -> DeliveryResponse:
    from werkzeug.test import Client

    parts = urlsplit(target.url)
    base_url = f"{parts.scheme or 'https'}://{parts.netloc or 'webhooks.example.test'}"
    client = Client(target.app)
    try:
        reply = client.open(parts.path or "/", base_url=base_url, query_string=parts.query or None,
                            method="POST", data=body, headers=list(headers.items()),
                            environ_overrides={"REMOTE_ADDR": target.remote_addr})
        data = reply.get_data()
        reply.close()
    except Exception as error:
        if raise_app_errors:
            raise
        return _app_raised(error)
    return DeliveryResponse(reply.status_code, dict(reply.headers.items()), data[:MAX_RESPONSE_BODY])


def _app_raised(error: Exception) -> DeliveryResponse:
    return DeliveryResponse(500, error=f"the app raised {type(error).__name__}: {error}", exception=error)


def _asgi_scope(target: ASGITarget, body: bytes, headers: Mapping[str, str]) -> dict[str, Any]:
    parts = urlsplit(target.url)
    scheme = parts.scheme or "https"
    host = parts.hostname or "webhooks.example.test"
    path = parts.path or "/"
    raw_headers = [(b"host", (parts.netloc or host).encode("latin-1"))]
    raw_headers += [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()
                    if name.lower() not in ("host", "content-length")]
    raw_headers.append((b"content-length", str(len(body)).encode("ascii")))
    return {
        "type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"}, "http_version": "1.1",
        "method": "POST", "scheme": scheme, "path": unquote(path), "raw_path": path.encode("utf-8"),
        "query_string": parts.query.encode("utf-8"), "root_path": "", "headers": raw_headers,
        "client": (target.remote_addr, 50000), "server": (host, parts.port or (443 if scheme == "https" else 80)),
    }


class _ASGIExchange:
    """One request to an ASGI app: the body once, then a disconnect; collects the response."""

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.status: int | None = None
        self.headers: dict[str, str] = {}
        self.chunks: list[bytes] = []
        self._body_sent = False
        self._done: asyncio.Event | None = None

    async def receive(self) -> dict[str, Any]:
        if not self._body_sent:
            self._body_sent = True
            return {"type": "http.request", "body": self.body, "more_body": False}
        await self._finished().wait()
        return {"type": "http.disconnect"}

    async def send(self, message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            self.status = int(message["status"])
            self.headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in message.get("headers", [])}
        elif message["type"] == "http.response.body":
            self.chunks.append(bytes(message.get("body", b"")))
            if not message.get("more_body", False):
                self._finished().set()

    def _finished(self) -> asyncio.Event:
        if self._done is None:
            import asyncio  # only ASGI receivers need it: a session without one never loads it

            self._done = asyncio.Event()
        return self._done

    def response(self) -> DeliveryResponse:
        if self.status is None:
            return DeliveryResponse(None, error="the app returned without sending a response")
        return DeliveryResponse(self.status, self.headers, b"".join(self.chunks)[:MAX_RESPONSE_BODY])


def _run_coroutine(make: Callable[[], Awaitable[None]]) -> None:
    """Run on a fresh event loop (in a helper thread when called from async code)."""
    import asyncio

    async def main() -> None:
        await make()

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(main())
        return
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, main()).result()


def _send_asgi(target: ASGITarget, body: bytes, headers: Mapping[str, str], deadline: Deadline,
               raise_app_errors: bool) -> DeliveryResponse:
    scope = _asgi_scope(target, body, headers)
    exchange = _ASGIExchange(body)
    import asyncio

    try:
        _run_coroutine(lambda: asyncio.wait_for(target.app(scope, exchange.receive, exchange.send),
                                                deadline.remaining()))
    except TimeoutError:
        return DeliveryResponse(None, error=_timed_out(deadline))
    except Exception as error:
        if raise_app_errors:
            raise
        return _app_raised(error)
    return exchange.response()


def _rounds(deliveries: list[Delivery]) -> list[list[Delivery]]:
    """The first delivery of each webhook (or target), then the second of each, and so on: a
    webhook's deliveries in one batch go out one after another, in order."""
    rounds: list[list[Delivery]] = []
    seen: dict[object, int] = {}
    for delivery in deliveries:
        key = delivery.webhook_id or delivery.url
        number = seen.get(key, 0)
        seen[key] = number + 1
        if number == len(rounds):
            rounds.append([])
        rounds[number].append(delivery)
    return rounds


def _by_kind(deliveries: list[Delivery]) -> tuple[list[Delivery], list[Delivery], list[Delivery]]:
    """Deliveries :mod:`.pipeline` makes (plain HTTP, a body the socket buffers take at once),
    those helper threads make (HTTPS, big bodies a stalled receiver could leave half-written),
    and those to in-process apps."""
    plain: list[Delivery] = []
    threaded: list[Delivery] = []
    local: list[Delivery] = []
    for delivery in deliveries:
        if not isinstance(delivery.target, str):
            local.append(delivery)
        elif delivery.target[:5].lower() == "http:" and len(delivery.body) <= PIPELINED_BODY:
            plain.append(delivery)
        else:
            threaded.append(delivery)
    return plain, threaded, local


def _posted_together(posts: list[Post]) -> list[Outcome]:
    """:func:`.pipeline.post_together`, with a failure of its own turned into each POST's error."""
    try:
        return post_together(posts)
    except Exception as error:
        return [Outcome(error=RuntimeError(f"not sent: {_described(error)}"), finished=time.monotonic())
                for _ in posts]


# --- deliveries and attempts ---------------------------------------------------------------------


@dataclass(frozen=True)
class AttemptContext:
    """Handed to a header callable before each attempt: sign with ``moment`` (the clock's now)."""

    delivery: Delivery
    number: int
    moment: datetime
    manual: bool = False
    #: The attempt's whole budget (a token fetch and the POST share it).
    deadline: Deadline = field(default_factory=lambda: Deadline.after(DEFAULT_TIMEOUT))


HeaderSource: TypeAlias = "Mapping[str, str] | Callable[[AttemptContext], Mapping[str, str]]"
AttemptCallback: TypeAlias = "Callable[[Delivery, Attempt], None]"
GoneCallback: TypeAlias = "Callable[[Delivery], None]"


@dataclass(frozen=True)
class Attempt:
    """One POST of a delivery, as recorded."""

    number: int
    scheduled_at: datetime
    attempted_at: datetime
    succeeded: bool
    response_code: int | None
    error: str | None
    request_headers: dict[str, str]
    response_headers: dict[str, str] = field(default_factory=dict, repr=False)
    response_body: bytes = field(default=b"", repr=False)
    duration: float = 0.0
    next_retry_at: datetime | None = None
    manual: bool = False

    @property
    def status(self) -> Literal["succeeded", "failed"]:
        return "succeeded" if self.succeeded else "failed"

    @property
    def gone(self) -> bool:
        return self.response_code == 410


@dataclass(eq=False)
class Delivery:
    """One message to one target and every attempt to get it there.

    ``status``: ``pending`` (a retry is scheduled at ``next_retry_at``), ``succeeded`` or
    ``failed``. ``body`` is exactly what was (and will be) sent.
    """

    id: str
    target: str | AppTarget
    body: bytes = field(repr=False)
    headers: HeaderSource = field(repr=False)
    created_at: datetime
    event_id: str | None = None
    event_type: str | None = None
    webhook_id: str | None = None
    max_attempts: int = MAX_ATTEMPTS
    timeout: float | None = None
    status: DeliveryStatus = "pending"
    attempts: list[Attempt] = field(default_factory=list, repr=False)
    next_retry_at: datetime | None = None
    cancelled: str | None = None
    tags: dict[str, Any] = field(default_factory=dict, repr=False)
    on_attempt: AttemptCallback | None = field(default=None, repr=False)
    on_gone: GoneCallback | None = field(default=None, repr=False)
    _automatic: int = field(default=0, repr=False)
    _due: datetime | None = field(default=None, repr=False)
    _running: bool = field(default=False, repr=False)

    def __repr__(self) -> str:
        what = self.event_type or "delivery"
        return (f"<Delivery {self.id} {what} -> {self.target!r} {self.status} "
                f"attempts={len(self.attempts)} responseCode={self.response_code}>")

    @property
    def attempt_count(self) -> int:
        return len(self.attempts)

    @property
    def last_attempt(self) -> Attempt | None:
        return self.attempts[-1] if self.attempts else None

    @property
    def response_code(self) -> int | None:
        """The status code of the latest attempt (``None`` before one, or if none arrived)."""
        last = self.last_attempt
        return last.response_code if last else None

    @property
    def payload(self) -> Any:
        """The body parsed as JSON (handy in assertions)."""
        return json.loads(self.body)

    @property
    def url(self) -> str:
        return self.target if isinstance(self.target, str) else self.target.url


def _described(error: BaseException, hidden: Iterable[str] = ()) -> str:
    """``Type: message`` of an error, with any of the ``hidden`` values masked out of it."""
    message = str(error)[:300]
    for value in hidden:
        if len(value) >= 4:
            message = message.replace(value, "***").replace(repr(value.encode("latin-1", "replace"))[2:-1], "***")
    return f"{type(error).__name__}: {message}"


def _masked(headers: Mapping[str, str]) -> dict[str, str]:
    shown: dict[str, str] = {}
    for name, value in headers.items():
        if name.lower() in _MASKED_HEADERS:
            scheme = value.split(" ", 1)[0] if " " in value else ""
            value = f"{scheme} ***".strip()
        shown[name] = value
    return shown


class DeliveryEngine:
    """Runs deliveries and their retries on ``clock``; keeps every delivery, oldest first."""

    def __init__(
        self,
        clock: Clock,
        new_id: Callable[[], str],
        *,
        schedule: tuple[timedelta, ...] = RETRY_SCHEDULE,
        max_attempts: int = MAX_ATTEMPTS,
        timeout: float = DEFAULT_TIMEOUT,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        if max_attempts < 1 or len(schedule) < max_attempts - 1:
            raise ValueError("the schedule needs one wait per retry (max_attempts - 1 of them)")
        self.clock = clock
        self.schedule = schedule
        self.max_attempts = max_attempts
        #: Seconds a receiver has to answer; tests may lower it.
        self.timeout = timeout
        self.ssl_context = ssl_context
        self._new_id = new_id
        self._lock = threading.RLock()
        self._deliveries: list[Delivery] = []
        self._pending: dict[str, Delivery] = {}  # so a check per request never scans the whole log
        self._by_id: dict[str, Delivery] = {}
        self._watching: Clock | None = None
        #: The sockets of attempts in flight and kept-alive ones; :meth:`shutdown` cuts them.
        self.inflight = Inflight()
        weakref.finalize(self, self.inflight.close)  # an engine dropped unclosed leaves no socket open
        self._local = threading.local()
        self._pool: concurrent.futures.ThreadPoolExecutor | None = None

    # -- reading --------------------------------------------------------------------------------
    @property
    def deliveries(self) -> list[Delivery]:
        """Every delivery so far, oldest first (a copy)."""
        with self._lock:
            return list(self._deliveries)

    def get(self, delivery_id: str) -> Delivery | None:
        return self._by_id.get(delivery_id)

    def pending(self) -> list[Delivery]:
        with self._lock:
            return list(self._pending.values())

    # -- clock ----------------------------------------------------------------------------------
    def watch(self) -> DeliveryEngine:
        """Run due retries after every ``clock.advance(...)``."""
        if self._watching is None:
            self.clock.on_advance(self._on_advance)
            self._watching = self.clock
        return self

    def close(self) -> None:
        """Stop watching the clock."""
        if self._watching is not None:
            self._watching.remove_listener(self._on_advance)
            self._watching = None

    def _on_advance(self) -> None:
        self.run_due()

    def shutdown(self) -> None:
        """For good: stop watching the clock, cut every request in flight at once (their attempts
        fail), and make every later attempt fail without a connection. The account's end."""
        self.close()
        self.inflight.close()
        self._end_helpers(wait=False)

    def _end_helpers(self, *, wait: bool) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=wait)

    def interrupt(self) -> None:
        """Cut every request in flight and fail new attempts until :meth:`resume` (a server
        stopping: no thread stays blocked on a receiver)."""
        self.inflight.close("the server stopped")

    def resume(self) -> None:
        """After :meth:`interrupt`, once the server has stopped: the helper threads end (a new
        one starts when needed) and attempts may connect again."""
        self._end_helpers(wait=True)
        self.inflight.reopen()

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """Deliveries made inside make their first attempts together, concurrently, on leaving it
        (so slow receivers of one event cost the slowest one's time, not the sum). Nested
        batches join the outermost one; each webhook's deliveries keep their order."""
        if getattr(self._local, "batch", None) is not None:
            yield
            return
        self._local.batch = []
        try:
            yield
        finally:
            batch, self._local.batch = self._local.batch, None
            for round_ in _rounds(batch):
                self._attempt_together(round_)

    def _attempt_together(self, deliveries: list[Delivery]) -> None:
        """Attempt ``deliveries`` (already marked running) together: POSTs to plain-HTTP targets
        written all at once and their answers read as they come, in the calling thread
        (:mod:`.pipeline`); HTTPS ones in helper threads meanwhile; in-process apps in the
        calling thread, one after another (a test's database connection or app context is
        bound to it)."""
        plain, threaded, local = _by_kind(deliveries)
        helping = [self._helpers().submit(self._attempt, d, manual=False) for d in threaded]
        try:
            if len(plain) > 1:
                self._attempt_pipelined(plain)
            for delivery in [*plain[:1 if len(plain) == 1 else 0], *local]:
                self._attempt(delivery, manual=False)
        finally:
            for done in helping:
                done.result()

    def _attempt_pipelined(self, deliveries: list[Delivery]) -> None:
        """First attempts (or due retries) to plain-HTTP targets, every request written before
        any answer is read."""
        prepared = []
        try:
            for delivery in deliveries:  # each deadline starts with its own headers (a token fetch)
                scheduled, context = self._begin(delivery, manual=False)
                prepared.append((delivery, scheduled, context, *self._headers(delivery, context)))
            posts = [Post(d.url, d.body, headers, context.deadline, self.inflight)
                     for d, _, context, headers, early in prepared if early is None]
            outcomes = iter(_posted_together(posts))
            made = []
            for delivery, scheduled, context, headers, early in prepared:
                response = early or self._response(next(outcomes), context, headers)
                made.append(self._record(delivery, context.number, scheduled, context.moment, headers, response,
                                         False))
        finally:
            with self._lock:
                for delivery in deliveries:
                    delivery._running = False
        for delivery, attempt in zip(deliveries, made, strict=True):
            self._after(delivery, attempt)

    def _response(self, outcome: Outcome, context: AttemptContext, headers: dict[str, str]) -> DeliveryResponse:
        elapsed = outcome.finished - (context.deadline.at - context.deadline.timeout)
        if outcome.reply is not None:
            return DeliveryResponse(*outcome.reply, elapsed=elapsed)
        assert outcome.error is not None
        try:
            failure = http_failure(outcome.error if isinstance(outcome.error, Exception) else
                                   RuntimeError(outcome.error), context.deadline, self.inflight)
        except Exception as error:  # a bug in a transport: still a failed attempt, never a crash
            failure = DeliveryResponse(None, error=f"not sent: {_described(error, headers.values())}")
        return DeliveryResponse(None, error=failure.error, elapsed=elapsed)

    def _helpers(self) -> concurrent.futures.ThreadPoolExecutor:
        """The engine's helper threads, made on first use (starting a thread per POST costs more
        than the POST); they end when the engine is shut down or dropped."""
        with self._lock:
            if self._pool is None:
                self._pool = concurrent.futures.ThreadPoolExecutor(HELPER_THREADS, "lettr-delivery")
            return self._pool

    def deliver(
        self,
        target: Target,
        body: bytes,
        headers: HeaderSource,
        *,
        event_id: str | None = None,
        event_type: str | None = None,
        webhook_id: str | None = None,
        delivery_id: str | None = None,
        max_attempts: int | None = None,
        timeout: float | None = None,
        on_attempt: AttemptCallback | None = None,
        on_gone: GoneCallback | None = None,
        tags: Mapping[str, Any] | None = None,
        send_now: bool = True,
    ) -> Delivery:
        """Record a delivery and (by default) make its first attempt before returning it.

        With ``send_now=False`` the first attempt is due at once and runs on the next
        :meth:`run_due` (a clock move or an API request); inside :meth:`batch`, it runs when the
        batch ends.
        """
        if not isinstance(body, bytes):
            raise TypeError("body must be bytes (the exact bytes that are signed and sent)")
        attempts = self.max_attempts if max_attempts is None else max_attempts
        if not 1 <= attempts <= len(self.schedule) + 1:
            raise ValueError(f"max_attempts must be between 1 and {len(self.schedule) + 1}")
        now = self.clock.now()
        delivery = Delivery(
            id=delivery_id or self._new_id(), target=as_target(target), body=body, headers=headers,
            created_at=now, event_id=event_id, event_type=event_type, webhook_id=webhook_id,
            max_attempts=attempts, timeout=timeout, next_retry_at=None if send_now else now,
            tags=dict(tags or {}), on_attempt=on_attempt, on_gone=on_gone, _due=now,
        )
        with self._lock:
            self._deliveries.append(delivery)
            self._pending[delivery.id] = delivery
            self._by_id[delivery.id] = delivery
            if send_now:
                delivery._running = True
        if send_now:
            batch = getattr(self._local, "batch", None)
            if batch is None:
                self._attempt(delivery, manual=False)
            else:
                batch.append(delivery)
        return delivery

    def retry(self, delivery: Delivery) -> Attempt:
        """Re-send now (the API's manual retry); the automatic schedule is left as it was."""
        with self._lock:
            delivery._running = True
        return self._attempt(delivery, manual=True)

    def run_due(self) -> list[Attempt]:
        """Make every attempt that is due by the clock, until none is left: in rounds of the
        oldest due delivery of each webhook, attempted together (as one event's first attempts
        are), so a webhook's deliveries keep their order and slow receivers do not add up."""
        made: list[Attempt] = []
        if not self._pending:  # the usual case: every request ticks, almost none has retries due
            return made
        while not self.inflight.closed:
            due = self._claim_due()
            if not due:
                break
            self._attempt_together(due)
            made.extend(d.attempts[-1] for d in due if d.attempts)
        return made

    def _claim_due(self) -> list[Delivery]:
        """The oldest due delivery of each webhook (or target), oldest first, marked running."""
        now = self.clock.now()
        with self._lock:
            due = sorted((d for d in self._pending.values() if d.status == "pending" and not d._running
                          and d.next_retry_at is not None and d.next_retry_at <= now),
                         key=lambda d: d.next_retry_at or now)
            claimed: dict[object, Delivery] = {}
            for delivery in due:
                claimed.setdefault(delivery.webhook_id or delivery.url, delivery)
            for delivery in claimed.values():
                delivery._running = True
            return list(claimed.values())

    def cancel(self, which: Delivery | Callable[[Delivery], bool], reason: str = "cancelled") -> list[Delivery]:
        """Give up on pending deliveries (e.g. their webhook was disabled): they become ``failed``."""
        match = which if callable(which) and not isinstance(which, Delivery) else (lambda d: d is which)
        stopped: list[Delivery] = []
        with self._lock:
            for delivery in list(self._pending.values()):
                if delivery.status == "pending" and match(delivery):
                    delivery.status, delivery.next_retry_at, delivery.cancelled = "failed", None, reason
                    del self._pending[delivery.id]
                    stopped.append(delivery)
        return stopped

    # -- one attempt ----------------------------------------------------------------------------
    def _attempt(self, delivery: Delivery, *, manual: bool) -> Attempt:
        try:
            scheduled, context = self._begin(delivery, manual=manual)
            headers, response = self._exchange(delivery, context)
            attempt = self._record(delivery, context.number, scheduled, context.moment, headers, response, manual)
        finally:
            with self._lock:
                delivery._running = False
        self._after(delivery, attempt)
        return attempt

    def _begin(self, delivery: Delivery, *, manual: bool) -> tuple[datetime, AttemptContext]:
        """When the attempt was due, and its context (number, moment, deadline)."""
        scheduled = self.clock.now() if manual else (delivery._due or self.clock.now())
        timeout = delivery.timeout if delivery.timeout is not None else self.timeout
        context = AttemptContext(delivery, delivery.attempt_count + 1, self.clock.now(), manual,
                                 Deadline.after(timeout))
        return scheduled, context

    @staticmethod
    def _after(delivery: Delivery, attempt: Attempt) -> None:
        if delivery.on_attempt is not None:
            delivery.on_attempt(delivery, attempt)
        if attempt.gone and delivery.on_gone is not None:
            delivery.on_gone(delivery)

    def _headers(self, delivery: Delivery, context: AttemptContext) -> tuple[dict[str, str], DeliveryResponse | None]:
        """The attempt's headers, or the response of an attempt that cannot be sent."""
        if self.inflight.closed:
            return {}, DeliveryResponse(None, error=f"not delivered: {self.inflight.reason}")
        try:
            source = delivery.headers
            headers = dict(source(context) if callable(source) else source)
        except Exception as error:  # e.g. an OAuth2 token endpoint that failed
            return {}, DeliveryResponse(None, error=f"not sent: headers failed: {_described(error)}")
        problem = header_problem(headers)
        if problem is not None:
            return headers, DeliveryResponse(None, error=f"not sent: {problem}")
        return headers, None

    def _exchange(self, delivery: Delivery, context: AttemptContext) -> tuple[dict[str, str], DeliveryResponse]:
        """Build the headers and POST; whatever goes wrong becomes the response's ``error``."""
        headers, early = self._headers(delivery, context)
        if early is not None:
            return headers, early
        try:
            return headers, send(delivery.target, delivery.body, headers, deadline=context.deadline,
                                 ssl_context=self.ssl_context, inflight=self.inflight)
        except Exception as error:  # a bug in a transport: still a failed attempt, never a crash
            return headers, DeliveryResponse(None, error=f"not sent: {_described(error, headers.values())}")

    def _record(self, delivery: Delivery, number: int, scheduled: datetime, moment: datetime,
                headers: dict[str, str], response: DeliveryResponse, manual: bool) -> Attempt:
        with self._lock:
            next_retry: datetime | None = None
            if response.ok:
                delivery.status, delivery.next_retry_at = "succeeded", None
            elif response.status_code == 410:
                delivery.status, delivery.next_retry_at = "failed", None
            elif manual:
                if delivery.status != "pending":
                    delivery.status = "failed"
                next_retry = delivery.next_retry_at
            else:
                delivery._automatic += 1
                if delivery._automatic < delivery.max_attempts and delivery.cancelled is None:
                    next_retry = scheduled + self.schedule[delivery._automatic - 1]
                    delivery._due = next_retry
                    delivery.status, delivery.next_retry_at = "pending", next_retry
                else:
                    delivery.status, delivery.next_retry_at = "failed", None
            if response.ok and not manual:
                delivery._automatic += 1
            attempt = Attempt(
                number=number, scheduled_at=scheduled, attempted_at=moment, succeeded=response.ok,
                response_code=response.status_code, error=response.error, request_headers=_masked(headers),
                response_headers=response.headers, response_body=response.body[:MAX_RESPONSE_BODY],
                duration=response.elapsed, next_retry_at=next_retry, manual=manual,
            )
            delivery.attempts.append(attempt)
            if delivery.status == "pending":
                self._pending[delivery.id] = delivery
            else:
                self._pending.pop(delivery.id, None)
            return attempt
