"""webhooks/payloads.py: the v1 rendering of the account's snake_case events, for every type.

The state names event fields in snake_case with datetimes; v1 webhooks receive camelCase names and
ISO 8601 times, and the user's metadata exactly as they wrote it.
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_lettr.casing import camel, camel_keys, snake, snake_keys
from pytest_lettr.dialects import common
from pytest_lettr.randomness import Entropy
from pytest_lettr.state.account import Event
from pytest_lettr.webhooks.events import EVENT_TYPES, sample_data, sample_event
from pytest_lettr.webhooks.payloads import v1_data, v1_envelope, v1_event

NOW = datetime(2024, 1, 15, 10, 30, tzinfo=timezone.utc)
ISO = "2024-01-15T10:30:00Z"

#: The v1 ``data`` field names of each event type, in wire order (Lettr v1 §9).
V1_FIELDS: dict[str, list[str]] = {
    "email.sent": ["emailId", "from", "to", "subject", "sentAt"],
    "email.delivered": ["emailId", "to", "deliveredAt"],
    "email.bounced": ["emailId", "to", "bounceType", "bounceCategory", "message", "bouncedAt"],
    "email.deferred": ["emailId", "to", "reason", "retryCount", "nextRetryAt"],
    "email.opened": ["emailId", "to", "openedAt", "userAgent", "ipAddress", "isFirstOpen"],
    "email.clicked": ["emailId", "to", "url", "clickedAt", "userAgent", "ipAddress"],
    "email.complained": ["emailId", "to", "complainedAt"],
    "email.unsubscribed": ["emailId", "to", "unsubscribedAt", "reason"],
    "email.received": ["id", "from", "to", "subject", "text", "html", "receivedAt"],
}
TIME_FIELDS = {"sentAt", "deliveredAt", "bouncedAt", "openedAt", "clickedAt", "complainedAt",
               "unsubscribedAt", "receivedAt"}


def test_every_event_type_has_its_fields() -> None:
    assert set(V1_FIELDS) == set(EVENT_TYPES)


@pytest.mark.parametrize("event_type", EVENT_TYPES)
def test_state_data_is_snake_case_with_datetimes(event_type: str) -> None:
    data = sample_data(event_type, Entropy("payloads"), NOW)
    assert all(name == snake(name) for name in data), data
    assert [camel(name) for name in data] == V1_FIELDS[event_type]
    times = {name for name, value in data.items() if isinstance(value, datetime)}
    assert {camel(name) for name in times} == TIME_FIELDS & set(V1_FIELDS[event_type]) | (
        {"nextRetryAt"} if event_type == "email.deferred" else set())


@pytest.mark.parametrize("event_type", EVENT_TYPES)
def test_v1_rendering_of_every_event_type(event_type: str) -> None:
    data = sample_data(event_type, Entropy("payloads"), NOW)
    event = Event("evt_1", event_type, NOW, {**data, "metadata": {"user_id": 7, "orderId": "o_1"}},
                  email_id=data.get("email_id"))
    body = v1_event(event)
    assert list(body) == ["id", "type", "createdAt", "data"]
    assert (body["id"], body["type"], body["createdAt"]) == ("evt_1", event_type, ISO)
    assert list(body["data"]) == [*V1_FIELDS[event_type], "metadata"]
    assert body["data"]["metadata"] == {"user_id": 7, "orderId": "o_1"}  # the user's keys, never re-cased
    for name in TIME_FIELDS & set(V1_FIELDS[event_type]):
        assert body["data"][name] == ISO
    assert all(not isinstance(value, datetime) for value in body["data"].values())
    assert event.data["metadata"] == {"user_id": 7, "orderId": "o_1"}  # rendering does not touch the event


def test_v1_data_values_are_kept() -> None:
    nested = {"first_name": "Ada"}
    rendered = v1_data({"email_id": "email_1", "next_retry_at": NOW, "custom": nested, "retry_count": 2})
    assert rendered == {"emailId": "email_1", "nextRetryAt": ISO, "custom": {"first_name": "Ada"},
                        "retryCount": 2}
    assert rendered["custom"] is nested


def test_v1_envelope_copies_the_data() -> None:
    data = {"email_id": "email_1"}
    body = v1_envelope("evt_1", "email.sent", NOW, data)
    body["data"]["extra"] = True
    assert data == {"email_id": "email_1"}


def test_sample_event_overrides_are_wire_fields() -> None:
    event = sample_event("email.opened", Entropy("payloads"), NOW, data={"isFirstOpen": False, "note": "x"})
    assert event["data"]["isFirstOpen"] is False and event["data"]["note"] == "x"
    assert list(event["data"]) == [*V1_FIELDS["email.opened"], "note"]
    assert "is_first_open" not in event["data"]


def test_sample_event_is_seeded() -> None:
    assert sample_event("email.bounced", Entropy("s"), NOW) == sample_event("email.bounced", Entropy("s"), NOW)


def test_casing_helpers() -> None:
    assert (camel("next_retry_at"), snake("nextRetryAt"), snake("email_id"), camel("emailId")) == (
        "nextRetryAt", "next_retry_at", "email_id", "emailId")
    assert snake_keys({"bounceType": "hard", "metadata": {"userId": 1}}) == {
        "bounce_type": "hard", "metadata": {"userId": 1}}
    assert camel_keys({"bounce_type": "hard"}) == {"bounceType": "hard"}
    assert common.camel is camel and common.camel_keys is camel_keys  # the dialects' names still work


@given(st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,20}", fullmatch=True))
def test_a_detail_reaches_the_wire_as_before(name: str) -> None:
    """simulate() details are stored snake_case and rendered camelCase: the same wire name as
    camel-casing the name as given (what the mock did before the state became snake_case)."""
    assert camel(snake(name)) == camel(name)
