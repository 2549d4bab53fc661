"""Requests to Lettr's real hosts reach the fake instead, and never the internet by accident.

Inside a test that uses ``lettr_server`` (and inside ``with LettrServer(intercept=True):``), an HTTP
request to ``app.lettr.com`` (the current API) or ``api.lettr.dev`` (v1) made with httpx (sync or
async, hence the official SDK with no ``base_url``), requests or urllib3 is sent over the real wire
to the fake's port instead. Everywhere else in a test session the same request fails at once with
:class:`RealLettrRequestBlocked`, unless the ini option ``lettr_allow_real_requests = true``.

The hooks sit at the connection-pool level, below the mocking libraries: respx (which patches the
pool's ``handle_request``) and responses (which patches requests' ``HTTPAdapter.send``) see the
original URL first, so a user's own mock of a Lettr URL wins, and their pass-through reaches the fake.

- httpx: :class:`httpcore.ConnectionPool` ``handle_request`` / :class:`httpcore.AsyncConnectionPool`
  ``handle_async_request`` get the request with its origin rewritten (path, query, headers —
  ``Host`` included — and body unchanged);
- requests and urllib3: :meth:`urllib3.PoolManager.connection_from_host` hands out the fake's pool.
  A ``urllib3.HTTPSConnectionPool("app.lettr.com")`` made by hand is not covered.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

#: Lettr's real API hosts: the current API's and v1's.
LETTR_HOSTS = frozenset({"app.lettr.com", "api.lettr.dev"})


class RealLettrRequestBlocked(RuntimeError):
    """A request to a real Lettr host during the test session, with no fake to take it."""


@dataclass(frozen=True)
class Target:
    """Where intercepted requests go: a fake's scheme, host and port."""

    scheme: str
    host: str
    port: int


_lock = threading.Lock()
_targets: list[Target] = []  # a stack: the innermost fake takes the requests
_state = {"installed": False, "guard": False}
_proxies: set[tuple[str, int]] = set()  # the fake's own proxies: a request through one is left alone

BLOCKED = ("A request to {host} (a real Lettr host) was about to leave this test run. Use the "
           "lettr_server fixture (interception is on by default), wrap the code in "
           "`with LettrServer(intercept=True):`, point the client at the fake (base_url=lettr_server.api_url), "
           "or set `lettr_allow_real_requests = true` in the pytest ini file to allow real requests.")


def is_lettr_host(host: str | bytes | None) -> bool:
    if host is None:
        return False
    name = host.decode("ascii", "replace") if isinstance(host, bytes) else host
    return name.lower().rstrip(".") in LETTR_HOSTS


def current_target(host: str | bytes | None) -> Target | None:
    """Where a request to ``host`` goes: ``None`` for a host that is not Lettr's; raises when it
    is Lettr's, no fake takes it and the guard is on."""
    if not is_lettr_host(host):
        return None
    with _lock:
        target = _targets[-1] if _targets else None
        guard = _state["guard"]
    if target is None and guard:
        shown = host.decode("ascii", "replace") if isinstance(host, bytes) else host
        raise RealLettrRequestBlocked(BLOCKED.format(host=shown))
    return target


@contextmanager
def routed_to(scheme: str, host: str, port: int) -> Iterator[Target]:
    """Send requests to Lettr's hosts to ``scheme://host:port`` while the block runs (installs the hooks)."""
    install()
    target = Target(scheme, host, port)
    with _lock:
        _targets.append(target)
    try:
        yield target
    finally:
        with _lock:
            if target in _targets:  # the innermost occurrence (two fakes may share an address)
                del _targets[len(_targets) - 1 - _targets[::-1].index(target)]


@contextmanager
def fake_proxy(host: str, port: int) -> Iterator[None]:
    """Requests sent through the fake's proxy at ``host:port`` are neither redirected nor refused:
    the proxy itself answers Lettr's hosts and refuses every other one."""
    with _lock:
        _proxies.add((host, port))
    try:
        yield
    finally:
        with _lock:
            _proxies.discard((host, port))


def _via_fake_proxy(host: Any, port: Any) -> bool:
    name = host.decode("ascii", "replace") if isinstance(host, bytes) else str(host)
    with _lock:
        return (name.strip("[]"), port) in _proxies


