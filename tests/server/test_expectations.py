"""A test's own pytest-httpserver expectations win over the mock, whatever their kind; the mock
answers everything they do not match (all through real HTTP). And the mock always has both dialects::

    lettr_server.httpserver.expect_request("/v1/emails", method="POST").respond_with_json({...}, status=503)
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable

import httpx
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from pytest_lettr import LettrServer
from pytest_lettr.httpserver import LettrHTTPServer

V1 = Callable[..., httpx.Client]
EMAIL = {"from": "app@example.com", "to": "ada@example.com", "subject": "Hi", "text": "Hello"}
OUTAGE = {"error": {"code": "server_error", "message": "injected"}}


def _logged(server: LettrServer) -> list[tuple[str, str, int]]:
    return [(request.method, request.path, response.status_code) for request, response in server.httpserver.log]


def test_a_permanent_expectation_overrides_the_mock_every_time(v1: V1, lettr_server: LettrServer) -> None:
    lettr_server.httpserver.expect_request("/v1/emails", method="POST").respond_with_json(OUTAGE, status=503)
    client = v1()
    for _ in range(3):
        response = client.post("/emails", json=EMAIL)
        assert response.status_code == 503 and response.json() == OUTAGE
    assert len(lettr_server.emails) == 0  # the mock never saw them
    listing = client.get("/emails")  # another method on the same path: the mock
    assert listing.status_code == 200 and listing.json()["totalCount"] == 0
    lettr_server.httpserver.check_assertions()
    assert _logged(lettr_server) == [("POST", "/v1/emails", 503)] * 3 + [("GET", "/v1/emails", 200)]


def test_a_permanent_expectation_on_the_current_api_overrides_it(lettr_server: LettrServer) -> None:
    lettr_server.httpserver.expect_request("/api/health").respond_with_json({"status": "down"}, status=503)
    with httpx.Client(base_url=lettr_server.api_url) as client:
        assert client.get("/health").status_code == 503
        assert client.get("/health").json() == {"status": "down"}
        unauthenticated = client.get("/domains")  # the mock still answers the rest of /api
    assert unauthenticated.status_code == 401 and unauthenticated.json() == {"message": "API key is required."}
    lettr_server.httpserver.log.clear()  # the injected /health body is not the spec's shape


def test_a_oneshot_expectation_overrides_the_mock_once(v1: V1, lettr_server: LettrServer) -> None:
    lettr_server.httpserver.expect_oneshot_request("/v1/emails", method="POST").respond_with_json(OUTAGE,
                                                                                                   status=500)
    client = v1()
    assert client.post("/emails", json=EMAIL).status_code == 500
    assert client.post("/emails", json=EMAIL).status_code == 200
    assert len(lettr_server.emails) == 1
    lettr_server.httpserver.check_assertions()
    assert _logged(lettr_server) == [("POST", "/v1/emails", 500), ("POST", "/v1/emails", 200)]


def test_ordered_expectations_answer_in_order_then_the_mock_takes_over(v1: V1, lettr_server: LettrServer) -> None:
    httpserver = lettr_server.httpserver
    httpserver.expect_ordered_request("/v1/emails", method="POST").respond_with_json(OUTAGE, status=503)
    httpserver.expect_ordered_request("/v1/emails", method="POST").respond_with_data("slow down", status=429)
    client = v1()
    assert client.post("/emails", json=EMAIL).status_code == 503
    assert client.post("/emails", json=EMAIL).text == "slow down"
    assert client.post("/emails", json=EMAIL).status_code == 200  # both used up: the mock
    assert client.get("/emails").json()["totalCount"] == 1
    httpserver.check_assertions()


def test_breaking_the_order_fails_as_pytest_httpserver_makes_it_fail(v1: V1, lettr_server: LettrServer) -> None:
    httpserver = lettr_server.httpserver
    httpserver.expect_ordered_request("/v1/emails", method="POST").respond_with_json(OUTAGE, status=503)
    client = v1()
    assert client.get("/emails").status_code == 500  # not the expected request: the mock does not answer
    assert client.post("/emails", json=EMAIL).status_code == 500  # and the server stays failed
    assert len(lettr_server.emails) == 0
    with pytest.raises(AssertionError, match="No handler found"):
        httpserver.check_assertions()
    httpserver.clear_assertions()


def test_the_mock_serves_what_no_expectation_matches(v1: V1, lettr_server: LettrServer) -> None:
    httpserver = lettr_server.httpserver
    httpserver.expect_request("/v1/domains").respond_with_json({"data": []})
    httpserver.expect_oneshot_request("/v1/emails", method="GET").respond_with_data("", status=504)
    client = v1()
    assert client.post("/emails", json=EMAIL).status_code == 200
    assert client.get("/team/members").status_code == 200
    assert client.get("/no-such-endpoint").status_code == 404
    assert client.get("/domains").json() == {"data": []}
    assert client.get("/emails").status_code == 504
    assert client.get("/emails").json()["totalCount"] == 1
    httpserver.check_assertions()  # nothing went unanswered
    assert [path for _, path, _ in _logged(lettr_server)] == [
        "/v1/emails", "/v1/team/members", "/v1/no-such-endpoint", "/v1/domains", "/v1/emails", "/v1/emails"]


def test_expectations_end_with_the_account() -> None:
    with LettrServer(seed="expectations") as server:
        server.httpserver.expect_request("/v1/emails").respond_with_data("stale", status=418)
        assert httpx.get(server.v1_url + "/emails").status_code == 418
        server.reset()
        response = httpx.get(server.v1_url + "/emails", headers={"Authorization": f"Bearer {server.admin_key}"})
        assert response.status_code == 200 and server.httpserver.log[-1][1].status_code == 200


def test_the_fallback_of_a_bare_server() -> None:
    with LettrHTTPServer(host="127.0.0.1", port=0, threaded=True) as server:
        assert httpx.get(server.url_for("/anything")).status_code == 500  # no fallback: pytest-httpserver's answer
        with pytest.raises(AssertionError, match="No handler found"):
            server.check_assertions()

        def fallback(request: Request) -> Response:
            return Response(f"fallback {request.method} {request.path}")

        server.fallback = fallback
        server.expect_request("/known").respond_with_data("expected")
        assert httpx.get(server.url_for("/known")).text == "expected"
        assert httpx.post(server.url_for("/other")).text == "fallback POST /other"
        server.check_assertions()
        assert [(request.path, response.get_data()) for request, response in server.log][1:] == [
            ("/known", b"expected"), ("/other", b"fallback POST /other")]
    assert isinstance(server, HTTPServer)


def test_both_dialects_are_always_installed() -> None:
    server = LettrServer(seed="dialects")
    assert sorted(server.dialects) == ["/api", "/v1"]


def test_a_broken_current_api_import_fails_loudly_instead_of_serving_404s() -> None:
    """If ``pytest_lettr.dialects.api`` cannot be imported, importing the server says so (the
    package itself loads the server only when it is first asked for)."""
    script = ("import sys\n"
              "sys.modules['pytest_lettr.dialects.api'] = None  # its import raises ModuleNotFoundError\n"
              "from pytest_lettr import LettrServer\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode != 0
    assert "ModuleNotFoundError: import of pytest_lettr.dialects.api halted" in result.stderr
