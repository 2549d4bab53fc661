"""The HTTP server under the mock: keep-alive, body draining, prompt stop, and pytest-httpserver's API."""

from __future__ import annotations

import http.client
import io
import json
import logging
import socket
import threading
from collections.abc import Iterator

import httpx
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response
from werkzeug.exceptions import RequestEntityTooLarge

from pytest_lettr import LettrServer
from pytest_lettr.httpserver import DRAIN_LIMIT, ChunkedBody, LettrHTTPServer, mask_query


@pytest.fixture
def server() -> Iterator[LettrHTTPServer]:
    with LettrHTTPServer(host="127.0.0.1", port=0, threaded=True) as running:
        running.expect_request("/echo", method="POST").respond_with_handler(
            lambda request: Response(request.get_data(), content_type="text/plain"))
        running.expect_request("/ignore", method="POST").respond_with_data("ignored")
        running.expect_request("/hello").respond_with_json({"hello": "world"})
        yield running


def _connection(server: LettrHTTPServer) -> http.client.HTTPConnection:
    return http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)


def _exchange(connection: http.client.HTTPConnection, method: str, path: str, body: bytes | None = None,
              headers: dict[str, str] | None = None) -> tuple[int, bytes, http.client.HTTPResponse]:
    connection.request(method, path, body=body, headers=headers or {})
    response = connection.getresponse()
    return response.status, response.read(), response


def test_is_a_pytest_httpserver(server: LettrHTTPServer) -> None:
    assert isinstance(server, HTTPServer)
    assert httpx.get(server.url_for("/hello")).json() == {"hello": "world"}
    assert [request.path for request, _ in server.log] == ["/hello"]


def test_one_connection_serves_many_requests(server: LettrHTTPServer) -> None:
    connection = _connection(server)
    try:
        for i in range(5):
            status, body, response = _exchange(connection, "POST", "/echo", f"body {i}".encode())
            assert (status, body) == (200, f"body {i}".encode())
            assert response.getheader("Connection") is None  # HTTP/1.1: persistent by default
        first = connection.sock
        _exchange(connection, "GET", "/hello")
        assert connection.sock is first
    finally:
        connection.close()


def test_an_unread_body_is_drained_so_the_next_request_parses(server: LettrHTTPServer) -> None:
    connection = _connection(server)
    try:
        status, body, _ = _exchange(connection, "POST", "/ignore", b"x" * 200_000)  # the handler never reads it
        assert (status, body) == (200, b"ignored")
        status, body, _ = _exchange(connection, "GET", "/hello")
        assert status == 200 and json.loads(body) == {"hello": "world"}
    finally:
        connection.close()


@pytest.mark.parametrize(("headers", "why"), [
    ({"Connection": "close"}, "the client asked"),
    ({"Transfer-Encoding": "chunked"}, "chunked bodies are not drained"),
    ({"Content-Length": "abc"}, "the framing is unreadable"),
])
def test_connections_are_closed_when_they_cannot_be_reused(server: LettrHTTPServer, headers: dict[str, str],
                                                           why: str) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as raw:
        lines = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        body = "0\r\n\r\n" if "Transfer-Encoding" in headers else ""
        raw.sendall(f"POST /ignore HTTP/1.1\r\nHost: x\r\n{lines}\r\n{body}".encode())
        received = b""
        while chunk := raw.recv(65536):  # the server hangs up after answering
            received += chunk
    assert received.startswith(b"HTTP/1.1 200"), why
    assert b"Connection: close" in received


