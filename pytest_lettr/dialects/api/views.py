"""How a stored email looks in the current API: detail, scheduled record, list item.

    email_detail(email, events)   # GET /emails/{requestId}
    scheduled_view(email)         # POST/GET/DELETE /emails/scheduled[/{id}], and its list
    list_item(email)              # one entry of GET /emails
"""

from __future__ import annotations

from typing import Any

from ...clock import isoformat_or_none as ts
from ...state import Email
from ...state.emails import address_of
from ...webhooks.payloads import common_fields, render_event, transmission_id

#: What ``GET /emails/scheduled?status=`` filters on: the SDK's ``ScheduledEmailState`` plus the
#: spec's delivery states.
SCHEDULED_STATES = ("scheduled", "sending", "sent", "cancelled", "failed", "delivered", "bounced")
#: The states a scheduled or sent email shows (the spec's ``ShowScheduledTransmissionResponse`` enum).
SPEC_STATES = ("submitted", "generating", "scheduled", "delivered", "bounced", "failed", "unknown")


def _recipients(email: Email) -> list[str]:
    return list(dict.fromkeys(address_of(a) for a in email.recipients))


def _delivered(email: Email) -> bool:
    return email.status == "delivered" or any(getattr(e, "type", None) == "email.delivered" for e in email.events)


def detail_state(email: Email) -> str:
    """``scheduled`` (injected or held, not yet delivered), ``delivered``, ``bounced`` or ``failed``
    (also a cancelled email, which never left): one of :data:`SPEC_STATES`, the same in
    ``GET /emails/{id}`` and ``GET /emails/scheduled/{id}``."""
    if email.status == "bounced":
        return "bounced"
    if email.status in ("failed", "suppressed", "cancelled"):
        return "failed"
    if _delivered(email):
        return "delivered"
    return "scheduled"


def scheduled_state(email: Email) -> str:
    """The SDK's name for where the email is (the ``status`` filter of the scheduled list): held
    (``scheduled``/``cancelled``), then the delivery state once handed over."""
    if email.status in ("scheduled", "cancelled"):
        return email.status
    if email.status in ("failed", "suppressed"):
        return "failed"
    if email.status == "bounced":
        return "bounced"
    if _delivered(email):
        return "delivered"
    return "sent"


def rendered_events(email: Email) -> list[dict[str, Any]]:
    """The email's events, newest first, as ``EmailEvent`` objects."""
    rendered = (render_event(event, email) for event in reversed(list(email.events)))
    return [event for event in rendered if event is not None]


def email_detail(email: Email, events: list[dict[str, Any]]) -> dict[str, Any]:
    recipients = _recipients(email)
    return {
        "transmission_id": transmission_id(email),
        "state": detail_state(email),
        "scheduled_at": ts(email.scheduled_at),
        "from": address_of(email.from_),
        "from_name": email.extra.get("from_name"),
        "subject": email.subject or "",
        "recipients": recipients,
        "num_recipients": len(recipients),
        "events": events,
    }


def scheduled_view(email: Email) -> dict[str, Any]:
    """The scheduled record; ``transmission_id`` is a string from the start (the spec and the Node,
    Go, PHP and Java SDKs type it so), the id ``GET /emails/{id}`` also answers to."""
    held = email.status in ("scheduled", "cancelled")
    recipients = _recipients(email)
    accepted = email.extra.get("accepted", len(recipients))
    return {
        "request_id": transmission_id(email),
        "transmission_id": transmission_id(email),
        "state": detail_state(email),
        "scheduled_at": ts(email.scheduled_at),
        "from": address_of(email.from_),
        "from_name": email.extra.get("from_name"),
        "subject": email.subject or "",
        "recipients": recipients,
        "num_recipients": len(recipients),
        "events": [] if held else rendered_events(email),
        "accepted": 0 if email.status == "cancelled" else accepted,
        "rejected": email.extra.get("rejected", 0),
        "tag": email.tags[0] if email.tags else None,
        "failure_reason": "All recipients are suppressed." if email.status == "suppressed" else None,
    }


def list_item(email: Email) -> dict[str, Any]:
    """A ``SentEmailListItem``: the email's injection, for its first recipient."""
    injection = next((e for e in email.events if getattr(e, "type", None) == "email.sent"), None)
    recipient = address_of(email.recipients[0]) if email.recipients else ""
    item: dict[str, Any] = {
        "event_id": injection.id if injection is not None else "inj_" + email.id.removeprefix("email_"),
        "type": "injection",
        "timestamp": ts(email.sent_at or email.created_at),
    }
    fields = common_fields(email, recipient)
    for name in ("request_id", "message_id", "subject", "friendly_from", "sending_domain", "rcpt_to",
                 "raw_rcpt_to", "recipient_domain", "mailbox_provider", "mailbox_provider_region",
                 "sending_ip", "click_tracking", "open_tracking", "transactional", "msg_size",
                 "injection_time"):
        item[name] = fields[name]
    item["rcpt_meta"] = dict(email.metadata) or None
    return item
