"""Scheduled emails: create, list, get, cancel, and what happens when they come due."""

from __future__ import annotations

from datetime import timedelta

import lettr
import pytest

from pytest_lettr import LettrServer

from .conftest import send_kwargs


def schedule(lettr_server: LettrServer, client: lettr.Lettr, minutes: float = 60,
             **overrides: object) -> lettr.ScheduledEmail:
    at = lettr_server.clock.now() + timedelta(minutes=minutes)
    return client.emails.schedule(scheduled_at=at, **send_kwargs(**overrides))


def test_schedule_holds_the_email(lettr_server: LettrServer, client: lettr.Lettr) -> None:
    scheduled = schedule(lettr_server, client, tag="reminders", from_name="Shop")
    assert scheduled.request_id.startswith("sch_")
    assert (scheduled.state, scheduled.transmission_id, scheduled.accepted) == ("scheduled", scheduled.request_id, 1)
    assert (scheduled.from_email, scheduled.from_name, scheduled.tag) == ("app@example.com", "Shop", "reminders")
    assert scheduled.recipients == ["ada@example.com"] and scheduled.events == []
    email = lettr_server.emails[-1]
    assert (email.status, email.request_id) == ("scheduled", scheduled.request_id)
    assert client.emails.list().total_count == 0  # not sent yet
    assert lettr_server.audit_log[-1].action == "email.scheduled"


def test_naive_datetimes_are_utc(lettr_server: LettrServer, client: lettr.Lettr) -> None:
    at = (lettr_server.clock.now() + timedelta(hours=2)).replace(tzinfo=None, microsecond=0)
    scheduled = client.emails.schedule(scheduled_at=at, **send_kwargs())
    assert scheduled.scheduled_at == at.isoformat() + "Z"


@pytest.mark.parametrize("minutes", [1, 60 * 24 * 31])
def test_schedule_window_is_5_minutes_to_30_days(lettr_server: LettrServer, client: lettr.Lettr,
                                                 minutes: int) -> None:
    with pytest.raises(lettr.ValidationError) as caught:
        schedule(lettr_server, client, minutes=minutes)
    assert list(caught.value.errors) == ["scheduled_at"]
    assert len(lettr_server.emails) == 0


def test_get_and_list_scheduled(lettr_server: LettrServer, client: lettr.Lettr) -> None:
    later = schedule(lettr_server, client, minutes=120, subject="later")
    sooner = schedule(lettr_server, client, minutes=30, subject="sooner")
    assert client.emails.get_scheduled(later.request_id).subject == "later"
    page = client.emails.list_scheduled()
    assert [s.subject for s in page.scheduled_emails] == ["sooner", "later"]
    assert (page.total, page.current_page, page.last_page) == (2, 1, 1)
    second = client.emails.list_scheduled(per_page=1, page=2)
    assert [s.request_id for s in second.scheduled_emails] == [later.request_id] and second.last_page == 2
    client.emails.cancel_scheduled(sooner.request_id)
    assert [s.request_id for s in client.emails.list_scheduled(status="cancelled").scheduled_emails] == [
        sooner.request_id]


def test_cancel(lettr_server: LettrServer, client: lettr.Lettr) -> None:
    scheduled = schedule(lettr_server, client)
    cancelled = client.emails.cancel_scheduled(scheduled.request_id)
    assert (cancelled.state, cancelled.accepted) == ("cancelled", 0)
    assert lettr_server.emails[-1].status == "cancelled"
    with pytest.raises(lettr.ConflictError) as caught:
        client.emails.cancel_scheduled(scheduled.request_id)
    assert caught.value.error_code == "schedule_cancellation_failed"
    lettr_server.clock.advance(hours=2)
    assert client.emails.get_scheduled(scheduled.request_id).state == "failed"  # the spec has no "cancelled"
    assert lettr_server.account.events == []


def test_unknown_scheduled_email_is_not_found(client: lettr.Lettr) -> None:
    with pytest.raises(lettr.NotFoundError):
        client.emails.get_scheduled("sch_unknown")
    with pytest.raises(lettr.NotFoundError):
        client.emails.cancel_scheduled("sch_unknown")


def test_due_email_is_handed_over(lettr_server: LettrServer, client: lettr.Lettr) -> None:
    scheduled = schedule(lettr_server, client, minutes=10)
    lettr_server.clock.advance(minutes=11)
    sent = client.emails.get_scheduled(scheduled.request_id)
    # The spec's ``scheduled``: injected, not delivered yet.
    assert (sent.state, sent.transmission_id) == ("scheduled", scheduled.request_id)
    assert [e.type for e in sent.events] == ["injection"]
    assert lettr_server.emails[-1].status == "sent"
    assert [r.request_id for r in client.emails.list().results] == [scheduled.request_id]
    with pytest.raises(lettr.ConflictError):
        client.emails.cancel_scheduled(scheduled.request_id)


@pytest.mark.parametrize("then", ["held", "handed over", "delivered", "bounced", "cancelled"])
def test_both_reads_of_a_scheduled_email_agree(lettr_server: LettrServer, client: lettr.Lettr, then: str) -> None:
    scheduled = schedule(lettr_server, client, minutes=10)
    if then == "cancelled":
        assert client.emails.cancel_scheduled(scheduled.request_id).state == "cancelled"  # what the SDK reads
    elif then != "held":
        lettr_server.clock.advance(minutes=11)
        if then in ("delivered", "bounced"):
            lettr_server.simulate(lettr_server.emails[-1].id, "delivered" if then == "delivered" else "bounce")
    held = client.emails.get_scheduled(scheduled.request_id)
    detail = client.emails.get(scheduled.request_id)
    assert (held.state, held.transmission_id) == (detail.state, detail.transmission_id)
    assert isinstance(held.transmission_id, str)
    expected = {"held": "scheduled", "handed over": "scheduled", "delivered": "delivered", "bounced": "bounced",
                "cancelled": "failed"}
    assert held.state == expected[then]