def set_guard(on: bool) -> None:
    """Refuse (``True``) or allow (``False``) requests to Lettr's hosts that no fake takes."""
    install()
    with _lock:
        _state["guard"] = bool(on)


def guarding() -> bool:
    with _lock:
        return bool(_state["guard"])


# -- the hooks -------------------------------------------------------------------------------------
def _rewritten(request: Any) -> Any:
    """An httpcore request for the fake, or the request itself when it is not for a Lettr host."""
    import httpcore

    url = request.url
    target = current_target(url.host)
    if target is None:
        return request
    moved = httpcore.URL(scheme=target.scheme.encode(), host=target.host.encode(), port=target.port,
                         target=url.target)
    return httpcore.Request(request.method, moved, headers=request.headers, content=request.stream,
                            extensions=request.extensions)


def _httpcore_via_fake_proxy(pool: Any) -> bool:
    proxy = getattr(pool, "_proxy_url", None)  # httpcore.HTTPProxy's
    return proxy is not None and _via_fake_proxy(proxy.host, proxy.port)


def _is_target(origin: Any) -> bool:
    with _lock:
        targets = list(_targets)
    return any(origin.host.decode("ascii", "replace") == t.host and origin.port == t.port for t in targets)


def _install_httpcore() -> None:
    try:
        import httpcore
    except ImportError:  # pragma: no cover - httpx is a dependency
        return
    sync_pool, async_pool = httpcore.ConnectionPool, httpcore.AsyncConnectionPool
    sync_send, async_send = sync_pool.handle_request, async_pool.handle_async_request
    sync_make, async_make = sync_pool.create_connection, async_pool.create_connection

    # Connections to the fake run httpcore's own code even while respx patches HTTPConnection: a
    # rewritten request was already matched (or passed through) by respx under its real URL.
    class FakeConnection(httpcore.HTTPConnection):
        handle_request = httpcore.HTTPConnection.handle_request

    class AsyncFakeConnection(httpcore.AsyncHTTPConnection):
        handle_async_request = httpcore.AsyncHTTPConnection.handle_async_request

    def handle_request(self: Any, request: Any) -> Any:
        return sync_send(self, request if _httpcore_via_fake_proxy(self) else _rewritten(request))

    async def handle_async_request(self: Any, request: Any) -> Any:
        return await async_send(self, request if _httpcore_via_fake_proxy(self) else _rewritten(request))

    def create_connection(self: Any, origin: Any) -> Any:
        connection = sync_make(self, origin)
        if type(connection) is httpcore.HTTPConnection and _is_target(origin):
            connection.__class__ = FakeConnection
        return connection

    def async_create_connection(self: Any, origin: Any) -> Any:
        connection = async_make(self, origin)
        if type(connection) is httpcore.AsyncHTTPConnection and _is_target(origin):
            connection.__class__ = AsyncFakeConnection
        return connection

    sync_pool.handle_request = handle_request  # type: ignore[method-assign]
    async_pool.handle_async_request = handle_async_request  # type: ignore[method-assign]
    sync_pool.create_connection = create_connection  # type: ignore[method-assign]
    async_pool.create_connection = async_create_connection  # type: ignore[method-assign]


def _install_urllib3() -> None:
    try:
        import urllib3
    except ImportError:  # pragma: no cover - requests is not a dependency
        return
    original = urllib3.PoolManager.connection_from_host

    def connection_from_host(self: Any, host: str | None, port: int | None = None, scheme: str | None = "http",
                             pool_kwargs: dict[str, Any] | None = None) -> Any:
        proxy = getattr(self, "proxy", None)  # urllib3.ProxyManager's
        through_fake = proxy is not None and _via_fake_proxy(proxy.host, proxy.port)
        target = None if through_fake else current_target(host)
        if target is not None:
            host, port, scheme = target.host, target.port, target.scheme
        return original(self, host, port=port, scheme=scheme, pool_kwargs=pool_kwargs)

    urllib3.PoolManager.connection_from_host = connection_from_host  # type: ignore[method-assign]


def install() -> None:
    """Put the hooks in place (once per process; they cost one host check per request)."""
    with _lock:
        if _state["installed"]:
            return
        _state["installed"] = True
    _install_httpcore()
    _install_urllib3()


__all__ = ["LETTR_HOSTS", "RealLettrRequestBlocked", "Target", "current_target", "fake_proxy", "guarding", "install",
           "is_lettr_host", "routed_to", "set_guard"]
