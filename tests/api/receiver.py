"""A webhook receiver on 127.0.0.1 that also serves an OAuth2 token endpoint (client credentials).

    with Receiver(client_id="hooks", client_secret="s3cret", username="u", password="p") as receiver:
        receiver.url("/hooks")           # where webhooks POST
        receiver.url("/token")           # the OAuth2 token URL
        receiver.hooks[0].json()         # what arrived (``receiver.tokens`` for token requests)

``/hooks`` answers ``hook_status`` (200) when the Authorization header is the expected Basic pair
or one of the bearer tokens handed out (and not revoked), else 401. ``/token`` checks the
form-encoded client credentials and hands out ``tok-1``, ``tok-2``, … valid ``expires_in`` seconds.
"""

from __future__ import annotations

import base64
import hmac
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.body.decode()).items()}


@dataclass
class Receiver:
    username: str | None = None
    password: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    expires_in: int = 3600
    hook_status: int = 200
    hooks: list[Received] = field(default_factory=list)
    tokens: list[Received] = field(default_factory=list)
    issued: list[str] = field(default_factory=list)
    revoked: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                received = Received(self.path, dict(self.headers.items()), self.rfile.read(length))
                status, body = receiver.handle(received)
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def handle(self, received: Received) -> tuple[int, dict[str, Any]]:
        with self._lock:
            if received.path == "/token":
                self.tokens.append(received)
                return self._token(received)
            self.hooks.append(received)
            if not self._authorized(received.headers.get("Authorization")):
                return 401, {"error": "unauthorized"}
            return self.hook_status, {"ok": self.hook_status < 300}

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
