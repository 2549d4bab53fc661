"""``GET /api/emails/events`` and ``GET /api/emails/{id}`` with the whole event vocabulary, metadata
and tags in every event, and the suppressions the events make (read through the official SDK; every
``/api`` answer is also checked against the spec by this directory's conformance sweep)."""

from __future__ import annotations

import httpx
import lettr
import pytest
from support import assert_v1_error, client_for

from pytest_lettr import LettrServer

from .conftest import send_kwargs


def sent(lettr_server: LettrServer, client: lettr.Lettr, to: str = "ada@example.com") -> str:
    client.emails.send(**send_kwargs(to=[to], tag="orders", metadata={"userId": "user_789"},
                                     amp_html="<html amp4email><body>Hi</body></html>"))
    return lettr_server.emails[-1].id


def test_every_event_carries_metadata_and_tags(lettr_server: LettrServer, client: lettr.Lettr) -> None:
    email_id = sent(lettr_server, client)
    for step in ("delivery", "open", "open", "amp_open", "click", "amp_click", "link_unsubscribe"):
        lettr_server.simulate(email_id, step)
    events = client.emails.list_events().results
    assert [e.type for e in events] == ["link_unsubscribe", "amp_click", "click", "amp_initial_open", "open",
                                        "initial_open", "delivery", "injection"]
    assert all(e.rcpt_meta == {"userId": "user_789"} and e.rcpt_tags == ["orders"] for e in events)
    assert all(e.campaign_id == "orders" for e in events)


@pytest.mark.parametrize(("steps", "wanted"), [
    (["delivery", "out_of_band"], "out_of_band"), (["policy_rejection"], "policy_rejection"),
    (["generation_failure"], "generation_failure"), (["generation_rejection"], "generation_rejection"),
    (["delivery", "amp_open"], "amp_initial_open"), (["delivery", "list_unsubscribe"], "list_unsubscribe"),
])
def test_the_events_filter_finds_each_new_type(lettr_server: LettrServer, client: lettr.Lettr,
                                               steps: list[str], wanted: str) -> None:
    email_id = sent(lettr_server, client)
    sent(lettr_server, client, "other@example.com")
    for step in steps:
        event = lettr_server.simulate(email_id, step)
    (found,) = client.emails.list_events(events=[wanted]).results
    assert (found.event_id, found.type, found.rcpt_to) == (event.id, wanted, "ada@example.com")


@pytest.mark.parametrize(("steps", "state"), [
    (["policy_rejection"], "failed"), (["generation_failure"], "failed"), (["generation_rejection"], "failed"),
    (["delivery", "out_of_band"], "bounced"), (["delivery", "spam_complaint"], "delivered"),
])
def test_the_email_state_follows_its_events(lettr_server: LettrServer, client: lettr.Lettr, steps: list[str],
                                            state: str) -> None:
    email_id = sent(lettr_server, client)
    for step in steps:
        lettr_server.simulate(email_id, step)
    (email,) = lettr_server.emails
    detail = client.emails.get(email.request_id or "")
    assert detail.state == state and detail.events[0].type == steps[-1]


def test_failure_events_report_their_reason(lettr_server: LettrServer, client: lettr.Lettr) -> None:
    email_id = sent(lettr_server, client)
    lettr_server.simulate(email_id, "generation_failure", reason="render_snippet: no snippet 'footer'")
    (event,) = client.emails.list_events(events=["generation_failure"]).results
    assert event.reason == event.raw_reason == "render_snippet: no snippet 'footer'"
    other = sent(lettr_server, client, "bob@example.com")
    lettr_server.simulate(other, "policy_rejection")
    (rejection,) = client.emails.list_events(events=["policy_rejection"]).results
    assert (rejection.bounce_class, rejection.error_code) == (25, "554")
    assert rejection.raw_reason and rejection.raw_reason.startswith("554 ")


