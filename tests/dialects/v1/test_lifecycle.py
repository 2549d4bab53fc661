"""Email lifecycle: ``lettr_server.simulate`` updates the email, records events, refuses bad moves."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest

from pytest_lettr import InvalidTransition, LettrError, LettrServer
from pytest_lettr.state.account import Event


def send(client: httpx.Client, **extra: Any) -> str:
    body = {"from": "app@example.com", "to": "ada@example.com", "subject": "Welcome", "text": "Hello",
            "metadata": {"userId": "user_123"}, **extra}
    response = client.post("/emails", json=body)
    assert response.status_code == 200, response.text
    return response.json()["id"]  # type: ignore[no-any-return]


def test_delivered_sets_status_and_delivered_at(client: httpx.Client, lettr_server: LettrServer) -> None:
    email_id = send(client)
    lettr_server.clock.freeze()  # so deliveredAt can be compared to the second
    lettr_server.clock.advance(seconds=3)
    event = lettr_server.simulate(email_id, "delivered")
    assert isinstance(event, Event) and event.type == "email.delivered" and event.email_id == email_id
    body = client.get(f"/emails/{email_id}").json()
    assert body["status"] == "delivered"
    assert body["deliveredAt"] == lettr_server.clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")
    assert event.data["email_id"] == email_id and event.data["to"] == "ada@example.com"
    assert event.data["delivered_at"] == lettr_server.clock.now()  # a datetime; v1 renders it ISO
    assert event.data["metadata"] == {"userId": "user_123"}  # events carry the email's metadata


def test_opens_count_and_first_and_last_open(client: httpx.Client, lettr_server: LettrServer) -> None:
    email_id = send(client)
    lettr_server.simulate(email_id, "delivered")
    first = lettr_server.simulate(email_id, "opened")
    first_at = client.get(f"/emails/{email_id}").json()["firstOpenedAt"]
    lettr_server.clock.advance(hours=2)
    second = lettr_server.simulate(email_id, "email.opened")
    body = client.get(f"/emails/{email_id}").json()
    assert body["opens"] == 2 and body["status"] == "delivered"
    assert body["firstOpenedAt"] == first_at != body["lastOpenedAt"]
    assert first.data["is_first_open"] is True and second.data["is_first_open"] is False
    assert first.data["user_agent"] and first.data["ip_address"].count(".") == 3


def test_clicks_with_a_given_url(client: httpx.Client, lettr_server: LettrServer) -> None:
    email_id = send(client)
    lettr_server.simulate(email_id, "delivered")
    event = lettr_server.simulate(email_id, "clicked", url="https://app.example.com/verify?t=1")
    assert event.data["url"] == "https://app.example.com/verify?t=1"
    assert client.get(f"/emails/{email_id}").json()["clicks"] == 1
    assert lettr_server.emails[-1].extra["clicked_urls"] == ["https://app.example.com/verify?t=1"]


def test_a_click_without_a_tracked_open_is_allowed(client: httpx.Client, lettr_server: LettrServer) -> None:
    email_id = send(client)
    lettr_server.simulate(email_id, "delivered")
    lettr_server.simulate(email_id, "clicked")
    body = client.get(f"/emails/{email_id}").json()
    assert (body["opens"], body["clicks"]) == (0, 1)


def test_hard_bounce_suppresses_the_recipient(client: httpx.Client, lettr_server: LettrServer) -> None:
    email_id = send(client)
    event = lettr_server.simulate(email_id, "bounced", bounce_type="hard")
    assert event.data["bounce_type"] == "hard"
    assert event.data["bounce_category"] in ("invalid_recipient", "invalid_domain")
    assert event.data["message"].startswith("550 ")
    assert client.get(f"/emails/{email_id}").json()["status"] == "bounced"
    again = client.post("/emails", json={"from": "app@example.com", "to": "ada@example.com", "subject": "s",
                                         "text": "t"})
    assert again.status_code == 400 and again.json()["error"]["code"] == "suppressed"


def test_soft_bounce_does_not_suppress(client: httpx.Client, lettr_server: LettrServer) -> None:
    email_id = send(client)
    event = lettr_server.simulate(email_id, "bounced", bounceType="soft", bounce_category="mailbox_full")
    assert (event.data["bounce_type"], event.data["bounce_category"]) == ("soft", "mailbox_full")
    assert event.data["message"].startswith("452 ")
    assert lettr_server.emails[-1].status == "bounced"
    send(client)  # still accepted


def test_deferred_then_delivered(client: httpx.Client, lettr_server: LettrServer) -> None:
    email_id = send(client)
    first = lettr_server.simulate(email_id, "deferred")
    second = lettr_server.simulate(email_id, "deferred", reason="451 4.3.0 Greylisted")
    assert (first.data["retry_count"], second.data["retry_count"]) == (1, 2)
    assert second.data["reason"] == "451 4.3.0 Greylisted" and second.data["next_retry_at"] > second.created_at
    assert client.get(f"/emails/{email_id}").json()["status"] == "sent"
    lettr_server.simulate(email_id, "delivered")
    assert client.get(f"/emails/{email_id}").json()["status"] == "delivered"


def test_complaint_suppresses_and_happens_once(client: httpx.Client, lettr_server: LettrServer) -> None:
    email_id = send(client)
    lettr_server.simulate(email_id, "delivered")
    event = lettr_server.simulate(email_id, "complained")
    assert event.data["complained_at"] <= event.created_at  # a datetime; v1 renders it ISO
    assert "ada@example.com" in lettr_server.account.suppressions
    with pytest.raises(InvalidTransition, match="already complained"):
        lettr_server.simulate(email_id, "complained")


def test_unsubscribe_with_a_reason_happens_once_and_suppresses(client: httpx.Client,
                                                              lettr_server: LettrServer) -> None:
    email_id = send(client)
    lettr_server.simulate(email_id, "delivered")
    event = lettr_server.simulate(email_id, "unsubscribed", reason="preference_center")
    assert event.data["reason"] == "preference_center"
    assert "ada@example.com" in lettr_server.account.suppressions  # an unsubscribe suppresses for good
    with pytest.raises(InvalidTransition):
        lettr_server.simulate(email_id, "unsubscribed")


def test_events_go_to_the_account_and_the_email(client: httpx.Client, lettr_server: LettrServer) -> None:
    email_id = send(client)
    lettr_server.simulate(email_id, "delivered")
    lettr_server.simulate(email_id, "opened")
    types = [e.type for e in lettr_server.account.events if e.email_id == email_id]
    assert types == ["email.sent", "email.delivered", "email.opened"]
    assert [e.type for e in lettr_server.emails[-1].events] == types


def test_listeners_see_simulated_events(client: httpx.Client, lettr_server: LettrServer) -> None:
    seen: list[str] = []
    lettr_server.account.event_listeners.append(lambda event: seen.append(event.type))
    lettr_server.simulate(send(client), "bounced")
    assert seen[-1] == "email.bounced"


def test_a_recipient_other_than_the_first(client: httpx.Client, lettr_server: LettrServer) -> None:
    email_id = send(client, to=["ada@example.com", "grace@example.com"])
    event = lettr_server.simulate(email_id, "bounced", to="grace@example.com")
    assert event.data["to"] == "grace@example.com"
    assert "grace@example.com" in lettr_server.account.suppressions
    assert "ada@example.com" not in lettr_server.account.suppressions
    with pytest.raises(ValueError, match="not a recipient"):
        lettr_server.simulate(send(client), "delivered", to="stranger@example.com")


@pytest.mark.parametrize(("before", "event", "message"), [
    (["bounced"], "opened", "'bounced': it cannot be opened"),
    (["bounced"], "delivered", "cannot be delivered"),
    (["bounced"], "bounced", "cannot be bounced"),
    (["delivered"], "delivered", "'delivered': it cannot be delivered"),
    (["delivered"], "bounced", "cannot be bounced"),
    (["delivered"], "deferred", "cannot be deferred"),
    ([], "opened", "'sent': it cannot be opened"),
    ([], "clicked", "cannot be clicked"),
    ([], "complained", "cannot be complained"),
    ([], "unsubscribed", "cannot be unsubscribed"),
])
def test_invalid_transitions(client: httpx.Client, lettr_server: LettrServer, before: list[str], event: str,
                             message: str) -> None:
    email_id = send(client)
    for step in before:
        lettr_server.simulate(email_id, step)
    status = lettr_server.emails[-1].status
    events = len(lettr_server.account.events)
    with pytest.raises(InvalidTransition, match=message) as raised:
        lettr_server.simulate(email_id, event)
    assert isinstance(raised.value, LettrError) and raised.value.code == "invalid_transition"
    assert lettr_server.emails[-1].status == status and len(lettr_server.account.events) == events


def test_scheduled_and_cancelled_emails_have_no_lifecycle(client: httpx.Client, lettr_server: LettrServer) -> None:
    later = lettr_server.clock.now() + timedelta(days=1)
    scheduled = send(client, scheduledAt=later.strftime("%Y-%m-%dT%H:%M:%SZ"))
    with pytest.raises(InvalidTransition, match="'scheduled'"):
        lettr_server.simulate(scheduled, "delivered")
    client.delete(f"/emails/{scheduled}")
    with pytest.raises(InvalidTransition, match="'cancelled'"):
        lettr_server.simulate(scheduled, "delivered")


@pytest.mark.parametrize(("tracking", "event"), [({"opens": False}, "opened"), ({"clicks": False}, "clicked")])
def test_tracking_off_means_no_such_event(client: httpx.Client, lettr_server: LettrServer,
                                          tracking: dict[str, bool], event: str) -> None:
    email_id = send(client, tracking=tracking)
    lettr_server.simulate(email_id, "delivered")
    with pytest.raises(InvalidTransition, match="tracking is off"):
        lettr_server.simulate(email_id, event)


def test_unknown_event_email_and_details(client: httpx.Client, lettr_server: LettrServer) -> None:
    email_id = send(client)
    with pytest.raises(ValueError, match="unknown email event"):
        lettr_server.simulate(email_id, "exploded")
    with pytest.raises(LettrError, match="not found"):
        lettr_server.simulate("email_missing", "delivered")
    with pytest.raises(ValueError, match="bounce_type"):
        lettr_server.simulate(email_id, "bounced", bounce_type="medium")
    assert lettr_server.emails[-1].status == "sent"


def test_details_are_seeded(lettr_server: LettrServer, v1: Callable[..., httpx.Client]) -> None:
    def run() -> dict[str, Any]:
        lettr_server.reset("same-seed")
        email_id = send(v1())  # a client with the new account's admin key
        lettr_server.simulate(email_id, "delivered")
        data = dict(lettr_server.simulate(email_id, "opened").data)
        data.pop("opened_at")
        return data

    assert run() == run()


def test_details_in_either_casing_are_stored_snake_case(client: httpx.Client, lettr_server: LettrServer) -> None:
    first, second = send(client), send(client)
    snake_case = lettr_server.simulate(first, "bounced", bounce_type="soft", bounce_category="mailbox_full")
    camel_case = lettr_server.simulate(second, "bounced", bounceType="soft", bounceCategory="mailbox_full")
    for event in (snake_case, camel_case):
        assert (event.data["bounce_type"], event.data["bounce_category"]) == ("soft", "mailbox_full")
        assert "bounceType" not in event.data and event.data["metadata"] == {"userId": "user_123"}
