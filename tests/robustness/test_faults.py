"""Faults on demand through the wire: statuses in each dialect's envelope, drops, truncation,
latency, counts, probabilities (seeded), matching, and faulted requests that never reach the account."""

from __future__ import annotations

import re
import threading
import time

import httpx
import lettr
import pytest
from support import assert_api_error, assert_v1_error, client_for

from pytest_lettr import LettrServer

V1_SEND = {"from": "shop@example.com", "to": ["ada@example.com"], "subject": "Receipt", "text": "Thanks"}
API_SEND = {"from": "shop@example.com", "to": ["ada@example.com"], "subject": "Receipt", "text": "Thanks"}

V1_CODES = {429: "rate_limit_exceeded", 500: "server_error", 502: "transmission_failed", 503: "service_unavailable",
            504: "gateway_timeout"}
API_CODES = {429: "rate_limit_exceeded", 500: "send_error", 502: "transmission_failed",
             503: "service_unavailable", 504: "gateway_timeout"}


@pytest.mark.parametrize("status", sorted(V1_CODES))
def test_a_status_on_v1_has_v1s_envelope_and_stores_nothing(lettr_server: LettrServer, status: int) -> None:
    fault = lettr_server.faults.add(method="POST", path="/v1/emails", status=status)
    with client_for(lettr_server) as client:
        response = client.post("/emails", json=V1_SEND)
    assert_v1_error(response, status, V1_CODES[status])
    assert fault.hits == 1 and len(lettr_server.emails) == 0


@pytest.mark.parametrize("status", sorted(API_CODES))
def test_a_status_on_api_has_the_current_apis_envelope(lettr_server: LettrServer, status: int) -> None:
    lettr_server.faults.add(dialect="api", status=status)
    with client_for(lettr_server, dialect="api") as client:
        response = client.post("/emails", json=API_SEND)
    assert_api_error(response, status, API_CODES[status])
    assert len(lettr_server.emails) == 0


def test_503_with_retry_after_then_the_fake_answers(lettr_server: LettrServer) -> None:
    outage = lettr_server.faults.add(method="POST", path="/api/emails", status=503, retry_after=2, times=2)
    sdk = lettr.Lettr(lettr_server.admin_key, base_url=lettr_server.api_url)
    with client_for(lettr_server, dialect="api") as client:
        first = client.post("/emails", json=API_SEND)
        assert first.headers["Retry-After"] == "2"
        with pytest.raises(lettr.ServerError):
            sdk.emails.send(from_email="shop@example.com", to=["ada@example.com"], subject="Hi", text="x")
        assert client.post("/emails", json=API_SEND).status_code == 200
    assert (outage.hits, outage.active, len(lettr_server.emails)) == (2, False, 1)


@pytest.mark.parametrize("dialect", ["v1", "api"])
def test_429_carries_retry_after_and_a_used_up_window(lettr_server: LettrServer, dialect: str) -> None:
    lettr_server.faults.add(path=f"/{dialect}/*", status=429, retry_after=7)
    with client_for(lettr_server, dialect=dialect) as client:  # type: ignore[arg-type]
        response = client.get("/emails")
    assert response.status_code == 429 and response.headers["Retry-After"] == "7"
    assert response.headers["X-RateLimit-Remaining"] == "0"
    reset = int(response.headers["X-RateLimit-Reset"])
    assert reset == lettr_server.clock.timestamp() + 7 or reset == lettr_server.clock.timestamp() + 6
    if dialect == "v1":
        assert assert_v1_error(response, 429, "rate_limit_exceeded")["retryAfter"] == 7


def test_a_dropped_connection_stores_nothing(lettr_server: LettrServer) -> None:
    lettr_server.faults.add(method="POST", path="/v1/emails", drop=True, times=1)
    with client_for(lettr_server) as client:
        with pytest.raises(httpx.RemoteProtocolError):
            client.post("/emails", json=V1_SEND)
        assert len(lettr_server.emails) == 0
        assert client.post("/emails", json=V1_SEND).status_code == 200  # the client reconnects
    assert len(lettr_server.emails) == 1


def test_a_drop_after_commit_stores_the_email_once(lettr_server: LettrServer) -> None:
    lettr_server.faults.add(method="POST", path="/v1/emails", drop=True, after_commit=True, times=1)
    with client_for(lettr_server) as client, pytest.raises(httpx.RemoteProtocolError):
        client.post("/emails", json=V1_SEND)
    assert len(lettr_server.emails) == 1


@pytest.mark.parametrize(("options", "stored"), [({"status": 502}, 0), ({"after_commit": True}, 1)])
def test_a_truncated_body_is_cut_short(lettr_server: LettrServer, options: dict[str, object], stored: int) -> None:
    lettr_server.faults.add(method="POST", path="/v1/emails", truncate=True, **options)  # type: ignore[arg-type]
    with client_for(lettr_server) as client, pytest.raises(httpx.RemoteProtocolError, match="complete message body"):
        client.post("/emails", json=V1_SEND)
    assert len(lettr_server.emails) == stored


