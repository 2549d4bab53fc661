"""A misbehaving HTTP peer on 127.0.0.1 for webhook and token-URL robustness tests::

    with Rogue("trickle", answer=Rogue.json({"access_token": "t"}), interval=0.05) as rogue:
        url = rogue.url + "/token"
        ...
        rogue.requests        # raw request bytes as they arrived, one entry per request

Behaviours: ``answer`` (send ``answer`` at once), ``trickle`` (send it one byte per ``interval``),
``silent`` (read the request, never answer until stopped), ``close`` (read it, then hang up),
``huge`` (a 200 whose body goes on for ``huge_bytes``). ``gate`` (a ``threading.Barrier``) makes
the first request wait for the other peers sharing it before it is answered.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from typing import Any

__all__ = ["Rogue"]


class Rogue:
    """One listening socket; each connection is served by ``behaviour`` in its own thread."""

    BEHAVIOURS = ("answer", "trickle", "silent", "close", "huge")

    def __init__(self, behaviour: str = "answer", *, answer: bytes | None = None, interval: float = 0.05,
                 huge_bytes: int = 50 * 1024 * 1024, gate: threading.Barrier | None = None) -> None:
        if behaviour not in self.BEHAVIOURS:
            raise ValueError(behaviour)
        self.behaviour, self.interval, self.huge_bytes, self.gate = behaviour, interval, huge_bytes, gate
        self.answer = answer if answer is not None else self.response(200, b"ok")
        self.requests: list[bytes] = []
        self.stopped = threading.Event()
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._threads: list[threading.Thread] = []
        self._connections: list[socket.socket] = []
        self._accept = threading.Thread(target=self._serve, daemon=True)

    @staticmethod
    def response(status: int, body: bytes = b"", headers: dict[str, str] | None = None,
                 raw_headers: bytes = b"") -> bytes:
        head = f"HTTP/1.1 {status} X\r\nContent-Length: {len(body)}\r\nConnection: close\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        return head.encode("latin-1") + raw_headers + b"\r\n" + body

    @classmethod
    def json(cls, payload: Any, status: int = 200) -> bytes:
        return cls.response(status, json.dumps(payload).encode(), {"Content-Type": "application/json"})

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._sock.getsockname()[1]}"

    def __enter__(self) -> Rogue:
        self._accept.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopped.set()
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)  # wakes the accept() below
        self._sock.close()
        for connection in list(self._connections):
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        for thread in [self._accept, *self._threads]:
            thread.join(5)

    def _serve(self) -> None:
        while not self.stopped.is_set():
            try:
                connection, _ = self._sock.accept()
            except OSError:
                return
            self._connections.append(connection)
            thread = threading.Thread(target=self._handle, args=(connection,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _read_request(self, connection: socket.socket) -> bytes:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = connection.recv(65536)
            if not chunk:
                return data
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                       if line.lower().startswith(b"content-length:")), 0)
        while len(body) < length:
            chunk = connection.recv(65536)
            if not chunk:
                break
            body += chunk
        return head + b"\r\n\r\n" + body

    def _handle(self, connection: socket.socket) -> None:
        with connection, contextlib.suppress(OSError, threading.BrokenBarrierError):
            self.requests.append(self._read_request(connection))
            gate, self.gate = self.gate, None
            if gate is not None:
                gate.wait(5)
            getattr(self, "_" + self.behaviour)(connection)

    def _answer(self, connection: socket.socket) -> None:
        connection.sendall(self.answer)

    def _trickle(self, connection: socket.socket) -> None:
        for byte in self.answer:
            if self.stopped.wait(self.interval):
                return
            connection.sendall(bytes([byte]))

    def _silent(self, connection: socket.socket) -> None:
        self.stopped.wait(30)

    def _close(self, connection: socket.socket) -> None:
        connection.shutdown(socket.SHUT_RDWR)

    def _huge(self, connection: socket.socket) -> None:
        connection.sendall(f"HTTP/1.1 200 OK\r\nContent-Length: {self.huge_bytes}\r\n\r\n".encode())
        chunk = b"x" * 65536
        for _ in range(self.huge_bytes // len(chunk)):
            if self.stopped.is_set():
                return
            connection.sendall(chunk)
