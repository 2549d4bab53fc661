"""Sandbox keys: rewritten emails, no writes, their own rate limits, their own data."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone

import httpx
import lettr
import pytest

from pytest_lettr import LettrServer
from pytest_lettr.state import CreatedKey

from .conftest import send_kwargs


def test_recipients_go_to_the_owner_from_the_sandbox_domain(lettr_server: LettrServer, sandbox: lettr.Lettr,
                                                           sandbox_key: CreatedKey) -> None:
    sent = sandbox.emails.send(**send_kwargs(from_email="noreply@shop.example", to=["customer@example.com"],
                                             cc=["cc@example.com"], bcc=["bcc@example.com"]))
    owner = lettr_server.account.owner.email
    assert (sent.accepted, sent.rejected) == (1, 0)
    email = lettr_server.emails[-1]
    assert (email.to, email.cc, email.bcc) == ([owner], [], [])
    assert email.from_ == "noreply@dev.uselettr.com" and email.sandbox is True
    assert email.extra["original_recipients"]["to"] == ["customer@example.com"]
    assert email.extra["original_from"] == "noreply@shop.example"
    assert email.api_key_id == sandbox_key.id


def test_sandbox_needs_no_verified_domain(lettr_server: LettrServer, sandbox: lettr.Lettr) -> None:
    lettr_server.strict_domains = True
    assert sandbox.emails.send(**send_kwargs(from_email="a@unverified.example")).accepted == 1


def test_write_endpoints_are_refused(lettr_server: LettrServer, sandbox: lettr.Lettr) -> None:
    assert sandbox.domains.list() == [] and sandbox.templates.list().total == 0
    for call in (lambda: sandbox.domains.create("x.example"), lambda: sandbox.templates.create(name="t", html="x"),
                 lambda: sandbox.domains.delete("x.example"), lambda: sandbox.domains.verify("x.example")):
        with pytest.raises(lettr.ForbiddenError) as caught:
            call()
        assert caught.value.error_code == "sandbox_restricted"
    assert lettr_server.audit_log[-1].metadata["restriction"] == "sandbox"
    assert len(lettr_server.account.domains) == 0


def test_sandbox_and_live_data_are_isolated(lettr_server: LettrServer, client: lettr.Lettr,
                                            sandbox: lettr.Lettr) -> None:
    live = client.emails.send(**send_kwargs(subject="live"))
    test = sandbox.emails.send(**send_kwargs(subject="sandbox"))
    assert [e.subject for e in client.emails.list().results] == ["live"]
    assert [e.subject for e in sandbox.emails.list().results] == ["sandbox"]
    assert sandbox.emails.get(test.request_id).subject == "sandbox"
    with pytest.raises(lettr.NotFoundError):
        sandbox.emails.get(live.request_id)
    with pytest.raises(lettr.NotFoundError):
        client.emails.get(test.request_id)
    assert {e.request_id for e in sandbox.emails.list_events().results} == {test.request_id}
    assert len(lettr_server.emails) == 2


def test_sandbox_scheduling_is_isolated_too(lettr_server: LettrServer, client: lettr.Lettr,
                                            sandbox: lettr.Lettr) -> None:
    from datetime import timedelta

    scheduled = sandbox.emails.schedule(scheduled_at=lettr_server.clock.now() + timedelta(hours=1),
                                        **send_kwargs())
    assert sandbox.emails.get_scheduled(scheduled.request_id).recipients == [lettr_server.account.owner.email]
    assert client.emails.list_scheduled().total == 0
    assert sandbox.emails.cancel_scheduled(scheduled.request_id).state == "cancelled"


def _start_of_a_minute(lettr_server: LettrServer) -> None:
    """Freeze the clock on a minute boundary: the windows are aligned to the minute and the day."""
    lettr_server.clock.set(datetime(2026, 2, 14, 15, 30, tzinfo=timezone.utc), frozen=True)


def test_headers_report_both_windows_without_enforcing_them(lettr_server: LettrServer,
                                                            sandbox_key: CreatedKey) -> None:
    _start_of_a_minute(lettr_server)
    with httpx.Client(base_url=lettr_server.api_url,
                      headers={"Authorization": f"Bearer {sandbox_key.key}"}) as http:
        first = http.get("/domains")
        assert (first.headers["X-Sandbox-RateLimit-Minute-Limit"],
                first.headers["X-Sandbox-RateLimit-Minute-Remaining"]) == ("10", "9")
        assert (first.headers["X-Sandbox-RateLimit-Day-Limit"],
                first.headers["X-Sandbox-RateLimit-Day-Remaining"]) == ("100", "99")
        assert first.headers["X-RateLimit-Limit"] == "3"  # the team's window, as for every key
        answers = [http.get("/domains") for _ in range(12)]
        assert {a.status_code for a in answers} == {200}
        assert answers[-1].headers["X-Sandbox-RateLimit-Minute-Remaining"] == "0"


@pytest.mark.lettr(enforce_limits=True)
def test_the_minute_window_is_enforced_with_the_switch(lettr_server: LettrServer, sandbox_key: CreatedKey) -> None:
    _start_of_a_minute(lettr_server)
    with httpx.Client(base_url=lettr_server.api_url,
                      headers={"Authorization": f"Bearer {sandbox_key.key}"}) as http:
        for _ in range(10):
            assert http.get("/domains").status_code == 200
            lettr_server.clock.advance(seconds=1)  # under the team's 3 a second
        refused = http.get("/domains")
        assert refused.status_code == 429 and refused.json() == {
            "message": "Rate limit exceeded. Please slow down your requests.", "error_code": "rate_limit_exceeded"}
        assert int(refused.headers["Retry-After"]) == 50
        lettr_server.clock.advance(seconds=51)
        again = http.get("/domains")
        assert again.status_code == 200 and again.headers["X-Sandbox-RateLimit-Day-Remaining"] == "89"


@pytest.mark.lettr(enforce_limits=True)
def test_daily_window(lettr_server: LettrServer, sandbox_key: CreatedKey,
                      make_client: Callable[[str], lettr.Lettr]) -> None:
    _start_of_a_minute(lettr_server)
    lettr_server.sandbox.policy.per_day = 3
    client = make_client(sandbox_key.key)
    for _ in range(3):
        client.domains.list()
        lettr_server.clock.advance(seconds=1)
    with pytest.raises(lettr.RateLimitError) as caught:
        client.domains.list()
    assert caught.value.error_code == "rate_limit_exceeded"
    lettr_server.clock.advance(days=1)
    assert client.domains.list() == []


def test_sandbox_key_without_an_owner_cannot_list(lettr_server: LettrServer,
                                                  make_client: Callable[[str], lettr.Lettr]) -> None:
    key = lettr_server.account.keys.create("orphan", ["*"], mode="sandbox")
    client = make_client(key.key)
    with pytest.raises(lettr.BadRequestError) as caught:
        client.emails.list()
    assert caught.value.error_code == "retrieval_error"
    with pytest.raises(lettr.BadRequestError):
        client.emails.send(**send_kwargs())


def test_auth_check_says_sandbox(sandbox_key: CreatedKey, lettr_server: LettrServer) -> None:
    response = httpx.get(lettr_server.api_url + "/auth/check",
                         headers={"Authorization": f"Bearer {sandbox_key.key}"})
    assert response.json()["data"]["sandbox"] is True