def test_a_delay_makes_a_client_time_out_then_the_request_is_served(lettr_server: LettrServer) -> None:
    slow = lettr_server.faults.add(method="POST", path="/v1/emails", delay=30)
    with client_for(lettr_server, timeout=0.3) as client, pytest.raises(httpx.ReadTimeout):
        client.post("/emails", json=V1_SEND)
    assert slow.hits == 1 and len(lettr_server.emails) == 0  # still waiting: nothing stored yet
    lettr_server.faults.clear()  # ends the wait; the delayed request goes on to the fake
    deadline = time.monotonic() + 10
    while len(lettr_server.emails) == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(lettr_server.emails) == 1


def test_after_and_times_pick_which_requests_fail(lettr_server: LettrServer) -> None:
    lettr_server.faults.add(method="GET", path="/api/health", status=500, after=2, times=2)
    with httpx.Client(base_url=lettr_server.api_url) as client:
        statuses = [client.get("/health").status_code for _ in range(6)]
    assert statuses == [200, 200, 500, 500, 200, 200]


def _flaky_statuses(seed: int) -> list[int]:
    with LettrServer(seed=seed) as server:
        server.reset("tests/test_x.py::test_flaky")
        server.faults.add(path="/api/health", status=503, probability=0.5)
        with httpx.Client(base_url=server.api_url) as client:
            return [client.get("/health").status_code for _ in range(30)]


def test_a_probability_is_seeded_so_a_flaky_run_reproduces() -> None:
    first, again, other = _flaky_statuses(3), _flaky_statuses(3), _flaky_statuses(4)
    assert first == again
    assert 0 < first.count(503) < 30 and first != other


def test_paths_match_as_globs_or_regular_expressions(lettr_server: LettrServer) -> None:
    with client_for(lettr_server) as client:
        email_id = client.post("/emails", json=V1_SEND).json()["id"]
        lettr_server.faults.add(method="get", path=re.compile(r"/v1/emails/[^/]+"), status=500)
        assert client.get(f"/emails/{email_id}").status_code == 500
        assert client.get("/emails").status_code == 200  # the whole path must match
        assert client.post("/emails", json=V1_SEND).status_code == 200  # another method
        lettr_server.faults.clear()
        lettr_server.faults.add(path="/v1/domain?", status=502)
        assert client.get("/domains").status_code == 502
        assert client.get("/emails").status_code == 200


def test_faults_apply_to_the_tests_own_expectations(lettr_server: LettrServer) -> None:
    lettr_server.httpserver.expect_request("/custom").respond_with_data("mine")
    lettr_server.faults.add(path="/custom", status=503, times=1)
    assert_v1_error(httpx.get(lettr_server.url + "/custom"), 503, "service_unavailable")
    assert httpx.get(lettr_server.url + "/custom").text == "mine"


def test_a_handle_is_removed_and_faults_go_with_the_account(lettr_server: LettrServer) -> None:
    fault = lettr_server.faults.add(path="/api/health", status=500)
    assert httpx.get(lettr_server.api_url + "/health").status_code == 500
    fault.remove()
    assert httpx.get(lettr_server.api_url + "/health").status_code == 200
    assert not fault.active and fault.hits == 1
    lettr_server.faults.add(path="/api/health", status=500)
    lettr_server.reset("the next test")
    assert len(lettr_server.faults) == 0
    assert httpx.get(lettr_server.api_url + "/health").status_code == 200


@pytest.mark.parametrize(("options", "message"), [
    ({"status": 418}, "status must be one of"),
    ({}, "nothing to inject"),
    ({"truncate": True}, "pass after_commit=True"),
    ({"status": 503, "drop": True}, "not both"),
    ({"status": 503, "retry_after": 1.5}, "whole number"),
    ({"drop": True, "times": 0}, "times must be"),
    ({"drop": True, "probability": 0}, "probability"),
    ({"drop": True, "dialect": "v2"}, "dialect"),
])
def test_a_fault_that_makes_no_sense_is_refused(lettr_server: LettrServer, options: dict[str, object],
                                                message: str) -> None:
    with pytest.raises(ValueError, match=message):
        lettr_server.faults.add(**options)  # type: ignore[arg-type]
    assert len(lettr_server.faults) == 0


def test_stop_ends_a_delay_at_once_and_leaves_no_thread() -> None:
    before = set(threading.enumerate())  # other servers of this process (a session's) keep theirs
    server = LettrServer(seed=1).start()
    slow = server.faults.add(path="/api/health", delay=60)
    outcome: list[object] = []
    client = threading.Thread(target=lambda: outcome.append(_get_or_error(server.api_url + "/health")))
    client.start()
    deadline = time.monotonic() + 10
    while slow.hits == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    server.stop()
    client.join(10)
    assert outcome and not client.is_alive()
    left = [t for t in threading.enumerate() if t.name.startswith("lettr-connection:") and t not in before]
    for thread in left:
        thread.join(1)  # the released handler finishes writing to a closed socket
    assert not [t for t in left if t.is_alive()]


def _get_or_error(url: str) -> object:
    try:
        return httpx.get(url, timeout=30).status_code
    except httpx.HTTPError as error:
        return error
