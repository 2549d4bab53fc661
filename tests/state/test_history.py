"""state/history.py: seeded history is the same, draw for draw, for the same seed.

tests/dialects/v1/test_stats.py checks that two runs agree and that the rates are plausible; this pins
what one seed gives, so a change in the order of random draws (which would change every user's
seeded baseline) cannot pass unnoticed. Values drawn from Faker are left out, so a Faker upgrade
does not break it.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from datetime import datetime, timezone
from typing import Any

import pytest

from pytest_lettr.clock import Clock
from pytest_lettr.randomness import Entropy
from pytest_lettr.state.account import Account
from pytest_lettr.state.emails import Email
from pytest_lettr.state.history import seed_history

NOW = datetime(2024, 3, 10, tzinfo=timezone.utc)  # midnight: the last emails have not all been delivered
#: sha256 of every email's :func:`shape` for that seed; it changes with any change in what is drawn.
#: (Re-pinned when event data became snake_case with datetimes: rendered as v1 camelCase, the old
#: digest e7c5174c… still matched, so no draw moved.)
DIGEST = "16567353acf0429752fbe0107519d92336ef0d7bed50273b2a2de34e18da0972"
FAKER_VALUES = frozenset({"from", "to", "subject", "user_agent", "ip_address", "url"})


def seeded() -> tuple[Account, list[Email]]:
    clock = Clock()
    clock.set(NOW, frozen=True)
    account = Account(seed="unused", clock=clock)
    # A source of its own, so what the account drew while being made does not move the history.
    account.entropy = Entropy("history-9")
    return account, seed_history(account, days=3, per_day=4000)


def shape(email: Email) -> dict[str, Any]:
    """Everything about an email that the builder's own generator decides."""
    extra = {key: (len(value) if key == "clicked_urls" else value) for key, value in email.extra.items()}
    return {
        "id": email.id, "status": email.status, "tags": email.tags, "created": email.created_at,
        "delivered": email.delivered_at, "opens": email.opens, "clicks": email.clicks,
        "first_open": email.first_opened_at, "last_open": email.last_opened_at, "extra": extra,
        "events": [(event.id, event.type, event.created_at,
                    {k: v for k, v in event.data.items() if k not in FAKER_VALUES}) for event in email.events],
    }


@pytest.fixture(scope="module")
def history() -> tuple[Account, list[Email]]:
    return seeded()


def test_outcomes_for_one_seed(history: tuple[Account, list[Email]]) -> None:
    _, emails = history
    assert Counter(email.status for email in emails) == {"delivered": 11833, "bounced": 164, "sent": 3}
    kinds = Counter(event.type for email in emails for event in email.events)
    assert kinds == {"email.sent": 12000, "email.delivered": 11833, "email.opened": 6807, "email.clicked": 1026,
                     "email.deferred": 347, "email.bounced": 164, "email.unsubscribed": 20, "email.complained": 8}
    assert sum(email.opens > 0 for email in emails) == 4452
    # Sent just before midnight: still waiting for delivery (one of them after a deferral).
    assert [[event.type for event in email.events] for email in emails if email.status == "sent"] == [
        ["email.sent", "email.deferred"], ["email.sent"], ["email.sent"]]


def test_every_drawn_value_for_one_seed(history: tuple[Account, list[Email]]) -> None:
    _, emails = history
    text = json.dumps([shape(email) for email in emails], default=str, sort_keys=True)
    assert hashlib.sha256(text.encode()).hexdigest() == DIGEST


def test_account_events_are_the_emails_events_in_time_order(history: tuple[Account, list[Email]]) -> None:
    account, emails = history
    assert sorted(account.events, key=lambda event: event.id) == sorted(
        (event for email in emails for event in email.events), key=lambda event: event.id)
    assert [event.created_at for event in account.events] == sorted(event.created_at for event in account.events)
    assert max(event.created_at for event in account.events) <= NOW