SUPPRESSING = [
    ["delivery", "link_unsubscribe"], ["delivery", "list_unsubscribe"], ["delivered", "unsubscribed"],
    ["delivery", "out_of_band"], ["delivery", "spam_complaint"], ["bounce"],
]


@pytest.mark.parametrize("steps", SUPPRESSING)
def test_these_events_suppress_the_address_for_good(lettr_server: LettrServer, client: lettr.Lettr,
                                                    steps: list[str]) -> None:
    email_id = sent(lettr_server, client)
    for step in steps:
        lettr_server.simulate(email_id, step)
    again = client.emails.send(**send_kwargs(to=["ADA@example.com"]))
    assert (again.accepted, again.rejected) == (0, 1)
    lettr_server.clock.advance(days=400)
    later = client.emails.send(**send_kwargs(to=["ada@example.com", "bob@example.com"]))
    assert (later.accepted, later.rejected) == (1, 1)
    with client_for(lettr_server) as v1:  # one rule: v1 refuses the same address
        refused = v1.post("/emails", json={"from": "app@example.com", "to": "ada@example.com", "subject": "s",
                                           "text": "t"})
    assert_v1_error(refused, 400, "suppressed", param="to")


@pytest.mark.parametrize("steps", [["delivery", "out_of_band"], ["bounce"], ["delay"], ["policy_rejection"],
                                   ["generation_failure"], ["delivery", "click"]])
def test_soft_and_other_events_do_not_suppress(lettr_server: LettrServer, client: lettr.Lettr,
                                               steps: list[str]) -> None:
    email_id = sent(lettr_server, client)
    for step in steps:
        details = {"bounce_type": "soft"} if step in ("bounce", "out_of_band") else {}
        lettr_server.simulate(email_id, step, **details)
    again = client.emails.send(**send_kwargs(to=["ada@example.com"]))
    assert (again.accepted, again.rejected) == (1, 0)


def test_an_unsubscribe_suppresses_only_its_recipient(lettr_server: LettrServer, client: lettr.Lettr,
                                                      raw: httpx.Client) -> None:
    client.emails.send(**send_kwargs(to=["ada@example.com", "bob@example.com"]))
    (email,) = lettr_server.emails
    lettr_server.simulate(email.id, "delivery")
    lettr_server.simulate(email.id, "list_unsubscribe", to="bob@example.com")
    answer = raw.post("/emails", json={"from": "app@example.com", "to": ["ada@example.com", "bob@example.com"],
                                       "subject": "s", "html": "<p>x</p>"})
    assert answer.status_code == 200 and (answer.json()["data"]["accepted"], answer.json()["data"]["rejected"]) == (
        1, 1)
    assert lettr_server.emails[-1].to == ["ada@example.com"]


def test_a_dropped_recipient_is_a_policy_rejection(lettr_server: LettrServer, client: lettr.Lettr) -> None:
    email_id = sent(lettr_server, client)
    lettr_server.simulate(email_id, "delivery")
    lettr_server.simulate(email_id, "link_unsubscribe")
    answer = client.emails.send(**send_kwargs(to=["ada@example.com"], metadata={"order": "o_2"}))
    assert (answer.accepted, answer.rejected) == (0, 1)
    (rejection,) = client.emails.list_events(events=["policy_rejection"]).results
    assert (rejection.request_id, rejection.rcpt_to, rejection.rcpt_meta) == (answer.request_id, "ada@example.com",
                                                                            {"order": "o_2"})
    assert rejection.raw_reason and "suppression list" in rejection.raw_reason
    assert client.emails.get(answer.request_id).state == "failed"
    partial = client.emails.send(**send_kwargs(to=["ada@example.com", "bob@example.com"]))
    rejections = client.emails.list_events(events=["policy_rejection"], transmissions=partial.request_id)
    assert [r.rcpt_to for r in rejections.results] == ["ada@example.com"]
    assert [e.type for e in client.emails.get(partial.request_id).events] == ["policy_rejection", "injection"]
