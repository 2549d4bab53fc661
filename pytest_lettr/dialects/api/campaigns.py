"""``/api/campaigns``: list, show, engagement events, send (202), schedule and unschedule.

``campaigns:read`` reads, ``campaigns:write`` acts (sandbox keys: 403). The state machine and
when emails go out are :mod:`pytest_lettr.state.campaigns`'s; here are the wire shapes, the
events' cursor (a window over the campaign's events, newest first, filtered after the window is
cut — so a filtered page may be empty while ``next_cursor`` is not ``null``, as Lettr documents).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from ...clock import isoformat_or_none as ts
from ...state.campaigns import EVENT_TYPES, STATUSES, Campaign, CampaignStore
from ...state.emails import Email
from ..base import Call, Reply, Route
from .audience_views import page
from .validation import Fields, Query, page_of, parse_datetime
from .wire import ok

MAX_PAGE = 10000
_BOUNCE_CLASSES = {"hard": "10", "soft": "20"}


def summary(store: CampaignStore, campaign: Campaign) -> dict[str, Any]:
    return {
        "id": campaign.id, "name": campaign.name, "subject": campaign.subject, "from_email": campaign.from_email,
        "from_name": campaign.from_name, "reply_to": campaign.reply_to, "status": campaign.status,
        "scheduled_at": ts(campaign.scheduled_at), "total_recipients": campaign.total_recipients,
        "sent_count": len(campaign.email_ids), "sent_at": ts(campaign.sent_at), "created_at": ts(campaign.created_at),
        "stats": asdict(store.stats(campaign)),
    }


def _campaign(call: Call) -> tuple[CampaignStore, Campaign]:
    store = call.account.campaigns
    return store, store.get(call.args["campaign_id"])


def list_campaigns(call: Call) -> Reply:
    query = Query(call.query)
    number, per_page = page(query, max_page=MAX_PAGE)
    status = query.choice("status", STATUSES)
    query.check()
    store = call.account.campaigns
    shown, pagination = page_of(store.all(status), number, per_page)
    return ok("Campaigns retrieved successfully.",
              {"campaigns": [summary(store, c) for c in shown], "pagination": pagination})


def show_campaign(call: Call) -> Reply:
    store, campaign = _campaign(call)
    return ok("Campaign retrieved successfully.", {**summary(store, campaign), "html_content": campaign.html})


def _cursor(query: Query) -> int:
    raw = query.args.get("cursor")
    if not raw:
        return 0
    try:
        text = base64.urlsafe_b64decode(raw.encode("ascii") + b"=" * (-len(raw) % 4)).decode("ascii")
    except (binascii.Error, UnicodeError, ValueError):
        text = ""
    if not text.startswith("o:") or not text[2:].isdigit() or len(text) > 22:
        query.fields.add("cursor", "The cursor is invalid.")
        return 0
    return int(text[2:])


def _event_view(email: Any, event: Any) -> dict[str, Any]:
    data = event.data
    return {
        "event_id": event.id, "event_type": EVENT_TYPES[event.type], "email": email.to[0],
        "timestamp": ts(event.created_at),
        "bounce_class": _BOUNCE_CLASSES.get(data.get("bounce_type", "")) if event.type == "email.bounced" else None,
        "reason": data.get("message") or data.get("reason"),
        "target_link_url": data.get("url"), "user_agent": data.get("user_agent"),
    }


@dataclass(frozen=True)
class _EventFilter:
    event_type: str | None
    email: str | None
    start: datetime | None
    end: datetime | None

    def keeps(self, email: Email, event: Any) -> bool:
        return ((self.event_type is None or EVENT_TYPES[event.type] == self.event_type)
                and (self.email is None or email.to[0].lower() == self.email)
                and (self.start is None or event.created_at >= self.start)
                and (self.end is None or event.created_at <= self.end))


def _encode(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode().rstrip("=")


def list_events(call: Call) -> Reply:
    query = Query(call.query)
    wanted = _EventFilter(query.choice("event_type", tuple(EVENT_TYPES.values())),
                          (call.query.get("email") or "").strip().lower() or None,
                          query.date("start_date"), query.date("end_date", end_of_day=True))
    limit = query.integer("limit", default=25, minimum=1, maximum=100) or 25
    offset = _cursor(query)
    query.check()
    store, campaign = _campaign(call)
    every = list(reversed(store.events(campaign)))
    shown = [_event_view(e, ev) for e, ev in every[offset:offset + limit] if wanted.keeps(e, ev)]
    next_cursor = _encode(offset + limit) if offset + limit < len(every) else None
    return ok("Campaign events retrieved successfully.", {"events": shown, "next_cursor": next_cursor})


def send_campaign(call: Call) -> Reply:
    store, campaign = _campaign(call)
    accepted = store.send(campaign, call.actor)
    return ok("Campaign is being prepared for sending.", summary(store, accepted), 202)


def schedule_campaign(call: Call) -> Reply:
    fields = Fields(call.json())
    raw = fields.string("scheduled_at", required=True, max_length=64)
    at = parse_datetime(raw) if raw is not None else None
    if raw is not None and at is None:
        fields.add("scheduled_at", "The scheduled at field must be a valid date.")
    fields.check()
    assert at is not None
    store, campaign = _campaign(call)
    return ok("Campaign scheduled successfully.", summary(store, store.schedule(campaign, at, call.actor)))


def unschedule_campaign(call: Call) -> Reply:
    store, campaign = _campaign(call)
    return ok("Campaign unscheduled successfully.", summary(store, store.unschedule(campaign, call.actor)))


def _read(path: str, handler: Any) -> Route:
    return Route("GET", path, handler, "campaigns:read", scope="campaigns:read")


def _act(path: str, handler: Any) -> Route:
    return Route("POST", path, handler, "campaigns:write", scope="campaigns:write", write=True)


ROUTES = [
    _read("/campaigns", list_campaigns),
    _read("/campaigns/<campaign_id>", show_campaign),
    _read("/campaigns/<campaign_id>/events", list_events),
    _act("/campaigns/<campaign_id>/send", send_campaign),
    _act("/campaigns/<campaign_id>/schedule", schedule_campaign),
    _act("/campaigns/<campaign_id>/unschedule", unschedule_campaign),
]
