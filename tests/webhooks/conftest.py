"""A live webhook receiver on 127.0.0.1 (plain HTTP or HTTPS with the local CA) for delivery tests."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from support import HANG, Received, Receiver

__all__ = ["HANG", "KeepAliveReceiver", "Received", "Receiver"]


class KeepAliveReceiver:
    """HTTP/1.1 with persistent connections; records (connection port, event id) per POST."""

    def __init__(self) -> None:
        self.seen: list[tuple[int, str]] = []
        self.close_next = False
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.seen.append((self.client_address[1], json.loads(body)["id"]))
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()
                if receiver.close_next:  # answer, then hang up without saying so
                    receiver.close_next = False
                    self.wfile.flush()
                    self.close_connection = True

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02},
                                       daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> KeepAliveReceiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def tls_receiver() -> Iterator[Receiver]:
    server = Receiver(tls=True).start()
    try:
        yield server
    finally:
        server.stop()
