"""An HTTPS-intercepting proxy for clients that cannot be pointed at the fake (``HTTPS_PROXY``).

A ``CONNECT app.lettr.com:443`` (or ``api.lettr.dev:443``) is answered by the fake itself: the
proxy says ``200``, speaks TLS with a certificate for that host signed by the local CA
(:mod:`pytest_lettr.tls`; trust it with the client's CA setting) and relays the decrypted bytes to
the fake's port on loopback. A ``CONNECT`` to any other host, or any other request, is refused
with ``403`` and no outbound connection is ever made. See docs/interception.md.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
from collections.abc import Callable

from .intercept import fake_proxy, install, is_lettr_host

MAX_HEAD = 16 * 1024
HEAD_TIMEOUT = 10.0


def _refuse(connection: socket.socket, reason: str) -> None:
    body = reason.encode()
    head = (f"HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n").encode()
    with contextlib.suppress(OSError):
        connection.sendall(head + body)


def _read_head(connection: socket.socket) -> bytes | None:
    """The request line and headers (up to the blank line), or ``None`` if they never come."""
    connection.settimeout(HEAD_TIMEOUT)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(4096)
        if not chunk or len(data) > MAX_HEAD:
            return None
        data += chunk
    return data


def _pipe(source: socket.socket, sink: socket.socket) -> None:
    with contextlib.suppress(OSError):
        while chunk := source.recv(65536):
            sink.sendall(chunk)
    with contextlib.suppress(OSError):
        sink.shutdown(socket.SHUT_WR)


def connect_target(head: bytes) -> tuple[str, int] | None:
    """``(host, port)`` of a ``CONNECT host:port`` request line, else ``None``."""
    method, _, rest = head.split(b"\r\n", 1)[0].decode("latin-1").partition(" ")
    authority = rest.split(" ", 1)[0]
    host, _, port = authority.rpartition(":")
    if method.upper() != "CONNECT" or not host or not port.isdigit():
        return None
    return host.strip("[]").lower(), int(port)


class LettrProxy:
    """The proxy: ``start()`` listens on loopback; ``url`` is what ``HTTPS_PROXY`` takes."""

    def __init__(self, upstream: Callable[[], tuple[str, int, ssl.SSLContext | None]], tls: ssl.SSLContext, *,
                 host: str = "127.0.0.1", port: int = 0) -> None:
        self._upstream = upstream
        self._tls = tls
        self._listener = socket.create_server((host, port))
        self.host, self.port = self._listener.getsockname()[:2]
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._registered = contextlib.ExitStack()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> LettrProxy:
        install()
        self._registered.enter_context(fake_proxy(self.host, self.port))
        self._thread = threading.Thread(target=self._accept, name="lettr-proxy", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._registered.close()
        with contextlib.suppress(OSError):
            self._listener.close()
        with self._lock:
            sockets, self._open = list(self._open), set()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.close()

    def _track(self, sock: socket.socket) -> socket.socket:
        with self._lock:
            self._open.add(sock)
        return sock

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(self._track(connection),), daemon=True).start()

    def _serve(self, connection: socket.socket) -> None:
        try:
            head = _read_head(connection)
            target = connect_target(head) if head else None
            if target is None or not is_lettr_host(target[0]) or target[1] != 443:
                shown = f"{target[0]}:{target[1]}" if target else "this request"
                _refuse(connection, f"The Lettr mock's proxy only serves CONNECT to Lettr's hosts on 443, "
                                    f"not {shown}; no connection was made.\n")
                return
            connection.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            connection.settimeout(None)
            client = self._track(self._tls.wrap_socket(connection, server_side=True))
            self._relay(client)
        except (OSError, ssl.SSLError):
            pass
        finally:
            with contextlib.suppress(OSError):
                connection.close()

    def _relay(self, client: socket.socket) -> None:
        host, port, context = self._upstream()
        upstream: socket.socket = socket.create_connection((host, port))
        if context is not None:
            upstream = context.wrap_socket(upstream, server_hostname=host)
        self._track(upstream)
        back = threading.Thread(target=_pipe, args=(upstream, client), daemon=True)
        back.start()
        _pipe(client, upstream)
        back.join()
        for sock in (client, upstream):
            with contextlib.suppress(OSError):
                sock.close()


__all__ = ["LettrProxy", "connect_target"]
