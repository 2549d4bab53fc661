"""state/emails.py: the outbox keeps emails in created_at order with consistent indexes."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import pytest

from pytest_lettr.state.emails import Email, Outbox

T0 = datetime(2024, 1, 15, tzinfo=timezone.utc)


def make(n: int, seconds: float, to: str, request_id: str | None = None) -> Email:
    return Email(id=f"email_{n}", from_="a@example.com", to=[to], cc=["Shared <shared@example.com>"], subject=None,
                 html=None, text="t", created_at=T0 + timedelta(seconds=seconds), request_id=request_id)


def check(outbox: Outbox) -> None:
    emails = list(outbox)
    assert [e.created_at for e in emails] == sorted(e.created_at for e in emails)
    for position, email in enumerate(emails):
        assert outbox.position(email.id) == position and outbox.get(email.id) is email
    for address in {"ada@example.com", "bob@example.com", "shared@example.com"}:
        expected = [p for p, e in enumerate(emails) if address in [a.lower() for a in e.recipients]
                    or f"<{address}>" in " ".join(e.recipients).lower()]
        assert list(outbox.positions(address)) == expected, address
    for request_id in {"r1", "r2"}:
        assert outbox.by_request(request_id) == [e for e in emails if e.request_id == request_id]


def test_emails_that_arrive_late_are_put_in_place() -> None:
    outbox = Outbox()
    order = list(range(60))
    random.Random(4).shuffle(order)
    for n in order:
        outbox.add(make(n, n / 10, "ada@example.com" if n % 2 else "Bob <BOB@example.com>",
                        request_id="r1" if n % 3 == 0 else ("r2" if n % 3 == 1 else None)))
        check(outbox)
    assert [e.id for e in outbox] == [f"email_{n}" for n in range(60)]


def test_equal_timestamps_keep_arrival_order() -> None:
    outbox = Outbox()
    for n in range(3):
        outbox.add(make(n, 5, "ada@example.com"))
    outbox.add(make(3, 1, "ada@example.com"))
    assert [e.id for e in outbox] == ["email_3", "email_0", "email_1", "email_2"]
    check(outbox)


def test_add_many_merges_history() -> None:
    outbox = Outbox()
    outbox.add(make(100, 100, "ada@example.com"))
    outbox.add_many([make(n, n, "bob@example.com") for n in (50, 10, 70)])
    assert [e.id for e in outbox] == ["email_10", "email_50", "email_70", "email_100"]
    check(outbox)


@pytest.mark.parametrize(("match", "ok"), [
    ({"to": "ada@example.com"}, True),
    ({"to": "ADA@Example.com"}, True),
    ({"to": "Ada <ada@example.com>"}, True),
    ({"to": "Bob <ada@example.com>"}, False),
    ({"to": "bob@example.com"}, True),
    ({"to": "carol@example.com"}, False),
    ({"to": ["Ada <ada@example.com>", "bob@example.com"]}, True),
    ({"to": ["ada@example.com", "bob@example.com"]}, False),  # a list must match exactly
    ({"cc": "carol@example.com"}, True),
    ({"bcc": "carol@example.com"}, False),
    ({"from": "app@example.com"}, True),
    ({"sender": "APP@example.com"}, True),
    ({"from_": "Acme <app@example.com>"}, True),
    ({"from": "Other <app@example.com>"}, False),
    ({"reply_to": "help@example.com"}, True),
    ({"reply_to": "nobody@example.com"}, False),
    ({"subject": "Welcome"}, True),
    ({"subject_contains": "elc", "text_contains": "Hello"}, True),
    ({"html_contains": "x"}, False),  # no html at all
    ({"status": "sent", "tags": ["a"]}, True),
])
def test_matches(match: dict[str, object], ok: bool) -> None:
    email = Email(id="email_1", from_="Acme <app@example.com>", to=["Ada <ada@example.com>", "bob@example.com"],
                  cc=["carol@example.com"], reply_to="help@example.com", subject="Welcome", html=None,
                  text="Hello there", created_at=T0, tags=["a"])
    assert email.matches(**match) is ok


def _email(**fields: object) -> Email:
    values: dict[str, object] = {"id": "email_1", "from_": "Acme <app@example.com>", "to": ["Ada <ada@example.com>"],
                                 "subject": "Welcome", "html": None, "text": "Hello", "created_at": T0}
    values.update(fields)
    return Email(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(("fields", "match", "ok"), [
    ({}, {}, True),                                                              # nothing asked
    ({}, {"from": "Acme <APP@example.com>"}, False),                             # a display name is exact
    ({}, {"to": " Ada <ada@example.com> "}, True),                               # ... up to surrounding spaces
    ({}, {"reply_to": "help@example.com"}, False),                               # no reply-to at all
    ({}, {"reply_to": None}, True),
    ({}, {"to": ("Ada <ada@example.com>",)}, False),                             # a tuple is not the list
    ({}, {"from_": ["Acme <app@example.com>"]}, False),                          # not a string: compared as is
    ({}, {"to_contains": "Ada <ada@example.com>"}, True),                        # *_contains on a list: an element
    ({}, {"to_contains": "ada@example.com"}, False),
    ({}, {"sender_contains": "Acme"}, True),
    ({"subject": None}, {"subject_contains": ""}, False),                        # None contains nothing
    ({"metadata": {"order": "1"}}, {"metadata_contains": "order"}, True),        # a mapping: its keys
    ({"metadata": {"order": "1"}}, {"metadata": {"order": "1"}}, True),
    ({}, {"to": "carol@example.com", "no_such_field": 1}, False),                # stops at the first miss
])
def test_matches_edges(fields: dict[str, object], match: dict[str, object], ok: bool) -> None:
    assert _email(**fields).matches(**match) is ok


@pytest.mark.parametrize("match", [{"no_such_field": 1}, {"to": "ada@example.com", "no_such_contains": "x"}])
def test_matches_an_unknown_field_is_an_attribute_error(match: dict[str, object]) -> None:
    with pytest.raises(AttributeError):
        _email().matches(**match)
