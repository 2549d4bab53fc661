"""One webhook POST over HTTP(S) to loopback: resolved, pinned, under one deadline, abortable.

What :func:`pytest_lettr.webhooks.delivery.send` uses for a URL target::

    deadline = Deadline.after(30.0)                       # connect + TLS + send + read, in all
    response = post("http://localhost:8000/hooks", body, headers, deadline)

- **Loopback by address, not by name.** :func:`loopback_addresses` turns a host into the addresses
  to connect to: an IP literal must be loopback; only ``localhost`` and names under
  ``.localhost`` (RFC 6761) are looked up, and every address they resolve to must be loopback.
  Any other name fails without a lookup, so no DNS query leaves the machine either. The socket
  connects to a checked address; the ``Host`` header and TLS SNI keep the original name.
- **A deadline, not a per-read timeout.** Every socket operation gets what is left of the one
  budget, so a receiver answering one byte at a time is cut when the budget runs out.
- **Abortable.** An :class:`Inflight` registry holds the sockets in use; ``close()`` shuts them
  down (a blocked read returns at once) and refuses new ones, so nothing outlives the account.
- **Keep-alive per target.** The registry also keeps the connections a receiver leaves open, so
  each event's delivery to a target does not pay a new TCP (and TLS) handshake.
- **Lean HTTP/1.1.** The request goes out in one write and the answer is parsed by
  :mod:`pytest_lettr.webhooks.http1`, not :mod:`http.client` (a tenth of its Python per POST);
  :mod:`pytest_lettr.webhooks.pipeline` makes several POSTs at once on these connections.
"""

from __future__ import annotations

import contextlib
import functools
import http.client
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeAlias
from urllib.parse import urlsplit

from .http1 import Answer, read_response, request_bytes

__all__ = ["Deadline", "Inflight", "NotDelivered", "loopback_addresses", "post"]

#: How much of a receiver's response body is kept on an attempt.
MAX_RESPONSE_BODY = 64 * 1024
#: Kept-alive connections per target (one per delivery running at once to it is enough).
MAX_IDLE = 4


class NotDelivered(Exception):
    """The request was not sent (the reason is the message; it never carries a header value)."""


@dataclass(frozen=True)
class Deadline:
    """A moment on the monotonic clock by which the whole attempt must be over."""

    at: float
    timeout: float

    @classmethod
    def after(cls, timeout: float) -> Deadline:
        return cls(time.monotonic() + timeout, timeout)

    def remaining(self) -> float:
        """Seconds left; :class:`TimeoutError` once there are none."""
        left = self.at - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"no answer within {self.timeout:g} s")
        return left


