"""v1 audit log: ``GET /v1/audit-logs`` with date, action, actor and resource filters, newest first (§6).

Filters: ``startDate`` / ``endDate`` (``YYYY-MM-DD`` or a full timestamp; a bare ``endDate``
includes that whole day), ``action`` (exact, or ``team.*`` for every action of a resource),
``actorId``, ``resourceType``.
"""

from __future__ import annotations

import re
from typing import Any

from ... import errors
from ...clock import isoformat_or_none as ts
from ...state.audit import AuditEntry
from ..base import Call, Reply, Route
from .listing import page_reply
from .validation import parse_date_or_timestamp
from .wire import wire_name

ACTION_RE = re.compile(r"^[a-z][a-z0-9_-]*(\.[a-z0-9_*-]+)*$")


def render_entry(entry: AuditEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "object": "audit_log",
        "action": entry.action,
        "actorId": entry.actor_id,
        "actorType": entry.actor_type,
        "actorEmail": entry.actor_email,
        "resource": {"type": entry.resource_type, "id": entry.resource_id},
        "ipAddress": entry.ip_address,
        "userAgent": entry.user_agent,
        "metadata": render_metadata(entry.metadata),
        "createdAt": ts(entry.created_at),
    }


def render_metadata(metadata: dict[str, Any]) -> dict[str, Any]:
    """Audit metadata in v1 casing: its names, and the field names of a ``changes`` diff."""
    rendered = {wire_name(name): value for name, value in metadata.items()}
    changes = rendered.get("changes")
    if isinstance(changes, dict):
        rendered["changes"] = {wire_name(name): value for name, value in changes.items()}
    return rendered


def _text(call: Call, name: str, max_length: int = 200) -> str | None:
    value = call.query.get(name)
    if value is None:
        return None
    value = value.strip()
    if not value or len(value) > max_length:
        raise errors.InvalidParameter(f"The '{name}' parameter must be 1-{max_length} characters", param=name)
    return value


def _action_filter(action: str) -> dict[str, str]:
    """``action=x.y`` → the exact action; ``action=x.*`` → every action starting ``x.``."""
    if not ACTION_RE.match(action) or ("*" in action and not action.endswith(".*")):
        raise errors.InvalidParameter("The 'action' parameter must be an action such as 'api_key.created' "
                                      "or 'api_key.*'", param="action")
    if action.endswith(".*"):
        return {"action_prefix": action[:-1]}
    return {"action": action}


def list_audit_logs(call: Call) -> Reply:
    start_raw, end_raw = _text(call, "startDate"), _text(call, "endDate")
    start = parse_date_or_timestamp(start_raw, "startDate") if start_raw else None
    end = parse_date_or_timestamp(end_raw, "endDate", end_of_day=True) if end_raw else None
    if start is not None and end is not None and start > end:
        raise errors.InvalidParameter("The 'startDate' parameter must not be after 'endDate'", param="startDate")
    action_raw = _text(call, "action", 100)
    by_action = _action_filter(action_raw) if action_raw else {}
    actor_id, resource_type = _text(call, "actorId"), _text(call, "resourceType", 100)
    audit = call.account.audit
    positions = audit.select(start, end, actor_id=actor_id, resource_type=resource_type, **by_action)
    return page_reply(call, positions, audit.at, audit.position, render_entry)


ROUTES = [
    Route("GET", "/audit-logs", list_audit_logs, "audit-logs:read"),
]
