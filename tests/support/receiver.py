"""The one webhook receiver of the test suite: a live server on 127.0.0.1 (HTTP, or HTTPS with the
local CA) that records every POST and can also act as an OAuth2 token endpoint::

    with Receiver(client_id="hooks", client_secret="s3cret") as receiver:
        hook_url, token_url = receiver.url + "/hooks", receiver.url + "/token"
        receiver.script = [500, 200]          # answers for the next POSTs (then default_status)
        receiver.requests[0].json()           # what arrived (``receiver.tokens``: token requests)

POSTs are answered ``received`` with the next scripted status (``HANG``: no answer until the
receiver stops), else ``default_status``; with ``username``/``password`` (Basic) or
``client_id``/``client_secret`` (bearer tokens it handed out at ``/token``) other callers get 401.
"""

from __future__ import annotations

import base64
import hmac
import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from pytest_lettr.tls import local_ca

HANG = -1  # a scripted "status" that never answers (until the receiver stops)


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    client: str

    def json(self) -> Any:
        return json.loads(self.body)

    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.body.decode()).items()}


class Receiver:
    """Records every POST; answers with scripted statuses (then ``default_status``)."""

    def __init__(self, *, tls: bool = False, username: str | None = None, password: str | None = None,
                 client_id: str | None = None, client_secret: str | None = None, expires_in: int = 3600) -> None:
        self.username, self.password = username, password
        self.client_id, self.client_secret, self.expires_in = client_id, client_secret, expires_in
        self.requests: list[Received] = []
        self.tokens: list[Received] = []
        self.issued: list[str] = []
        self.revoked: set[str] = set()
        self.script: list[int] = []
        self.default_status = 200
        self.released = threading.Event()
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                received = Received(self.path, dict(self.headers.items()), self.rfile.read(length),
                                    self.client_address[0])
                status, content_type, body = receiver.answer(received)
                if status == HANG:
                    receiver.released.wait(10)
                    return
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", "/elsewhere")
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.scheme = "https" if tls else "http"
        if tls:
            self.server.socket = local_ca().server_ssl_context().wrap_socket(self.server.socket, server_side=True)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02},
                                       daemon=True)

    @property
    def url(self) -> str:
        host = "localhost" if self.scheme == "https" else "127.0.0.1"
        return f"{self.scheme}://{host}:{self.server.server_address[1]}"

    def start(self) -> Receiver:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.released.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)

    def __enter__(self) -> Receiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def answer(self, received: Received) -> tuple[int, str, bytes]:
        with self._lock:
            if received.path == "/token" and self.client_id is not None:
                self.tokens.append(received)
                status, body = self._token(received)
                return status, "application/json", json.dumps(body).encode()
            self.requests.append(received)
            if not self._authorized(received.headers.get("Authorization")):
                return 401, "application/json", b'{"error": "unauthorized"}'
            status = self.script.pop(0) if self.script else self.default_status
            return status, "text/plain", b"received"

    def _token(self, received: Received) -> tuple[int, dict[str, Any]]:
        form = received.form()
        if (form.get("grant_type") != "client_credentials"
                or not hmac.compare_digest(form.get("client_id", ""), self.client_id or "")
                or not hmac.compare_digest(form.get("client_secret", ""), self.client_secret or "")):
            return 401, {"error": "invalid_client"}
        token = f"tok-{len(self.issued) + 1}"
        self.issued.append(token)
        return 200, {"access_token": token, "token_type": "Bearer", "expires_in": self.expires_in}

    def _authorized(self, header: str | None) -> bool:
        if self.username is not None:
            expected = "Basic " + base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
            return header is not None and hmac.compare_digest(header, expected)
        if self.client_id is not None:
            token = (header or "").removeprefix("Bearer ")
            return token in self.issued and token not in self.revoked
        return True
