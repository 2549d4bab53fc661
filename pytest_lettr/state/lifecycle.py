"""What happens to an email after it is sent: delivery, bounces, opens, clicks, complaints.

A test drives it (the mock never delivers anything on its own)::

    lettr_server.simulate(email.id, "delivered")
    lettr_server.simulate(email.id, "opened")                       # opens == 1, firstOpenedAt set
    lettr_server.simulate(email.id, "clicked", url="https://app.example.com/verify")
    lettr_server.simulate(other.id, "bounced", bounce_type="hard")  # the address is now suppressed

Each call updates the :class:`~pytest_lettr.state.emails.Email`, records an ``email.<event>`` event
with realistic (seeded faker) details — the ones given replace them — and hands it to webhooks.
Allowed moves:

=================  =========================================================  ==================
event              allowed when the email is                                  status afterwards
=================  =========================================================  ==================
``deferred``       ``sent`` (also after an earlier deferral)                  ``sent``
``delivered``      ``sent``                                                   ``delivered``
``bounced``        ``sent`` (``bounce_type`` ``hard`` (default) or ``soft``)  ``bounced``
``opened``         ``delivered``, open tracking on                            ``delivered``
``clicked``        ``delivered``, click tracking on                           ``delivered``
``complained``     ``delivered``, once                                        ``delivered``
``unsubscribed``   ``delivered``, once                                        ``delivered``
=================  =========================================================  ==================

Anything else raises :class:`InvalidTransition`. A hard bounce and a complaint put the recipient on
the suppression list, as Lettr does.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from ..casing import snake_keys
from ..errors import InvalidTransition
from ..webhooks.events import sample_data
from .emails import Email, address_of

if TYPE_CHECKING:
    from .account import Account, Event

EVENTS = ("delivered", "bounced", "deferred", "opened", "clicked", "complained", "unsubscribed")
BOUNCE_TYPES = ("hard", "soft")
#: Which email statuses each event may follow.
ALLOWED_FROM: dict[str, tuple[str, ...]] = {
    "deferred": ("sent", "queued"),
    "delivered": ("sent", "queued"),
    "bounced": ("sent", "queued"),
    "opened": ("delivered",),
    "clicked": ("delivered",),
    "complained": ("delivered",),
    "unsubscribed": ("delivered",),
}
#: Bounce categories (and SMTP replies) by bounce type.
BOUNCE_CATEGORIES: dict[str, dict[str, str]] = {
    "hard": {"invalid_recipient": "550 5.1.1 The email account that you tried to reach does not exist",
             "invalid_domain": "550 5.1.2 The recipient domain does not accept mail"},
    "soft": {"mailbox_full": "452 4.2.2 The recipient's mailbox is full",
             "dns_failure": "451 4.4.3 Temporary DNS failure for the recipient domain",
             "spam_block": "421 4.7.0 Message temporarily deferred due to the sender's reputation"},
}


def _details(details: Mapping[str, Any]) -> dict[str, Any]:
    """snake_case or camelCase keyword details → snake_case event fields."""
    return snake_keys(details)


def normalise_event(event: str) -> str:
    name = event.removeprefix("email.")
    if name not in EVENTS:
        raise ValueError(f"unknown email event {event!r}; one of: {', '.join(EVENTS)}")
    return name


def check_transition(email: Email, event: str) -> None:
    """Raise :class:`InvalidTransition` unless ``event`` may happen to ``email`` now."""
    allowed = ALLOWED_FROM[event]
    if email.status not in allowed:
        raise InvalidTransition(
            f"Email {email.id} is '{email.status}': it cannot be {event} "
            f"(only when {' or '.join(repr(s) for s in allowed)})", param="event")
    if event in ("opened", "clicked") and not email.tracking.get("opens" if event == "opened" else "clicks", True):
        kind = "Open" if event == "opened" else "Click"
        raise InvalidTransition(f"{kind} tracking is off for email {email.id}", param="event")
    if event in ("complained", "unsubscribed") and email.extra.get(f"{event}_at") is not None:
        raise InvalidTransition(f"Email {email.id} was already {event}", param="event")


def _check_recipient(email: Email, recipient: str | None) -> None:
    if recipient is not None and address_of(recipient) not in {address_of(a) for a in email.recipients}:
        raise ValueError(f"{recipient!r} is not a recipient of email {email.id}")


def _bounced(account: Account, email: Email, now: datetime, given: dict[str, Any]) -> dict[str, Any]:
    bounce_type = given.get("bounce_type", "hard")
    if bounce_type not in BOUNCE_TYPES:
        raise ValueError(f"bounce_type must be 'hard' or 'soft', not {bounce_type!r}")
    categories = BOUNCE_CATEGORIES[bounce_type]
    category = given.get("bounce_category") or account.entropy.choice(sorted(categories))
    return {"bounce_type": bounce_type, "bounce_category": category,
            "message": categories.get(category, f"Bounced ({category})"), **given}


def _opened(account: Account, email: Email, now: datetime, given: dict[str, Any]) -> dict[str, Any]:
    given.setdefault("is_first_open", email.opens == 0)
    return given


def _deferred(account: Account, email: Email, now: datetime, given: dict[str, Any]) -> dict[str, Any]:
    retry = given.setdefault("retry_count", int(email.extra.get("deferrals", 0)) + 1)
    if not isinstance(retry, int) or isinstance(retry, bool) or retry < 1:
        raise ValueError("retry_count must be a positive integer")
    given.setdefault("next_retry_at", now + timedelta(minutes=5 * 2 ** min(retry, 8)))
    return given


#: What each event fills in from the email (before the seeded sample) when the test did not say.
_DEFAULTS: dict[str, Callable[[Account, Email, datetime, dict[str, Any]], dict[str, Any]]] = {
    "bounced": _bounced, "opened": _opened, "deferred": _deferred,
}


def event_data(account: Account, email: Email, event: str, now: datetime,
               details: Mapping[str, Any]) -> dict[str, Any]:
    """Realistic snake_case ``data`` for ``email.<event>`` of ``email`` at ``now``; ``details`` win."""
    given = _details(details)
    recipient = given.pop("to", email.to[0] if email.to else None)
    _check_recipient(email, recipient)
    defaults = _DEFAULTS.get(event)
    if defaults is not None:
        given = defaults(account, email, now, given)
    data = sample_data(f"email.{event}", account.entropy, now)
    data.update(given)
    data["email_id"] = email.id
    data["to"] = recipient
    return data


def apply(email: Email, event: str, data: Mapping[str, Any], at: datetime) -> None:
    """Update ``email``'s fields for an event already checked with :func:`check_transition`."""
    if event == "delivered":
        email.status, email.delivered_at = "delivered", at
    elif event == "bounced":
        email.status = "bounced"
        email.extra["bounce"] = {k: data[k] for k in ("bounce_type", "bounce_category", "message") if k in data}
        email.extra["bounced_at"] = at
    elif event == "deferred":
        email.extra["deferrals"] = int(email.extra.get("deferrals", 0)) + 1
    elif event == "opened":
        email.opens += 1
        email.first_opened_at = email.first_opened_at or at
        email.last_opened_at = at
    elif event == "clicked":
        email.clicks += 1
        email.extra.setdefault("first_clicked_at", at)
        email.extra.setdefault("clicked_urls", []).append(data.get("url"))
    else:  # complained, unsubscribed
        email.extra[f"{event}_at"] = at


def suppresses(event: str, data: Mapping[str, Any]) -> bool:
    """A hard bounce and a spam complaint put the recipient on the suppression list."""
    return event == "complained" or (event == "bounced" and data.get("bounce_type") == "hard")


def simulate(account: Account, email_id: str, event: str, **details: Any) -> Event:
    """Make ``event`` happen to the email now; returns the recorded :class:`Event`.

    ``details`` (snake_case or camelCase) replace the generated event fields, e.g.
    ``bounce_type="soft"``, ``url=...``, ``user_agent=...``, ``reason=...``, ``to=...``.
    """
    name = normalise_event(event)
    for key in details:
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", key):
            raise ValueError(f"bad detail name {key!r}")
    now = account.clock.now()
    with account.lock:
        email = account.outbox.get(email_id)
        check_transition(email, name)
        data = event_data(account, email, name, now, details)
        apply(email, name, data, now)
        if suppresses(name, data) and data.get("to"):
            account.suppressions.add(address_of(str(data["to"])))
    return account.emit(f"email.{name}", email, data)


__all__ = ["EVENTS", "InvalidTransition", "check_transition", "simulate"]
