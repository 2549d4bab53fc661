"""Sample events for every Lettr v1 event type (§9), built from seeded faker data.

:func:`sample_data` is the account's own (snake_case) event data, which the lifecycle fills in;
:func:`sample_event` is a whole v1 delivery body, which the ``test`` endpoint sends and the
``lettr_webhooks`` fixture signs::

    sample_data("email.bounced", entropy, now)["bounce_type"]            # 'hard' or 'soft'
    event = sample_event("email.bounced", account.entropy, account.clock.now())
    event["data"]["bounceType"]                                          # the same, on the wire
    sample_event("email.opened", entropy, now, data={"isFirstOpen": False})  # override wire fields

Every value comes from ``entropy`` (its ``.faker`` included), so a seed reproduces a payload.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from ..randomness import Entropy
from .payloads import v1_envelope

__all__ = ["EVENT_TYPES", "SUBSCRIPTION_WILDCARDS", "sample_data", "sample_event", "subscribed"]

#: Every event type a webhook can receive (§9).
EVENT_TYPES: tuple[str, ...] = (
    "email.sent",
    "email.delivered",
    "email.bounced",
    "email.deferred",
    "email.opened",
    "email.clicked",
    "email.complained",
    "email.unsubscribed",
    "email.received",
)
#: Subscription patterns besides exact types: everything, or every ``email.*`` type.
SUBSCRIPTION_WILDCARDS: tuple[str, ...] = ("*", "email.*")

_BOUNCES: dict[str, tuple[tuple[str, str], ...]] = {
    "hard": (
        ("invalid_recipient", "550 5.1.1 The email account that you tried to reach does not exist"),
        ("invalid_domain", "550 5.1.2 The recipient domain does not accept mail"),
    ),
    "soft": (
        ("mailbox_full", "452 4.2.2 The recipient's mailbox is full"),
        ("dns_failure", "451 4.4.3 Temporary DNS failure for the recipient domain"),
        ("spam_block", "421 4.7.0 Message temporarily deferred due to the sender's reputation"),
    ),
}
_DEFER_REASONS = (
    "421 4.7.0 Try again later, closing connection",
    "450 4.2.1 The user you are trying to contact is receiving mail too quickly",
    "451 4.3.0 Mail server temporarily rejected message",
)
_UNSUBSCRIBE_REASONS = ("list_unsubscribe", "one_click", "preference_center", "manual")


def subscribed(subscriptions: tuple[str, ...] | list[str], event_type: str) -> bool:
    """Does a webhook subscribed to ``subscriptions`` receive ``event_type``? Only v1's own types
    are ever delivered (account events v1 has no name for, a policy rejection say, are not).

    >>> subscribed(["email.*"], "email.opened"), subscribed(["email.sent"], "email.opened")
    (True, False)
    >>> subscribed(["*"], "email.policy_rejected")
    False
    """
    if event_type not in EVENT_TYPES:
        return False
    for pattern in subscriptions:
        if pattern == "*" or pattern == event_type:
            return True
        if pattern.endswith(".*") and event_type.startswith(pattern[:-1]):
            return True
    return False


def _recipient(faker: Any) -> str:
    return str(faker.email())


def _sent(e: Entropy, now: datetime, faker: Any) -> dict[str, Any]:
    return {"email_id": e.new_id("email_"), "from": str(faker.company_email()), "to": [_recipient(faker)],
            "subject": str(faker.sentence(nb_words=6)).rstrip("."), "sent_at": now}


def _delivered(e: Entropy, now: datetime, faker: Any) -> dict[str, Any]:
    return {"email_id": e.new_id("email_"), "to": _recipient(faker), "delivered_at": now}


def _bounced(e: Entropy, now: datetime, faker: Any) -> dict[str, Any]:
    bounce_type = e.choice(("hard", "soft"))
    category, message = e.choice(_BOUNCES[bounce_type])
    return {"email_id": e.new_id("email_"), "to": _recipient(faker), "bounce_type": bounce_type,
            "bounce_category": category, "message": message, "bounced_at": now}


def _deferred(e: Entropy, now: datetime, faker: Any) -> dict[str, Any]:
    retry_count = e.randint(1, 5)
    return {"email_id": e.new_id("email_"), "to": _recipient(faker), "reason": e.choice(_DEFER_REASONS),
            "retry_count": retry_count, "next_retry_at": now + timedelta(minutes=5 * 2**retry_count)}


def _opened(e: Entropy, now: datetime, faker: Any) -> dict[str, Any]:
    return {"email_id": e.new_id("email_"), "to": _recipient(faker), "opened_at": now,
            "user_agent": str(faker.user_agent()), "ip_address": str(faker.ipv4_public()),
            "is_first_open": True}


def _clicked(e: Entropy, now: datetime, faker: Any) -> dict[str, Any]:
    return {"email_id": e.new_id("email_"), "to": _recipient(faker), "url": str(faker.url()) + str(faker.uri_path()),
            "clicked_at": now, "user_agent": str(faker.user_agent()),
            "ip_address": str(faker.ipv4_public())}


def _complained(e: Entropy, now: datetime, faker: Any) -> dict[str, Any]:
    return {"email_id": e.new_id("email_"), "to": _recipient(faker), "complained_at": now}


def _unsubscribed(e: Entropy, now: datetime, faker: Any) -> dict[str, Any]:
    return {"email_id": e.new_id("email_"), "to": _recipient(faker), "unsubscribed_at": now,
            "reason": e.choice(_UNSUBSCRIBE_REASONS)}


def _received(e: Entropy, now: datetime, faker: Any) -> dict[str, Any]:
    text = str(faker.paragraph(nb_sentences=3))
    return {"id": e.new_id("email_"), "from": _recipient(faker), "to": [str(faker.company_email())],
            "subject": "Re: " + str(faker.sentence(nb_words=5)).rstrip("."), "text": text,
            "html": f"<p>{text}</p>", "received_at": now}


_BUILDERS: dict[str, Callable[[Entropy, datetime, Any], dict[str, Any]]] = {
    "email.sent": _sent,
    "email.delivered": _delivered,
    "email.bounced": _bounced,
    "email.deferred": _deferred,
    "email.opened": _opened,
    "email.clicked": _clicked,
    "email.complained": _complained,
    "email.unsubscribed": _unsubscribed,
    "email.received": _received,
}


def sample_data(event_type: str, entropy: Entropy, now: datetime,
                data: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Realistic snake_case ``data`` for ``event_type`` (times as datetimes); fields in ``data``
    replace (or add to) the sample."""
    try:
        builder = _BUILDERS[event_type]
    except KeyError:
        raise ValueError(f"unknown event type {event_type!r}; one of: {', '.join(EVENT_TYPES)}") from None
    built = builder(entropy, now, entropy.faker)
    built.update(data or {})
    return built


def sample_event(event_type: str, entropy: Entropy, now: datetime, *,
                 data: Mapping[str, Any] | None = None, event_id: str | None = None) -> dict[str, Any]:
    """A whole v1 event envelope with sample data (see :func:`sample_data`); fields in ``data`` are
    wire (camelCase) fields that replace (or add to) the rendered sample as they are."""
    event_id = event_id or entropy.new_id("evt_")  # drawn before the data, as it always was
    rendered = v1_envelope(event_id, event_type, now, sample_data(event_type, entropy, now))
    rendered["data"].update(data or {})
    return rendered