def _head_of_answer(port: int, head: bytes) -> bytes:
    """Send a request head announcing a body that never comes; the status line and headers back."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        raw.sendall(head)
        received = b""
        while b"\r\n\r\n" not in received and (chunk := raw.recv(65536)):
            received += chunk
    return received.partition(b"\r\n\r\n")[0]


def test_an_answer_that_leaves_more_body_than_can_be_drained_says_connection_close(server: LettrHTTPServer) -> None:
    head = _head_of_answer(server.port, b"POST /ignore HTTP/1.1\r\nHost: x\r\n"
                                        b"Content-Length: %d\r\n\r\n" % (DRAIN_LIMIT + 1))
    assert head.startswith(b"HTTP/1.1 200") and b"\r\nConnection: close" in head, head


def test_a_413_for_a_body_too_large_to_drain_says_connection_close(lettr_server: LettrServer) -> None:
    head = _head_of_answer(lettr_server.httpserver.port, (
        f"POST /v1/emails HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {lettr_server.admin_key}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {100 * 1024 * 1024}\r\n\r\n").encode())
    assert head.startswith(b"HTTP/1.1 413") and b"\r\nConnection: close" in head, head


def test_http_1_0_clients_get_one_request_per_connection(server: LettrHTTPServer) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as raw:
        raw.sendall(b"GET /hello HTTP/1.0\r\n\r\n")
        received = b""
        while chunk := raw.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200") and b"Connection: close" in head
    assert json.loads(body) == {"hello": "world"}


def test_the_single_threaded_server_closes_after_each_request() -> None:
    with LettrHTTPServer(host="127.0.0.1", port=0, threaded=False) as single:
        single.expect_request("/hello").respond_with_json({"hello": "world"})
        connection = _connection(single)
        try:
            status, _, response = _exchange(connection, "GET", "/hello")
            assert status == 200 and response.getheader("Connection") == "close"
        finally:
            connection.close()
        # a second client is not starved by the first one's open connection
        assert httpx.get(single.url_for("/hello")).status_code == 200


def test_stop_closes_idle_connections_and_ends_their_threads() -> None:
    single = LettrHTTPServer(host="127.0.0.1", port=0, threaded=True)
    single.expect_request("/hello").respond_with_json({"hello": "world"})
    single.start()
    connection = _connection(single)
    _exchange(connection, "GET", "/hello")
    port = single.port
    assert any(t.name == f"lettr-connection:{port}" for t in threading.enumerate())
    single.stop()
    assert not single.is_running()
    assert not [t for t in threading.enumerate() if t.name in (f"lettr-connection:{port}", f"lettr-httpserver:{port}")]
    assert connection.sock is not None and connection.sock.recv(1) == b""  # the server hung up
    connection.close()


def test_a_stopped_server_can_start_again() -> None:
    again = LettrHTTPServer(host="127.0.0.1", port=0, threaded=True)
    again.expect_request("/hello").respond_with_json({"hello": "world"})
    for _ in range(3):
        again.start()
        assert httpx.get(again.url_for("/hello")).status_code == 200
        again.stop()


def test_a_oneshot_handler_overrides_the_mock_once(lettr_server: LettrServer) -> None:
    lettr_server.httpserver.expect_oneshot_request("/v1/emails", method="GET").respond_with_json(
        {"error": {"code": "server_error", "message": "injected"}}, status=500)
    headers = {"Authorization": f"Bearer {lettr_server.admin_key}"}
    with httpx.Client(base_url=lettr_server.v1_url, headers=headers) as client:
        assert client.get("/emails").status_code == 500
        assert client.get("/emails").status_code == 200
    lettr_server.httpserver.check_assertions()


def test_mask_query_hides_secret_looking_values() -> None:
    assert mask_query("/v1/emails") == "/v1/emails"
    assert mask_query("/v1/emails?limit=5&to=a%40b.co") == "/v1/emails?limit=5&to=a%40b.co"
    masked = mask_query("/x?api_key=le_1&token=t&q=le_abcdef&sig=whsec_z&password=p&ok=1")
    assert masked == "/x?api_key=***&token=***&q=***&sig=***&password=***&ok=1"


def test_the_access_log_masks_keys_in_the_query(lettr_server: LettrServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="werkzeug")
    assert httpx.get(lettr_server.v1_url + "/emails", params={"api_key": lettr_server.admin_key}).status_code == 401
    lines = [r.getMessage() for r in caplog.records if r.name == "werkzeug"]
    assert any("/v1/emails?api_key=***" in line and "401" in line for line in lines), lines
    assert lettr_server.admin_key not in "\n".join(lines)


def _raw_exchange(server: LettrHTTPServer, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as raw:
        raw.sendall(request)
        raw.shutdown(socket.SHUT_WR)
        received = b""
        while chunk := raw.recv(65536):
            received += chunk
    return received


@pytest.mark.parametrize(("request_bytes", "status"), [
    (b"GET /hello HTTP/1.1\r\nHost: x\r\nX-Folded: a\r\n b\r\n\r\n", b"400"),
    (b"GET /hello HTTP/1.1\r\nHost : x\r\n\r\n", b"400"),
    (b"GET /hello HTTP/1.1\r\nNo colon here\r\n\r\n", b"400"),
    (b"GET /hello HTTP/1.1\r\nX-Nul: a\x00b\r\n\r\n", b"400"),
    (b"GET /hello HTTP/1.1\r\n" + b"X-A: 1\r\n" * 101 + b"\r\n", b"431"),
    (b"GET /hello HTTP/1.1\r\nX-Long: " + b"a" * 70_000 + b"\r\n\r\n", b"431"),
    (b"GET /hello HTTP/2.0\r\n\r\n", b"505"),
    (b"GET /hello HTTP/1.x\r\n\r\n", b"400"),
    (b"GET /hello\r\n\r\n", b"400"),
    (b"GET /hello HTTP/1.1 extra\r\n\r\n", b"400"),
])
def test_malformed_request_heads_are_refused(server: LettrHTTPServer, request_bytes: bytes, status: bytes) -> None:
    assert _raw_exchange(server, request_bytes).startswith(b"HTTP/1.1 " + status)
    assert httpx.get(server.url_for("/hello")).status_code == 200  # and the server carries on


def test_repeated_headers_reach_the_app_joined(server: LettrHTTPServer) -> None:
    server.expect_request("/seen").respond_with_handler(
        lambda request: Response(request.headers.get("X-Tag", ""), content_type="text/plain"))
    received = _raw_exchange(server, b"GET /seen HTTP/1.1\r\nHost: x\r\nX-Tag: a\r\nx-tag:  b \r\n\r\n")
    assert received.startswith(b"HTTP/1.1 200") and received.endswith(b"\r\n\r\na,b")


def test_expect_100_continue_is_answered_once(server: LettrHTTPServer) -> None:
    received = _raw_exchange(server, b"POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
                                     b"Content-Length: 5\r\nConnection: close\r\n\r\nhello")
    assert received.count(b"100 Continue") == 1
    assert received.endswith(b"\r\n\r\nhello")


# -- the chunked body reader and the access log of refused requests ---------------------------------

def _chunked(raw: bytes, limit: int = 1000) -> ChunkedBody:
    return ChunkedBody(io.BytesIO(raw), limit)


def test_a_chunked_body_is_read_across_chunks_extensions_and_trailers() -> None:
    body = _chunked(b"3;ext=1\r\nabc\r\nA\r\n0123456789\r\n0\r\nX-Trailer: t\r\n\r\nNEXT")
    assert [body.read(4), body.read(4), body.read(100), body.read(100)] == [b"abc0", b"1234", b"56789", b""]
    assert body._rfile.read() == b"NEXT"  # type: ignore[attr-defined]  # the next request is left alone


@pytest.mark.parametrize(("raw", "error"), [
    (b"5\r\nab", "ended early"),
    (b"3\r\nabcX\r\n", "terminating newline"),
    (b"zz\r\n", "Invalid chunk header"),
    (b"ffffffffffffffffffff\r\n", "Invalid chunk header"),
    (b"3", "ended early"),
    (b"3" * 1030, "too long"),
    (b"0\r\nX-Trailer: t", "ended early"),
])
def test_a_broken_chunked_body_raises_instead_of_hanging(raw: bytes, error: str) -> None:
    with pytest.raises(OSError, match=error):
        _chunked(raw).read()


def test_a_chunked_body_past_the_limit_is_refused() -> None:
    body = _chunked(b"4\r\nabcd\r\n4\r\nefgh\r\n0\r\n\r\n", limit=6)
    assert body.read(4) == b"abcd"
    with pytest.raises(RequestEntityTooLarge):
        body.read(4)


def test_a_refused_request_line_is_logged_with_its_secrets_masked(server: LettrHTTPServer,
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="werkzeug")
    received = _raw_exchange(server, b"GET /hello?api_key=le_secret1 HTTP/1.1 extra\r\n\r\n")
    assert received.startswith(b"HTTP/1.1 400")
    lines = "\n".join(r.getMessage() for r in caplog.records if r.name == "werkzeug")
    assert "/hello?api_key=***" in lines and " 400 " in lines
    assert "le_secret1" not in lines and b"le_secret1" not in received