class Inflight:
    """The sockets an engine has open; :meth:`close` shuts them all and refuses new ones (until
    :meth:`reopen`, which a server's ``stop()`` calls once it has stopped)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._idle: dict[Any, list[Connection]] = {}
        self.closed = False
        self.reason = "the account was closed"

    def add(self, sock: socket.socket) -> None:
        with self._lock:
            if not self.closed:
                self._sockets.add(sock)
                return
        sock.close()
        raise NotDelivered(self.reason)

    def reopen(self) -> None:
        with self._lock:
            self.closed = False

    def take(self, key: Any, deadline: Deadline) -> Connection | None:
        """A kept-alive connection to ``key``'s target, now bound to ``deadline``."""
        with self._lock:
            idle = self._idle.get(key)
            connection = idle.pop() if idle else None
        if connection is not None:
            connection.renew(deadline)
        return connection

    def give(self, key: Any, connection: Connection) -> None:
        """Keep ``connection`` for the next POST to its target (at most :data:`MAX_IDLE` each)."""
        with self._lock:
            idle = self._idle.setdefault(key, [])
            if not self.closed and len(idle) < MAX_IDLE:
                idle.append(connection)
                return
        connection.release()

    def forget_idle(self) -> None:
        """Close every kept-alive connection."""
        with self._lock:
            idle, self._idle = [c for cs in self._idle.values() for c in cs], {}
        for connection in idle:
            connection.release()

    def discard(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.discard(sock)

    def close(self, reason: str = "the account was closed") -> None:
        with self._lock:
            self.closed, self.reason = True, reason
            sockets, self._sockets = list(self._sockets), set()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        self.forget_idle()


def _is_loopback_ip(text: str) -> bool | None:
    """``True``/``False`` for an IP literal, ``None`` for a name."""
    parsed = _ip(text)
    return None if parsed is None else parsed[0]


@functools.lru_cache(maxsize=256)
def _ip(text: str) -> tuple[bool, str] | None:
    """Whether an IP literal is loopback, and its normal form; ``None`` for a name (kept per text:
    parsing costs more than the rest of a kept-alive POST)."""
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    return address.is_loopback, str(address)


def _local_name(name: str) -> bool:
    bare = name.rstrip(".")
    return bare == "localhost" or bare.endswith(".localhost")


def loopback_addresses(host: str | None) -> tuple[str, ...]:
    """The addresses to connect to for ``host``: all loopback, or :class:`NotDelivered`.

    >>> loopback_addresses("127.0.0.5"), loopback_addresses("[::1]")
    (('127.0.0.5',), ('::1',))
    """
    name = _bare_host(host)
    literal = _ip(name)
    if literal is not None and literal[0]:
        return (literal[1],)
    if literal is None and _local_name(name):
        return _resolved(name)
    raise NotDelivered(f"{name} is not a loopback host (the mock never leaves this machine)")


def _bare_host(host: str | None) -> str:
    name = (host or "").strip().lower()
    if name.startswith("[") and name.endswith("]"):
        name = name[1:-1]
    if not name:
        raise NotDelivered("the URL has no host")
    if "%" in name:
        raise NotDelivered(f"{name} carries a zone id (only plain loopback addresses are allowed)")
    return name


def _resolved(name: str) -> tuple[str, ...]:
    """Every address the system gives for a ``localhost`` name, if all of them are loopback."""
    try:
        infos = socket.getaddrinfo(name, None, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise NotDelivered(f"{name} does not resolve to a loopback address") from None
    addresses = tuple(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses or not all(_is_loopback_ip(a) for a in addresses):
        raise NotDelivered(f"{name} resolves to an address that is not loopback")
    return addresses


class _DeadlineSocket:
    """A socket whose every send and receive gets only what is left of the deadline."""

    def __init__(self, sock: socket.socket, deadline: Deadline) -> None:
        self.sock = sock
        self.deadline = deadline

    def sendall(self, data: bytes) -> None:
        self.sock.settimeout(self.deadline.remaining())
        self.sock.sendall(data)

    def recv_into(self, buffer: Any) -> int:
        self.sock.settimeout(self.deadline.remaining())
        return self.sock.recv_into(buffer)


class Connection:
    """An HTTP(S) connection to a checked ``address``; ``host`` stays the name (Host header, SNI).
    Connects on the first :meth:`request`."""

    def __init__(self, host: str, port: int, addresses: tuple[str, ...], deadline: Deadline,
                 inflight: Inflight | None, context: ssl.SSLContext | None) -> None:
        self.host, self.port = host, port
        self._addresses, self._deadline, self._inflight, self._context = addresses, deadline, inflight, context
        self._raw: socket.socket | None = None
        self.sock: _DeadlineSocket | None = None
        default = 443 if context is not None else 80
        name = f"[{host}]" if ":" in host else host
        self.host_header = name if port == default else f"{name}:{port}"

    def connect(self) -> None:
        sock = self._dial()
        self._track(sock)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self._context is not None:
            sock.settimeout(self._deadline.remaining())  # one TLS handshake is bounded by it as a whole
            sock = self._context.wrap_socket(sock, server_hostname=self.host)  # takes over the descriptor
            self._track(sock)
        self.sock = _DeadlineSocket(sock, self._deadline)

    def _dial(self) -> socket.socket:
        """A socket to the first checked address that accepts (``localhost`` may be ``::1`` and
        ``127.0.0.1``, and a receiver may listen on one of them only)."""
        failure: OSError | None = None
        for address in self._addresses:
            try:
                return socket.create_connection((address, self.port), timeout=self._deadline.remaining())
            except TimeoutError:
                raise
            except OSError as error:
                failure = error
        raise failure or OSError("no address to connect to")

    def request(self, path: str, body: bytes, headers: Mapping[str, str]) -> None:
        """Send one POST, head and body in a single write."""
        if self.sock is None:
            self.connect()
        assert self.sock is not None
        self.sock.sendall(request_bytes("POST", path, self.host_header, body, headers))

    def response(self) -> Answer:
        assert self.sock is not None
        return read_response(self.sock, MAX_RESPONSE_BODY)

    @property
    def raw(self) -> socket.socket | None:
        """The connected socket (for waiting on several at once)."""
        return self._raw

    def renew(self, deadline: Deadline) -> None:
        """Bind a kept-alive connection to the deadline of its next attempt."""
        self._deadline = deadline
        if self.sock is not None:
            self.sock.deadline = deadline

    def _track(self, sock: socket.socket) -> None:
        if self._inflight is not None:
            if self._raw is not None:
                self._inflight.discard(self._raw)
            self._inflight.add(sock)
        self._raw = sock

    def release(self) -> None:
        """Close the connection and its socket for good."""
        self.sock = None
        if self._raw is not None:
            if self._inflight is not None:
                self._inflight.discard(self._raw)
            self._raw.close()
            self._raw = None


@functools.lru_cache(maxsize=256)
def _target(url: str) -> tuple[str, str, int, str]:
    """A webhook URL's scheme, host, port and request path (kept per URL)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise NotDelivered(f"invalid URL ({error})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise NotDelivered("the URL must be http(s)://host/...")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    if not path.isascii():
        raise NotDelivered("the URL has characters outside ASCII (register it percent-encoded)")
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80), path


Key: TypeAlias = "tuple[str, str, int, tuple[str, ...]]"
Reply: TypeAlias = "tuple[int, dict[str, str], bytes]"


def post(url: str, body: bytes, headers: Mapping[str, str], deadline: Deadline, *,
         ssl_context: ssl.SSLContext | None = None, inflight: Inflight | None = None) -> Reply:
    """POST once; ``(status, headers, body)``, or :class:`NotDelivered` / ``OSError`` /
    ``http.client.HTTPException`` / :class:`TimeoutError` when no answer came.

    With an ``inflight`` registry, a connection the receiver keeps alive is kept for the next
    POST to the same target; if a kept one turns out closed, the POST is made once more on a
    fresh connection (the receiver had hung up before reading it).
    """
    key, path = target_key(url)
    kept = inflight.take(key, deadline) if inflight is not None else None
    if kept is not None:
        try:
            return _exchange(kept, key, path, body, headers, inflight)
        except (ConnectionError, http.client.BadStatusLine):
            pass  # closed while idle (RemoteDisconnected is both): try a fresh connection
    return _exchange(fresh(key, deadline, inflight, ssl_context), key, path, body, headers, inflight)


def target_key(url: str) -> tuple[Key, str]:
    """The target's connection key (scheme, host, port, checked addresses) and the request path."""
    scheme, host, port, path = _target(url)
    return (scheme, host, port, loopback_addresses(host)), path


def fresh(key: Key, deadline: Deadline, inflight: Inflight | None, ssl_context: ssl.SSLContext | None) -> Connection:
    """A new connection to ``key``'s target (it connects on its first request)."""
    context = ssl_context if key[0] == "https" else None
    return Connection(key[1], key[2], key[3], deadline, inflight, context)


def _exchange(connection: Connection, key: Key, path: str, body: bytes,
              headers: Mapping[str, str], inflight: Inflight | None) -> Reply:
    try:
        connection.request(path, body, headers)
        answer = connection.response()
    except BaseException:
        connection.release()
        raise
    return settle(connection, key, answer, inflight)


def settle(connection: Connection, key: Key, answer: Answer, inflight: Inflight | None) -> Reply:
    """Keep ``connection`` for the next POST to ``key`` if ``answer`` allows it, else close it."""
    if answer.reusable and inflight is not None:
        inflight.give(key, connection)
    else:
        connection.release()
    return answer.status, answer.headers, answer.body
