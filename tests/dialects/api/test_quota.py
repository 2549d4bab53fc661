"""The free plan's sending quota: headers on every send, 429 once the day or month is used up."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import httpx
import lettr
import pytest

from pytest_lettr import LettrServer
from pytest_lettr.state import CreatedKey

from .conftest import send_kwargs

BODY = {"from": "a@example.com", "to": ["b@example.com"], "subject": "s", "text": "t"}


@pytest.fixture
def http(lettr_server: LettrServer, api_key: CreatedKey) -> httpx.Client:
    return httpx.Client(base_url=lettr_server.api_url, headers={"Authorization": f"Bearer {api_key.key}"})


@pytest.mark.lettr(plan="free")
def test_free_plan_sends_carry_quota_headers(lettr_server: LettrServer, http: httpx.Client) -> None:
    lettr_server.clock.set(datetime(2026, 2, 14, 15, 30, tzinfo=timezone.utc), frozen=True)
    first = http.post("/emails", json=BODY)
    assert first.status_code == 200
    assert first.headers["X-Monthly-Limit"] == "3000" and first.headers["X-Monthly-Remaining"] == "2999"
    assert first.headers["X-Daily-Limit"] == "100" and first.headers["X-Daily-Remaining"] == "99"
    assert first.headers["X-Monthly-Reset"] == str(int(datetime(2026, 3, 1, tzinfo=timezone.utc).timestamp()))
    assert first.headers["X-Daily-Reset"] == str(int(datetime(2026, 2, 15, tzinfo=timezone.utc).timestamp()))
    assert http.post("/emails", json=BODY).headers["X-Daily-Remaining"] == "98"
    assert "X-Monthly-Limit" not in http.get("/domains").headers


def test_other_plans_have_no_quota_headers(http: httpx.Client) -> None:
    assert "X-Monthly-Limit" not in http.post("/emails", json=BODY).headers


@pytest.mark.lettr(plan="free")
def test_daily_quota(lettr_server: LettrServer, client: lettr.Lettr, http: httpx.Client) -> None:
    lettr_server.clock.freeze()  # the day starts at midnight UTC
    lettr_server.quota.policy.daily_limit = 2
    client.emails.send(**send_kwargs())
    client.emails.schedule(scheduled_at=lettr_server.clock.now() + timedelta(hours=1), **send_kwargs())
    with pytest.raises(lettr.RateLimitError) as caught:
        client.emails.send(**send_kwargs())
    assert caught.value.error_code == "daily_quota_exceeded"
    assert caught.value.message == "Daily sending quota exceeded. Please try again tomorrow."
    refused = http.post("/emails", json=BODY)
    assert refused.status_code == 429 and refused.headers["X-Daily-Remaining"] == "0"
    assert len(lettr_server.emails) == 2
    lettr_server.clock.advance(days=1)
    assert client.emails.send(**send_kwargs()).accepted == 1


@pytest.mark.lettr(plan="free")
def test_monthly_quota_counts_v1_sends_too(lettr_server: LettrServer, client: lettr.Lettr) -> None:
    lettr_server.clock.freeze()
    lettr_server.quota.policy.monthly_limit = 1
    httpx.post(lettr_server.v1_url + "/emails", headers={"Authorization": f"Bearer {lettr_server.admin_key}"},
               json={"from": "a@example.com", "to": "b@example.com", "subject": "v1", "text": "x"})
    with pytest.raises(lettr.RateLimitError) as caught:
        client.emails.send(**send_kwargs())
    assert caught.value.error_code == "quota_exceeded"


@pytest.mark.lettr(plan="free")
def test_sandbox_sends_do_not_count(lettr_server: LettrServer, client: lettr.Lettr, sandbox: lettr.Lettr,
                                    sandbox_key: CreatedKey) -> None:
    lettr_server.clock.freeze()
    lettr_server.quota.policy.daily_limit = 1
    sandbox.emails.send(**send_kwargs())
    sandbox.emails.send(**send_kwargs())
    client.emails.send(**send_kwargs())
    with pytest.raises(lettr.RateLimitError):
        client.emails.send(**send_kwargs())
    response = httpx.post(lettr_server.api_url + "/emails", json=BODY,
                          headers={"Authorization": f"Bearer {sandbox_key.key}"})
    assert response.status_code == 200 and "X-Daily-Limit" not in response.headers
