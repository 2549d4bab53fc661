"""The control API's JSON: snake_case, times in ISO 8601, bytes in base64, secrets masked."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

from ..clock import isoformat_or_none
from ..faults import Fault
from ..masking import mask_header
from ..state import Email, Event
from ..state.keys import CreatedKey
from ..webhooks.delivery import Attempt, Delivery


def iso(moment: datetime | None) -> str | None:
    return isoformat_or_none(moment)


def _bytes(raw: bytes | None) -> str | None:
    return None if raw is None else base64.b64encode(raw).decode("ascii")


def _text_or_base64(raw: bytes) -> dict[str, Any]:
    try:
        return {"text": raw.decode("utf-8"), "base64": None}
    except UnicodeDecodeError:
        return {"text": None, "base64": _bytes(raw)}


def _plain(value: Any) -> Any:
    """A JSON-ready copy of event data or metadata (datetimes as ISO 8601, bytes as base64)."""
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, bytes):
        return _bytes(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(v) for v in value]
    return value


def event(item: Event) -> dict[str, Any]:
    return {"id": item.id, "type": item.type, "api_type": item.api_type, "email_id": item.email_id,
            "created_at": iso(item.created_at), "data": _plain(item.data)}


def email(item: Email) -> dict[str, Any]:
    """Everything stored about one email, bodies and attachment contents included."""
    return {
        "id": item.id, "status": item.status, "from": item.from_, "to": list(item.to), "cc": list(item.cc),
        "bcc": list(item.bcc), "reply_to": item.reply_to, "subject": item.subject, "html": item.html,
        "text": item.text, "headers": dict(item.headers), "tags": list(item.tags),
        "metadata": _plain(item.metadata), "template_id": item.template_id, "variables": _plain(item.variables),
        "attachments": [{"filename": a.filename, "content_type": a.content_type, "url": a.url,
                         "content_base64": _bytes(a.content)} for a in item.attachments],
        "created_at": iso(item.created_at), "scheduled_at": iso(item.scheduled_at),
        "sent_at": iso(item.sent_at), "delivered_at": iso(item.delivered_at), "opens": item.opens,
        "clicks": item.clicks, "api_key_id": item.api_key_id, "request_id": item.request_id,
        "sandbox": item.sandbox, "events": [event(e) for e in item.events],
    }


def attempt(item: Attempt) -> dict[str, Any]:
    return {
        "number": item.number, "status": item.status, "manual": item.manual,
        "scheduled_at": iso(item.scheduled_at), "attempted_at": iso(item.attempted_at),
        "duration_seconds": item.duration, "error": item.error, "next_retry_at": iso(item.next_retry_at),
        "request": {"headers": {k: mask_header(k, v) for k, v in item.request_headers.items()}},
        "response": {"status": item.response_code,
                     "headers": {k: mask_header(k, v) for k, v in item.response_headers.items()},
                     "body": _text_or_base64(item.response_body)},
    }


def delivery(item: Delivery) -> dict[str, Any]:
    """One webhook delivery: what was POSTed where, and every attempt with its answer."""
    target = item.target if isinstance(item.target, str) else getattr(item.target, "url", None)
    return {
        "id": item.id, "webhook_id": item.webhook_id, "event_id": item.event_id, "event_type": item.event_type,
        "url": target, "status": item.status, "created_at": iso(item.created_at),
        "next_retry_at": iso(item.next_retry_at), "cancelled": item.cancelled,
        "request": {"body": _text_or_base64(item.body)},
        "attempts": [attempt(a) for a in item.attempts],
    }


def fault(item: Fault) -> dict[str, Any]:
    path = item.path if item.path is None or isinstance(item.path, str) else item.path.pattern
    return {"id": item.number, "method": item.method, "path": path, "dialect": item.dialect,
            "status": item.status, "retry_after": item.retry_after, "delay": item.delay, "drop": item.drop,
            "truncate": item.truncate, "after_commit": item.after_commit, "times": item.times,
            "probability": item.probability, "after": item.after, "hits": item.hits, "seen": item.seen,
            "active": item.active}


def created_key(item: CreatedKey, mode: str) -> dict[str, Any]:
    """A minted key: its secret is shown here once, as on creation through the API."""
    stored = item.api_key
    return {"id": item.id, "key": item.key, "name": stored.name, "mode": mode,
            "permissions": list(stored.permissions), "created_at": iso(stored.created_at)}


__all__ = ["attempt", "created_key", "delivery", "email", "event", "fault", "iso"]
