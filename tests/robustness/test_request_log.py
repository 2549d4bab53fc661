"""The server's request log: bounded, cleared with the account, no secret in the clear, and no body
read before the key is checked."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import httpx
import lettr
import pytest
from pytest_httpserver import RequestMatcher
from support import client_for
from werkzeug.wrappers import Request, Response

from pytest_lettr import LettrServer
from pytest_lettr.requestlog import BODY_LIMIT, RequestLog

SEND = {"from": "shop@example.com", "to": ["ada@example.com"], "subject": "Receipt", "text": "Thanks"}
TEN_MIB = 10 * 1024 * 1024


@pytest.fixture
def standalone() -> Iterator[LettrServer]:
    with LettrServer(seed=7, request_log=5) as server:
        yield server


def _logged_text(server: LettrServer) -> str:
    """Everything the log holds, as one string: request lines, headers, bodies; response headers, bodies."""
    parts = []
    for request, response in server.httpserver.log:
        parts += [request.full_path, str(request.headers), request.get_data(as_text=True),
                  str(response.headers), response.get_data(as_text=True)]
    return "\n".join(parts)


def test_the_log_keeps_only_the_newest_exchanges(standalone: LettrServer) -> None:
    with httpx.Client(base_url=standalone.url) as client:
        for n in range(12):
            assert client.get("/api/health", params={"n": n}).status_code == 200
    assert [request.args["n"] for request, _ in standalone.httpserver.log] == ["7", "8", "9", "10", "11"]


def test_the_log_is_bounded_in_bytes_too() -> None:
    log = RequestLog(max_entries=100, max_bytes=5000)
    for n in range(10):
        environ = {"REQUEST_METHOD": "POST", "PATH_INFO": f"/{n}", "SERVER_NAME": "x", "SERVER_PORT": "1",
                   "wsgi.url_scheme": "http"}
        log.record(Request(environ), b"x" * 2000, Response(b"y" * 100))
    assert [request.path for request, _ in log] == ["/8", "/9"]


def test_a_body_is_kept_up_to_the_limit(lettr_server: LettrServer) -> None:
    big = dict(SEND, text="x" * (BODY_LIMIT * 2))
    with client_for(lettr_server) as client:
        assert client.post("/emails", json=big).status_code == 200
    request, _ = lettr_server.httpserver.log[-1]
    assert len(request.get_data()) == BODY_LIMIT


def test_the_log_is_cleared_with_the_account(lettr_server: LettrServer) -> None:
    with client_for(lettr_server) as client:
        client.post("/emails", json=SEND)
    assert len(lettr_server.httpserver.log) == 1
    lettr_server.reset("another test")
    assert len(lettr_server.httpserver.log) == 0


def test_what_a_handler_read_is_logged_and_matches(lettr_server: LettrServer) -> None:
    with client_for(lettr_server, headers={"Idempotency-Key": "order-1042"}) as client:
        assert client.post("/emails", json=SEND).status_code == 200
    request, response = lettr_server.httpserver.log[-1]
    assert request.get_json() == SEND
    assert request.headers["Authorization"] == "Bearer ***"
    assert request.headers["Idempotency-Key"] == "order-1042"  # not a secret
    assert response.status_code == 200 and response.get_json()["id"] == lettr_server.emails[-1].id
    lettr_server.httpserver.assert_request_made(RequestMatcher("/v1/emails", method="POST", json=SEND))


def test_no_secret_is_logged_in_the_clear(lettr_server: LettrServer) -> None:
    secrets = [lettr_server.admin_key]
    with client_for(lettr_server) as client:
        created = client.post("/api-keys", json={"name": "ci", "permissions": ["emails:send"]}).json()
        secrets.append(created["key"])
        hook = client.post("/webhooks", json={"url": "http://127.0.0.1:9/h", "events": ["email.sent"]}).json()
        secrets.append(hook["secret"])
        rotated = client.post(f"/webhooks/{hook['id']}/rotate-secret").json()
        secrets.append(rotated["secret"])
        refused = client.get("/emails", params={"api_key": created["key"]})
        assert refused.status_code == 401
    sdk = lettr.Lettr(lettr_server.admin_key, base_url=lettr_server.api_url)
    sdk.webhooks.create(name="Basic", url="https://hooks.example/b", auth_type="basic", auth_username="u",
                        auth_password="basic-password-value", events_mode="all")
    sdk.webhooks.create(name="OAuth", url="https://hooks.example/o", auth_type="oauth2", oauth_client_id="id",
                        oauth_client_secret="oauth-secret-value", oauth_token_url="https://auth.example/t",
                        events_mode="all")
    secrets += ["basic-password-value", "oauth-secret-value"]
    logged = _logged_text(lettr_server)
    assert "/v1/api-keys" in logged and "basic-password-value" not in logged
    assert [secret for secret in secrets if secret in logged] == []
    assert "api_key=***" in logged and '"name":"ci"' in logged  # masked, not dropped


def _refused_unread(server: LettrServer, path: str, authorization: str | None) -> bytes:
    """Send the head of a 10 MiB POST and no body; return what the server answers meanwhile."""
    with socket.create_connection(("127.0.0.1", server.httpserver.port), timeout=10) as sock:
        head = (f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                f"Content-Length: {TEN_MIB}\r\n")
        if authorization:
            head += f"Authorization: {authorization}\r\n"
        sock.sendall((head + "\r\n").encode())
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
        return answer


@pytest.mark.parametrize("path", ["/v1/emails", "/api/emails"])
@pytest.mark.parametrize("authorization", [None, "Bearer le_" + "x" * 36, "Basic abc"])
def test_a_refused_request_is_answered_before_its_body_is_read(lettr_server: LettrServer, path: str,
                                                               authorization: str | None) -> None:
    answer = _refused_unread(lettr_server, path, authorization)  # a read of the body would wait forever
    assert answer.startswith(b"HTTP/1.1 401 "), answer[:200]
    request, response = lettr_server.httpserver.log[-1]
    assert response.status_code == 401 and request.get_data() == b""
    assert len(lettr_server.emails) == 0


def test_a_key_without_the_permission_is_refused_before_the_body_is_read(lettr_server: LettrServer) -> None:
    reader = lettr_server.create_key("reader", permissions=["emails:read"])
    answer = _refused_unread(lettr_server, "/v1/emails", f"Bearer {reader.key}")
    assert answer.startswith(b"HTTP/1.1 403 "), answer[:200]
