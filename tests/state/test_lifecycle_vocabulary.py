"""state/lifecycle.py: every event type of the current API by its own name, v1's names, the moves'
allowed statuses and outcomes, and the one suppression rule.

Emails are sent through ``/api`` with the official SDK, as a user would; ``simulate`` is the
user-facing way to make things happen; what happened is read back through ``/api`` and ``/v1``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import lettr
import pytest
from support import client_for

from pytest_lettr import InvalidTransition, LettrServer
from pytest_lettr.state.lifecycle import EVENTS, MOVES, suppresses

#: Each current-API name: what must come first, the account event, the API type and the status after.
CASES: list[tuple[str, list[str], str, str, str]] = [
    ("delivery", [], "email.delivered", "delivery", "delivered"),
    ("bounce", [], "email.bounced", "bounce", "bounced"),
    ("delay", [], "email.deferred", "delay", "sent"),
    ("out_of_band", ["delivery"], "email.bounced", "out_of_band", "bounced"),
    ("spam_complaint", ["delivery"], "email.complained", "spam_complaint", "delivered"),
    ("policy_rejection", [], "email.policy_rejected", "policy_rejection", "failed"),
    ("initial_open", ["delivery"], "email.opened", "initial_open", "delivered"),
    ("open", ["delivery", "open"], "email.opened", "open", "delivered"),
    ("click", ["delivery"], "email.clicked", "click", "delivered"),
    ("amp_initial_open", ["delivery"], "email.opened", "amp_initial_open", "delivered"),
    ("amp_open", ["delivery", "amp_open"], "email.opened", "amp_open", "delivered"),
    ("amp_click", ["delivery"], "email.clicked", "amp_click", "delivered"),
    ("generation_failure", [], "email.generation_failed", "generation_failure", "failed"),
    ("generation_rejection", [], "email.generation_rejected", "generation_rejection", "failed"),
    ("list_unsubscribe", ["delivery"], "email.unsubscribed", "list_unsubscribe", "delivered"),
    ("link_unsubscribe", ["delivery"], "email.unsubscribed", "link_unsubscribe", "delivered"),
]
#: v1's names and the current-API type each records (on a fresh, delivered email where it needs one).
V1_CASES: list[tuple[str, list[str], str]] = [
    ("delivered", [], "delivery"), ("bounced", [], "bounce"), ("deferred", [], "delay"),
    ("opened", ["delivered"], "initial_open"), ("clicked", ["delivered"], "click"),
    ("complained", ["delivered"], "spam_complaint"), ("unsubscribed", ["delivered"], "link_unsubscribe"),
]


@pytest.fixture
def sdk(lettr_server: LettrServer) -> Iterator[lettr.Lettr]:
    client = lettr.Lettr(lettr_server.create_key("SDK", mode="api").key, base_url=lettr_server.api_url)
    yield client
    client.close()


@pytest.fixture
def v1(lettr_server: LettrServer) -> Iterator[httpx.Client]:
    with client_for(lettr_server) as client:
        yield client


def send(lettr_server: LettrServer, sdk: lettr.Lettr, to: str = "ada@example.com", **extra: Any) -> str:
    """Send one AMP-capable email through /api; returns its stored id."""
    sdk.emails.send(from_email="app@example.com", to=[to], subject="Hi", html="<p>Hi</p>",
                    amp_html="<html amp4email><body>Hi</body></html>", **extra)
    return lettr_server.emails[-1].id


def test_the_cases_cover_every_api_event_type_but_injection() -> None:
    assert {case[0] for case in CASES} == set(MOVES) - {"injection"}
    assert set(EVENTS) == set(MOVES) | {name for name, _, _ in V1_CASES}


@pytest.mark.parametrize(("name", "before", "account_type", "api_type", "status"), CASES)
def test_each_event_type_by_its_own_name(lettr_server: LettrServer, sdk: lettr.Lettr, name: str,
                                         before: list[str], account_type: str, api_type: str,
                                         status: str) -> None:
    email_id = send(lettr_server, sdk)
    for step in before:
        lettr_server.simulate(email_id, step)
    event = lettr_server.simulate(email_id, name)
    assert (event.type, event.api_type, event.email_id) == (account_type, api_type, email_id)
    assert lettr_server.emails[-1].status == status
    (listed, *_) = sdk.emails.list_events(events=[api_type]).results
    assert (listed.event_id, listed.type) == (event.id, api_type)


@pytest.mark.parametrize(("name", "before", "api_type"), V1_CASES)
def test_v1_names_keep_working(lettr_server: LettrServer, sdk: lettr.Lettr, name: str, before: list[str],
                               api_type: str) -> None:
    email_id = send(lettr_server, sdk)
    for step in before:
        lettr_server.simulate(email_id, step)
    assert lettr_server.simulate(email_id, name).api_type == api_type
    other = send(lettr_server, sdk, "bo@example.com")
    for step in before:
        lettr_server.simulate(other, f"email.{step}")
    assert lettr_server.simulate(other, f"email.{name}").api_type == api_type  # with v1's prefix too


@pytest.mark.parametrize("name", ["message.bounce", "engagament.click", "engagement.click",
                                  "unsubscribe.link_unsubscribe", "generation.generation_failure"])
def test_webhook_event_type_names_are_accepted(lettr_server: LettrServer, sdk: lettr.Lettr, name: str) -> None:
    email_id = send(lettr_server, sdk)
    if name.startswith(("engag", "unsub")):
        lettr_server.simulate(email_id, "delivery")
    assert lettr_server.simulate(email_id, name).api_type == name.partition(".")[2]


def test_the_first_open_is_initial_open_then_open(lettr_server: LettrServer, sdk: lettr.Lettr,
                                                  v1: httpx.Client) -> None:
    email_id = send(lettr_server, sdk)
    lettr_server.simulate(email_id, "delivery")
    types = [lettr_server.simulate(email_id, name).api_type for name in ("open", "opened", "amp_open", "open")]
    assert types == ["initial_open", "open", "amp_initial_open", "open"]
    with pytest.raises(InvalidTransition, match="already opened: a later open is 'open'"):
        lettr_server.simulate(email_id, "initial_open")
    with pytest.raises(InvalidTransition, match="a later open is 'amp_open'"):
        lettr_server.simulate(email_id, "amp_initial_open")
    body = v1.get(f"/emails/{email_id}").json()
    assert body["opens"] == 4 and body["firstOpenedAt"] is not None
    first_flags = [e.data["is_first_open"] for e in lettr_server.emails[-1].events if e.type == "email.opened"]
    assert first_flags == [True, False, False, False]  # v1's isFirstOpen: the email's first open of any kind


def test_amp_events_need_an_amp_body_and_tracking(lettr_server: LettrServer, sdk: lettr.Lettr) -> None:
    sdk.emails.send(from_email="app@example.com", to=["ada@example.com"], subject="Hi", html="<p>Hi</p>")
    plain = lettr_server.emails[-1].id
    lettr_server.simulate(plain, "delivery")
    for name in ("amp_open", "amp_initial_open", "amp_click"):
        with pytest.raises(InvalidTransition, match="has no AMP body"):
            lettr_server.simulate(plain, name)
    untracked = send(lettr_server, sdk, options=lettr.EmailOptions(click_tracking=False))
    lettr_server.simulate(untracked, "delivery")
    with pytest.raises(InvalidTransition, match="Click tracking is off"):
        lettr_server.simulate(untracked, "amp_click")
    assert lettr_server.emails[-1].clicks == 0


def test_injection_is_recorded_at_send_and_cannot_be_simulated(lettr_server: LettrServer,
                                                                sdk: lettr.Lettr) -> None:
    email_id = send(lettr_server, sdk)
    events = len(lettr_server.account.events)
    with pytest.raises(InvalidTransition, match="injection cannot be simulated"):
        lettr_server.simulate(email_id, "injection")
    assert len(lettr_server.account.events) == events
    assert [e.type for e in sdk.emails.list_events().results] == ["injection"]


@pytest.mark.parametrize(("name", "before", "message"), [
    ("out_of_band", [], "'sent': it cannot be bounced out of band"),
    ("policy_rejection", ["delivery"], "'delivered': it cannot be rejected by policy"),
    ("generation_failure", ["delivery"], "cannot be failed in generation"),
    ("delivery", ["generation_rejection"], "'failed': it cannot be delivered"),
    ("link_unsubscribe", ["delivery", "list_unsubscribe"], "already unsubscribed"),
    ("spam_complaint", [], "'sent': it cannot be complained"),
])
def test_moves_out_of_order_are_refused(lettr_server: LettrServer, sdk: lettr.Lettr, name: str,
                                        before: list[str], message: str) -> None:
    email_id = send(lettr_server, sdk)
    for step in before:
        lettr_server.simulate(email_id, step)
    status, events = lettr_server.emails[-1].status, len(lettr_server.account.events)
    with pytest.raises(InvalidTransition, match=message):
        lettr_server.simulate(email_id, name)
    assert (lettr_server.emails[-1].status, len(lettr_server.account.events)) == (status, events)


def test_unknown_names_list_every_accepted_one(lettr_server: LettrServer, sdk: lettr.Lettr) -> None:
    with pytest.raises(ValueError, match=r"unknown email event 'relay_delivery'.*amp_initial_open"):
        lettr_server.simulate(send(lettr_server, sdk), "relay_delivery")


@pytest.mark.parametrize(("details", "hard", "category"), [
    ({"bounce_class": 30}, True, None), ({"bounce_class": 10}, True, None),
    ({"bounce_class": 22}, False, "mailbox_full"), ({"bounce_class": 51}, False, "spam_block"),
    ({"bounce_class": 10, "bounce_type": "soft"}, False, None),
])
def test_a_given_bounce_class_decides_the_bounce_type(lettr_server: LettrServer, sdk: lettr.Lettr,
                                                      details: dict[str, Any], hard: bool,
                                                      category: str | None) -> None:
    event = lettr_server.simulate(send(lettr_server, sdk), "bounce", **details)
    assert event.data["bounce_type"] == ("hard" if hard else "soft")
    assert category is None or event.data["bounce_category"] == category
    assert ("ada@example.com" in lettr_server.account.suppressions) is hard
    (listed,) = sdk.emails.list_events(events=["bounce"]).results
    assert listed.bounce_class == details["bounce_class"]


def test_a_bounce_class_must_be_an_integer(lettr_server: LettrServer, sdk: lettr.Lettr) -> None:
    with pytest.raises(ValueError, match="bounce_class must be an integer"):
        lettr_server.simulate(send(lettr_server, sdk), "bounce", bounce_class="10")
    assert lettr_server.emails[-1].status == "sent"


@pytest.mark.parametrize(("move", "data", "expected"), [
    ("bounce", {"bounce_type": "hard"}, True), ("bounce", {"bounce_type": "soft"}, False),
    ("out_of_band", {"bounce_type": "hard"}, True), ("out_of_band", {"bounce_type": "soft"}, False),
    ("spam_complaint", {}, True), ("list_unsubscribe", {}, True), ("link_unsubscribe", {}, True),
    ("delay", {}, False), ("policy_rejection", {}, False), ("generation_failure", {}, False),
    ("open", {}, False), ("click", {}, False), ("delivery", {}, False),
])
def test_the_one_suppression_rule(move: str, data: dict[str, Any], expected: bool) -> None:
    assert suppresses(move, data) is expected


@pytest.mark.parametrize("reason", ["list_unsubscribe", "one_click"])
def test_a_list_unsubscribe_reason_makes_a_list_unsubscribe(lettr_server: LettrServer, sdk: lettr.Lettr,
                                                            reason: str) -> None:
    email_id = send(lettr_server, sdk)
    lettr_server.simulate(email_id, "delivered")
    event = lettr_server.simulate(email_id, "unsubscribed", reason=reason)
    assert (event.api_type, event.data["reason"]) == ("list_unsubscribe", reason)


def test_unsubscribe_reasons_agree_with_the_type(lettr_server: LettrServer, sdk: lettr.Lettr) -> None:
    reasons = []
    for index in range(6):
        email_id = send(lettr_server, sdk, f"r{index}@example.com")
        lettr_server.simulate(email_id, "delivery")
        name = "list_unsubscribe" if index % 2 else "link_unsubscribe"
        event = lettr_server.simulate(email_id, name)
        reasons.append((name, event.data["reason"] in ("list_unsubscribe", "one_click")))
    assert all(is_list == (name == "list_unsubscribe") for name, is_list in reasons)


def test_seeded_history_shows_initial_opens(lettr_server: LettrServer, sdk: lettr.Lettr) -> None:
    lettr_server.seed_history(days=3, per_day=40)
    opened = [e for e in lettr_server.emails if e.opens]
    assert opened
    for email in opened[:5]:
        types = [event.type for event in sdk.emails.get(email.request_id or email.id).events]
        opens = [t for t in reversed(types) if t in ("open", "initial_open")]
        assert opens == ["initial_open", *["open"] * (len(opens) - 1)]
