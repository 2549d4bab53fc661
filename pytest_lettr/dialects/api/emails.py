"""``/api/emails``: send, list (cursor), detail with events, the events list, scheduled emails.

Sandbox keys see only the emails sandbox keys sent; every other key sees only live emails.
Lists default to the last 10 days (``from``/``to`` move the window), newest first.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime, timedelta
from typing import Any

from ... import errors
from ...clock import isoformat_or_none as ts
from ...errors import ValidationFailed
from ...state import Email, Event, sending
from ...state.emails import STATUSES, address_of
from ...state.event_index import EventFilter, EventIndex
from ...state.indexes import Selection
from ...state.pagination import paginate
from ...webhooks.payloads import API_EVENT_TYPES, render_event
from ..base import Call, Reply, Route
from .sending import schedule_email, send_email
from .validation import Query, minus, page_of
from .views import SCHEDULED_STATES, email_detail, list_item, scheduled_state, scheduled_view
from .wire import ok

DEFAULT_WINDOW = timedelta(days=10)


def visible(call: Call, email: Email) -> bool:
    """Sandbox keys see sandbox emails, all other keys live ones."""
    return call.key is not None and email.sandbox == call.key.sandbox


def _require_owner(call: Call) -> None:
    if call.key is not None and call.key.sandbox and not call.key.owner_email:
        raise errors.RetrievalError("Sandbox API key does not have an associated user with an email address.")


def window(call: Call, query: Query) -> tuple[datetime, datetime]:
    """The ``from``/``to`` range (default: the last 10 days up to now)."""
    now = call.account.clock.now()
    start = query.date("from")
    end = query.date("to", end_of_day=True)
    start = start if start is not None else minus(end or now, DEFAULT_WINDOW)
    end = end if end is not None else max(now, start)
    if start > end:
        query.fields.add("from", "The from date must be before the to date.")
    return start, end


def encode_cursor(ident: str) -> str:
    return base64.urlsafe_b64encode(ident.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    try:
        return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise ValidationFailed({"cursor": ["The cursor is invalid."]}) from None


def events_page(items: list[dict[str, Any]], total: int, start: datetime, end: datetime, per_page: int,
                next_cursor: str | None) -> dict[str, Any]:
    return {"events": {"data": items, "total_count": total, "from": ts(start), "to": ts(end),
                       "pagination": {"next_cursor": next_cursor, "per_page": per_page}}}


def find_email(call: Call, ident: str) -> Email | None:
    """An email this key may see, by request id (or, for v1 emails, by id)."""
    outbox = call.account.outbox
    for email in outbox.by_request(ident):
        if visible(call, email):
            return email
    position = outbox.position(ident)
    if position is not None and visible(call, outbox.at(position)):
        return outbox.at(position)
    return None


# -- GET /emails ------------------------------------------------------------------------------
def _cursor_position(call: Call, cursor: str | None) -> int | None:
    """The outbox position a ``cursor`` points after (``None``: the first page)."""
    if not cursor:
        return None
    position = call.account.outbox.position(decode_cursor(cursor))
    if position is None:
        raise ValidationFailed({"cursor": ["The cursor is invalid."]})
    return position


#: ``GET /emails`` shows the emails handed over (scheduled ones have their own list), of the
#: kind of key asking (see :func:`visible`).
LISTED_STATUSES = tuple(status for status in STATUSES if status not in ("scheduled", "cancelled"))


def list_emails(call: Call) -> Reply:
    query = Query(call.query)
    per_page = query.integer("per_page", default=25, minimum=1, maximum=100) or 25
    recipient = (call.query.get("recipients") or "").strip() or None
    start, end = window(call, query)
    query.check()
    _require_owner(call)
    after = _cursor_position(call, call.query.get("cursor"))
    outbox = call.account.outbox
    if call.key is None:  # the route needs a key; nothing is visible without one
        matches = Selection([])
    else:
        matches = outbox.select(start, end, recipient=recipient, statuses=LISTED_STATUSES, sandbox=call.key.sandbox)
    page = paginate(matches, outbox.at, limit=per_page, starting_after=after)
    next_cursor = encode_cursor(page.items[-1].id) if page.has_more and page.items else None
    return ok("Emails retrieved successfully.",
              events_page([list_item(e) for e in page.items], page.total_count, start, end, per_page, next_cursor))


# -- GET /emails/events -----------------------------------------------------------------------
def _event_filter(call: Call, query: Query) -> EventFilter:
    """The filters of ``GET /emails/events``, for the kind of key asking (see :func:`visible`)."""
    return EventFilter(call.key is not None and call.key.sandbox,
                       frozenset(query.csv("events", choices=API_EVENT_TYPES)),
                       frozenset(address_of(r) for r in query.csv("recipients")),
                       frozenset(query.csv("transmissions")), frozenset(query.csv("bounce_classes")))


def _event_cursor(index: EventIndex, cursor: str | None, wanted: EventFilter, start: datetime,
                  end: datetime) -> int | None:
    """The position of the listed event a ``cursor`` names; it must be one the query lists."""
    if cursor is None:
        return None
    position = index.position(decode_cursor(cursor))
    found = index.facets_at(position) if position is not None else None
    if position is None or found is None or not found.passes(wanted) \
            or not start <= index.at(position).created_at <= end:
        raise ValidationFailed({"cursor": ["The cursor is invalid."]})
    return position


def list_events(call: Call) -> Reply:
    query = Query(call.query)
    per_page = query.integer("per_page", default=25, minimum=1, maximum=100) or 25
    wanted = _event_filter(call, query)
    start, end = window(call, query)
    cursor = call.query.get("cursor") or None
    query.check()
    account = call.account
    index = account.event_index
    matches = index.select(wanted, start, end) if call.key is not None else Selection([])
    after = _event_cursor(index, cursor, wanted, start, end)

    def fetch(position: int) -> tuple[Event, Email | None]:
        event = index.at(position)
        stored = account.outbox.position(event.email_id or "")  # None: deleted meanwhile
        return event, account.outbox.at(stored) if stored is not None else None

    page = paginate(matches, fetch, limit=per_page, starting_after=after)
    items = [item for item in (render_event(event, email) for event, email in page.items if email is not None)
             if item is not None]
    next_cursor = encode_cursor(page.items[-1][0].id) if page.has_more and page.items else None
    return ok("Email events retrieved successfully.",
              events_page(items, page.total_count, start, end, per_page, next_cursor))


# -- GET /emails/{requestId} ------------------------------------------------------------------
def get_email(call: Call) -> Reply:
    query = Query(call.query)
    start, end = window(call, query)
    query.check()
    email = find_email(call, call.args["request_id"])
    if email is None:
        raise errors.NotFound("Email not found.")
    events = [body for body in (render_event(e, email) for e in reversed(list(email.events))
                                if start <= e.created_at <= end) if body is not None]
    return ok("Email retrieved successfully.", email_detail(email, events))


# -- scheduled --------------------------------------------------------------------------------
def _scheduled(call: Call) -> Email:
    email = find_email(call, call.args["request_id"])
    if email is None or email.scheduled_at is None:
        raise errors.NotFound("Scheduled transmission not found.")
    return email


def get_scheduled(call: Call) -> Reply:
    return ok("Scheduled transmission retrieved successfully.", scheduled_view(_scheduled(call)))


def cancel_scheduled(call: Call) -> Reply:
    try:
        email = sending.cancel(call.account, call.actor, _scheduled(call))
    except errors.NotCancellable:
        raise errors.NotCancellable(
            f"Failed to cancel scheduled transmission {call.args['request_id'][:64]}.") from None
    # The Python SDK reads the cancelled record back with ``state == "cancelled"`` (the spec shows
    # only a message); a later GET shows the spec's ``failed``.
    return ok("Scheduled transmission cancelled successfully.", {**scheduled_view(email), "state": "cancelled"})


def list_scheduled(call: Call) -> Reply:
    query = Query(call.query)
    page, per_page = query.page()
    status = query.choice("status", SCHEDULED_STATES)
    query.check()
    _require_owner(call)
    found = [e for e in call.account.outbox.scheduled(call.key.sandbox if call.key is not None else False)
             if e.scheduled_at is not None and visible(call, e) and (status is None or scheduled_state(e) == status)]
    found.sort(key=lambda e: (e.scheduled_at, e.created_at))
    items, pagination = page_of(found, page, per_page)
    return ok("Scheduled emails retrieved successfully.",
              {"scheduled_emails": [scheduled_view(e) for e in items], "pagination": pagination})


ROUTES = [
    Route("POST", "/emails", send_email, "emails:send", scope="emails:send"),
    Route("GET", "/emails", list_emails, "emails:list", scope="emails:read"),
    Route("GET", "/emails/events", list_events, "emails:list", scope="emails:read"),
    Route("POST", "/emails/scheduled", schedule_email, "emails:send", scope="emails:send"),
    Route("GET", "/emails/scheduled", list_scheduled, "emails:list", scope="emails:read"),
    Route("GET", "/emails/scheduled/<request_id>", get_scheduled, "emails:read", scope="emails:read"),
    Route("DELETE", "/emails/scheduled/<request_id>", cancel_scheduled, "emails:send", scope="emails:send"),
    Route("GET", "/emails/<request_id>", get_email, "emails:read", scope="emails:read"),
]
