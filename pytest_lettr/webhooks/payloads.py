"""Account events as each wire shows them: v1's camelCase envelope and the current API's
``EmailEvent`` (``delivery``, …).

The account records one event vocabulary (``email.delivered``, …) with snake_case data whose times
are datetimes. v1 webhooks receive it as ``{"id", "type", "createdAt", "data"}`` with camelCase
data names and ISO times (:func:`v1_event`; the user's metadata inside is never re-cased)::

    v1_data({"email_id": "email_1", "is_first_open": True})   # {'emailId': 'email_1', 'isFirstOpen': True}

The current API shows each event as the SparkPost-style ``EmailEvent`` of its spec, in
``GET /api/emails/events`` and in what its webhooks receive, and names the webhook event types
``message.delivery``, ``engagement.click``, …::

    api_type(event)                      # 'click' for an email.clicked event
    CATEGORY["click"] + "." + "click"    # 'engagement.click'

Its webhooks receive a JSON array of SparkPost-style events, each wrapped in ``msys`` under its
class (:data:`MSYS_KINDS`), with the ``EmailEvent`` fields plus ``transmission_id``, the time as
Unix seconds and the numbers Lettr's payload examples quote as strings::

    [{"msys": {"message_event": {"type": "bounce", "timestamp": "1705312205", "bounce_class": "10",
                                 "rcpt_to": "ada@example.com", "rcpt_meta": {"userId": "7"}, ...}}}]

:func:`msys_envelope` is the wrapper, for every producer of such events.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..casing import camel
from ..clock import isoformat
from ..clock import isoformat_or_none as ts
from ..state.emails import Email, address_of
from .delivery import USER_AGENT
from .signing import SIGNATURE_HEADER, sign_webhook

if TYPE_CHECKING:
    from ..state.account import Account, Event

#: Account event type → its usual current-API event type (an event's own ``api_type`` wins).
#: Types without an entry have no current-API event.
EVENT_TYPES: dict[str, str] = {
    "email.sent": "injection",
    "email.delivered": "delivery",
    "email.bounced": "bounce",
    "email.deferred": "delay",
    "email.opened": "open",
    "email.clicked": "click",
    "email.complained": "spam_complaint",
    "email.unsubscribed": "link_unsubscribe",
    "email.policy_rejected": "policy_rejection",
    "email.generation_failed": "generation_failure",
    "email.generation_rejected": "generation_rejection",
}
#: Unsubscribe reasons that are a List-Unsubscribe (the header, or its RFC 8058 one-click POST).
LIST_UNSUBSCRIBE_REASONS = frozenset({"list_unsubscribe", "one_click"})

#: Every event type of the spec's ``EmailEvent`` (the ``events`` filter accepts these).
API_EVENT_TYPES: tuple[str, ...] = (
    "injection", "delivery", "bounce", "delay", "out_of_band", "spam_complaint", "policy_rejection",
    "click", "open", "initial_open", "amp_click", "amp_open", "amp_initial_open", "generation_failure",
    "generation_rejection", "list_unsubscribe", "link_unsubscribe",
)

#: The webhook category of each event type: ``delivery`` is delivered as ``message.delivery``.
CATEGORY: dict[str, str] = {
    **{t: "message" for t in ("injection", "delivery", "bounce", "delay", "out_of_band", "spam_complaint",
                              "policy_rejection")},
    **{t: "engagement" for t in ("click", "open", "initial_open", "amp_click", "amp_open",
                                 "amp_initial_open")},
    "generation_failure": "generation",
    "generation_rejection": "generation",
    "list_unsubscribe": "unsubscribe",
    "link_unsubscribe": "unsubscribe",
}

_PROVIDERS = {
    "gmail.com": "Gmail", "googlemail.com": "Gmail", "outlook.com": "Hotmail / Outlook",
    "hotmail.com": "Hotmail / Outlook", "live.com": "Hotmail / Outlook", "yahoo.com": "Yahoo",
    "icloud.com": "Apple", "me.com": "Apple", "aol.com": "AOL", "gmx.de": "GMX", "web.de": "Web.de",
}
#: The documentation address the mock reports as its sending IP.
SENDING_IP = "192.0.2.25"
#: The numeric bounce class of each bounce category (Lettr's bounce-class table).
BOUNCE_CLASSES: dict[str, int] = {"invalid_recipient": 10, "invalid_domain": 10, "mailbox_full": 22,
                                  "dns_failure": 21, "spam_block": 51}
#: Bounce classes that are hard bounces: invalid recipient, no RCPT, relay denied.
HARD_BOUNCE_CLASSES = frozenset({10, 30, 100})
#: The bounce class of a policy rejection (admin failure: the sender's policy refused it).
POLICY_BOUNCE_CLASS = 25
#: The ``msys`` member each webhook category's events are wrapped in (SparkPost's event classes).
MSYS_KINDS: dict[str, str] = {"message": "message_event", "engagement": "track_event",
                              "generation": "gen_event", "unsubscribe": "unsubscribe_event"}
#: Fields a webhook delivery quotes as strings, as Lettr's payload examples do.
_QUOTED = ("bounce_class", "num_retries")


# -- v1 ----------------------------------------------------------------------------------------
def v1_data(data: Mapping[str, Any]) -> dict[str, Any]:
    """Event data as v1 shows it: top-level names in camelCase, datetimes as ISO 8601 ``Z``
    strings; values (the user's ``metadata`` above all) are kept as they are."""
    return {camel(name): isoformat(value) if isinstance(value, datetime) else value
            for name, value in data.items()}


def v1_envelope(event_id: str, event_type: str, created_at: datetime,
                data: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON body of a v1 delivery: ``{"id", "type", "createdAt", "data"}`` in that order."""
    return {"id": event_id, "type": event_type, "createdAt": isoformat(created_at), "data": v1_data(data)}


def v1_event(event: Event) -> dict[str, Any]:
    """An account event as the body v1 webhooks receive (before serialising and signing)."""
    return v1_envelope(event.id, event.type, event.created_at, event.data)


# -- current API -------------------------------------------------------------------------------
def api_type(event: Event) -> str | None:
    """The current-API type of an account event (``None`` if it has none): its own ``api_type``,
    else (seeded history) the first open is ``initial_open`` and a List-Unsubscribe reason is
    ``list_unsubscribe``."""
    if event.api_type is not None:
        return event.api_type
    api = EVENT_TYPES.get(event.type)
    if api == "open" and event.data.get("is_first_open"):
        return "initial_open"
    if api == "link_unsubscribe" and event.data.get("reason") in LIST_UNSUBSCRIBE_REASONS:
        return "list_unsubscribe"
    return api


def webhook_type(api_event_type: str) -> str:
    """``"delivery"`` → ``"message.delivery"``."""
    return f"{CATEGORY.get(api_event_type, 'message')}.{api_event_type}"


def transmission_id(email: Email) -> str:
    """The id the current API shows for an email: its request id (v1 emails: their own id)."""
    return email.request_id or email.id


def mailbox_provider(domain: str) -> str:
    return _PROVIDERS.get(domain, "Other")


def event_recipient(event: Event, email: Email) -> str:
    to = event.data.get("to")
    if isinstance(to, str) and to:
        return address_of(to)
    if isinstance(to, list) and to and isinstance(to[0], str):
        return address_of(to[0])
    return address_of(email.recipients[0]) if email.recipients else ""


def _rcpt_type(email: Email, recipient: str) -> str:
    if any(address_of(a) == recipient for a in email.cc):
        return "cc"
    if any(address_of(a) == recipient for a in email.bcc):
        return "bcc"
    return "to"


def common_fields(email: Email, recipient: str) -> dict[str, Any]:
    """The fields every event (and every ``GET /emails`` item) of ``email`` shares."""
    domain = recipient.rpartition("@")[2]
    sender = address_of(email.from_)
    sending_domain = sender.rpartition("@")[2]
    version = email.extra.get("template_version")
    return {
        "request_id": transmission_id(email),
        "rcpt_to": recipient,
        "raw_rcpt_to": recipient,
        "recipient_domain": domain,
        "mailbox_provider": mailbox_provider(domain),
        "mailbox_provider_region": "Global",
        "message_id": email.id.removeprefix("email_"),
        "subject": email.subject,
        "friendly_from": email.from_,
        "sending_domain": sending_domain,
        "sending_ip": SENDING_IP,
        "click_tracking": bool(email.tracking.get("clicks", True)),
        "open_tracking": bool(email.tracking.get("opens", True)),
        "transactional": bool(email.options.get("transactional", True)),
        "msg_size": len((email.html or "").encode()) + len((email.text or "").encode()),
        "injection_time": ts(email.sent_at or email.created_at),
        "campaign_id": email.tags[0] if email.tags else None,
        "template_id": email.template_id,
        "template_version": str(version) if version is not None else None,
        "ip_pool": "default",
        "msg_from": f"bounces@{sending_domain}",
        "rcpt_type": _rcpt_type(email, recipient),
        "rcpt_tags": list(email.tags),
        "amp_enabled": bool(email.extra.get("amp_html")),
        "recv_method": "rest",
        "routing_domain": domain,
        "scheduled_time": ts(email.scheduled_at),
        "rcpt_meta": dict(email.metadata) or None,
    }


def _injection(email: Email, data: Mapping[str, Any], body: Mapping[str, Any]) -> dict[str, Any]:
    return {"initial_pixel": bool(email.tracking.get("opens", True))}


def _delivery(email: Email, data: Mapping[str, Any], body: Mapping[str, Any]) -> dict[str, Any]:
    return {"queue_time": _int(data.get("queue_time"), 0), "outbound_tls": "1", "delv_method": "esmtp"}


def bounce_class(data: Mapping[str, Any]) -> int:
    """The bounce class of a bounce: the one given, else its category's, else 10 (hard) or 20."""
    given = data.get("bounce_class")
    if isinstance(given, int) and not isinstance(given, bool):
        return given
    default_class = 10 if data.get("bounce_type") == "hard" else 20
    return BOUNCE_CLASSES.get(str(data.get("bounce_category")), default_class)


def _reasons(data: Mapping[str, Any]) -> dict[str, Any]:
    message = str(data.get("message") or data.get("reason") or "")
    code = data.get("error_code")
    return {"reason": message or None, "raw_reason": message or None,
            "error_code": str(code) if code is not None else (message[:3] or None)}


def _bounce(email: Email, data: Mapping[str, Any], body: Mapping[str, Any]) -> dict[str, Any]:
    return {**_reasons(data), "bounce_class": bounce_class(data),
            "num_retries": _int(data.get("retry_count"), 0), "device_token": None}


def _out_of_band(email: Email, data: Mapping[str, Any], body: Mapping[str, Any]) -> dict[str, Any]:
    return {"bounce_class": bounce_class(data), **_reasons(data), "device_token": None}


def _policy_rejection(email: Email, data: Mapping[str, Any], body: Mapping[str, Any]) -> dict[str, Any]:
    return {"remote_addr": data.get("remote_addr"), **_reasons(data),
            "bounce_class": _int(data.get("bounce_class"), POLICY_BOUNCE_CLASS)}


def _generation(email: Email, data: Mapping[str, Any], body: Mapping[str, Any]) -> dict[str, Any]:
    return _reasons(data)


def _delay(email: Email, data: Mapping[str, Any], body: Mapping[str, Any]) -> dict[str, Any]:
    return {**_bounce(email, data, body), "queue_time": _int(data.get("queue_time"), 0), "outbound_tls": "1"}


def _open(email: Email, data: Mapping[str, Any], body: Mapping[str, Any]) -> dict[str, Any]:
    return {"user_agent": data.get("user_agent"), "ip_address": data.get("ip_address"),
            "initial_pixel": bool(data.get("is_first_open", False))}


def _click(email: Email, data: Mapping[str, Any], body: Mapping[str, Any]) -> dict[str, Any]:
    return {"user_agent": data.get("user_agent"), "ip_address": data.get("ip_address"),
            "target_link_url": data.get("url"), "target_link_name": None}


def _spam_complaint(email: Email, data: Mapping[str, Any], body: Mapping[str, Any]) -> dict[str, Any]:
    return {"fbtype": "abuse", "report_by": body["recipient_domain"], "report_to": body["sending_domain"]}


#: The fields each current-API event type adds to the common ones (unsubscribes add none).
_TYPE_FIELDS: dict[str, Callable[[Email, Mapping[str, Any], Mapping[str, Any]], dict[str, Any]]] = {
    "injection": _injection, "delivery": _delivery, "bounce": _bounce, "delay": _delay,
    "out_of_band": _out_of_band, "spam_complaint": _spam_complaint, "policy_rejection": _policy_rejection,
    "open": _open, "initial_open": _open, "amp_open": _open, "amp_initial_open": _open,
    "click": _click, "amp_click": _click,
    "generation_failure": _generation, "generation_rejection": _generation,
}


def render_event(event: Event, email: Email) -> dict[str, Any] | None:
    """``event`` as an ``EmailEvent`` of the spec, or ``None`` if it has no current-API type."""
    kind = api_type(event)
    if kind is None:
        return None
    body: dict[str, Any] = {"event_id": event.id, "type": kind, "timestamp": ts(event.created_at)}
    body.update(common_fields(email, event_recipient(event, email)))
    fields = _TYPE_FIELDS.get(kind)
    if fields is not None:
        body.update(fields(email, event.data, body))
    return body


def _int(value: Any, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def msys_envelope(kind: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """One event as a webhook array holds it: ``{"msys": {kind: body}}`` (``message_event``, ...)."""
    return {"msys": {kind: dict(body)}}


def webhook_event(event: Event, email: Email) -> dict[str, Any] | None:
    """``event`` as current-API webhooks receive it (an element of the delivered array), or ``None``.

    The ``EmailEvent`` fields, plus ``transmission_id`` (the ``request_id``); ``timestamp`` in Unix
    seconds, ``bounce_class`` and ``num_retries`` as strings, and ``rcpt_meta`` always an object.
    """
    rendered = render_event(event, email)
    if rendered is None:
        return None
    body: dict[str, Any] = {"type": rendered.pop("type"), "event_id": rendered.pop("event_id"),
                            "timestamp": str(int(event.created_at.timestamp())),
                            "transmission_id": rendered["request_id"]}
    rendered.pop("timestamp")
    body.update(rendered)
    for name in _QUOTED:
        if body.get(name) is not None:
            body[name] = str(body[name])
    body["rcpt_meta"] = body.get("rcpt_meta") or {}
    return msys_envelope(MSYS_KINDS[CATEGORY[body["type"]]], body)


def api_delivery(account: Account, event: Event) -> tuple[str, bytes] | None:
    """``(webhook event type, body)`` of an account event for current-API webhooks, or ``None``.

    A delivery is a JSON array holding one :func:`webhook_event`; sandbox emails are not delivered.
    """
    if event.email_id is None:
        return None
    position = account.outbox.position(event.email_id)
    if position is None:
        return None
    email = account.outbox.at(position)
    if email.sandbox:
        return None
    rendered = webhook_event(event, email)
    if rendered is None:
        return None
    (inner,) = rendered["msys"].values()
    body = json.dumps([rendered], separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return webhook_type(inner["type"]), body


def v1_delivery_headers(body: bytes, secrets: list[str], moment: datetime, event_id: str,
                        event_type: str) -> dict[str, str]:
    """The request headers of one v1 delivery attempt, signed with every live secret (current first)."""
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Lettr-Event-Id": event_id,
        "Lettr-Event-Type": event_type,
        SIGNATURE_HEADER: sign_webhook(body, secrets[0], timestamp=moment, extra_secrets=secrets[1:]),
    }
