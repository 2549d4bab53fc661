"""Lettr's documented limits: 3 requests a second per team, the auth-failure lockout, quotas by
recipient. Reported always; enforced with one switch (``enforce_limits``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone

import httpx
import lettr
import pytest

from pytest_lettr import LettrServer
from pytest_lettr.cli import build_parser
from pytest_lettr.state import CreatedKey

from .conftest import send_kwargs

START = datetime(2026, 2, 14, 15, 30, tzinfo=timezone.utc)
RATE_LIMITED = {"message": "Rate limit exceeded. Please slow down your requests.", "error_code": "rate_limit_exceeded"}


@pytest.fixture
def frozen(lettr_server: LettrServer) -> LettrServer:
    lettr_server.clock.set(START, frozen=True)  # windows are aligned to the second
    return lettr_server


def http_for(server: LettrServer, key: str | None, **headers: str) -> httpx.Client:
    if key is not None:
        headers["Authorization"] = f"Bearer {key}"
    return httpx.Client(base_url=server.api_url, headers=headers)


def test_the_team_window_is_reported_but_not_enforced_by_default(frozen: LettrServer, api_key: CreatedKey) -> None:
    with http_for(frozen, api_key.key) as http:
        answers = [http.get("/domains") for _ in range(5)]
    assert [a.status_code for a in answers] == [200] * 5
    assert [a.headers["X-RateLimit-Limit"] for a in answers] == ["3"] * 5
    assert [a.headers["X-RateLimit-Remaining"] for a in answers] == ["2", "1", "0", "0", "0"]
    assert answers[0].headers["X-RateLimit-Reset"] == str(int(START.timestamp()) + 1)


@pytest.mark.lettr(enforce_limits=True)
def test_the_team_window_is_shared_by_every_key(frozen: LettrServer, api_key: CreatedKey) -> None:
    other = frozen.create_key("second", mode="api")
    with http_for(frozen, api_key.key) as first, http_for(frozen, other.key) as second:
        assert [first.get("/domains").status_code, second.get("/domains").status_code,
                first.get("/domains").status_code] == [200, 200, 200]
        refused = second.get("/domains")
        assert refused.status_code == 429 and refused.json() == RATE_LIMITED
        assert (refused.headers["Retry-After"], refused.headers["X-RateLimit-Remaining"]) == ("1", "0")
        frozen.clock.advance(seconds=1)
        assert first.get("/domains").status_code == 200


@pytest.mark.lettr(enforce_limits=True)
def test_the_sdk_sees_a_rate_limit_error(frozen: LettrServer, client: lettr.Lettr) -> None:
    for _ in range(3):
        client.domains.list()
    with pytest.raises(lettr.RateLimitError) as caught:
        client.domains.list()
    assert (caught.value.error_code, caught.value.message) == (RATE_LIMITED["error_code"], RATE_LIMITED["message"])


@pytest.mark.lettr(rate_limit=(2, 60))
def test_a_window_the_test_sets_still_applies_and_is_reported(frozen: LettrServer, api_key: CreatedKey) -> None:
    with http_for(frozen, api_key.key) as http:
        first = http.get("/domains")
        assert (first.headers["X-RateLimit-Limit"], first.headers["X-RateLimit-Remaining"]) == ("2", "1")
        http.get("/domains")
        assert http.get("/domains").status_code == 429


def test_the_switch_can_be_turned_on_mid_test(frozen: LettrServer, api_key: CreatedKey) -> None:
    assert frozen.enforce_limits is False
    frozen.enforce_limits = True
    with http_for(frozen, api_key.key) as http:
        assert [http.get("/domains").status_code for _ in range(4)] == [200, 200, 200, 429]


def _fail(server: LettrServer, times: int, ip: str = "198.51.100.7") -> list[int]:
    with http_for(server, "lttr_" + "x" * 64, **{"X-Forwarded-For": ip}) as http:
        return [http.get("/domains").status_code for _ in range(times)]


@pytest.mark.lettr(enforce_limits=True, trust_forwarded_for=True)
def test_five_failed_authentications_lock_the_address_out(frozen: LettrServer, api_key: CreatedKey) -> None:
    assert _fail(frozen, 5) == [401] * 5
    with http_for(frozen, api_key.key, **{"X-Forwarded-For": "198.51.100.7"}) as locked:
        refused = locked.get("/domains")  # even a valid key, from that address
        assert refused.status_code == 429 and refused.json() == RATE_LIMITED
        assert refused.headers["Retry-After"] == "900"
        with http_for(frozen, api_key.key, **{"X-Forwarded-For": "203.0.113.9"}) as elsewhere:
            assert elsewhere.get("/domains").status_code == 200  # another address is not blocked
        frozen.clock.advance(minutes=14, seconds=59)
        assert locked.get("/domains").headers["Retry-After"] == "1"
        frozen.clock.advance(seconds=1)
        assert locked.get("/domains").status_code == 200


@pytest.mark.lettr(enforce_limits=True, trust_forwarded_for=True)
def test_failures_count_within_five_minutes_only(frozen: LettrServer) -> None:
    assert _fail(frozen, 4) == [401] * 4
    frozen.clock.advance(minutes=5)
    assert _fail(frozen, 4) == [401] * 4  # the first four fell out of the window
    assert _fail(frozen, 2) == [401, 429]


@pytest.mark.lettr(trust_forwarded_for=True)
def test_no_lockout_without_the_switch(frozen: LettrServer) -> None:
    assert _fail(frozen, 8) == [401] * 8


@pytest.mark.lettr(plan="free")
def test_the_quota_counts_recipients(frozen: LettrServer, client: lettr.Lettr, api_key: CreatedKey) -> None:
    frozen.quota.policy.daily_limit = 4
    client.emails.send(**send_kwargs(to=["a@example.com", "b@example.com"], cc=["c@example.com"]))
    with http_for(frozen, api_key.key) as http:
        body = {"from": "app@example.com", "to": ["d@example.com", "e@example.com"], "subject": "s", "text": "t"}
        refused = http.post("/emails", json=body)
        assert refused.status_code == 429 and refused.json()["error_code"] == "daily_quota_exceeded"
        assert refused.headers["X-Daily-Remaining"] == "1"
        body["to"] = ["d@example.com"]
        sent = http.post("/emails", json=body)
        assert sent.status_code == 200 and sent.headers["X-Daily-Remaining"] == "0"
    assert len(frozen.emails) == 2


def test_the_command_line_has_the_switch() -> None:
    assert build_parser().parse_args(["serve", "--enforce-limits"]).enforce_limits is True
    assert build_parser().parse_args(["serve"]).enforce_limits is False


def test_a_server_can_start_with_the_switch_on(make_client: Callable[[str], lettr.Lettr]) -> None:
    with LettrServer(enforce_limits=True, smtp=False) as server:
        key = server.create_key(mode="api").key
        with http_for(server, key) as http:
            server.clock.set(START, frozen=True)
            assert [http.get("/domains").status_code for _ in range(4)] == [200, 200, 200, 429]
        server.reset()
        assert server.enforce_limits is True  # the server's default outlives an account
