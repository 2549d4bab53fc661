"""How the audience looks on the current API: contacts, lists, topics, properties, segments.

Also the reads every audience module shares: the page parameters (``per_page`` defaults to 20
here), and request ids of path parameters.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from ...clock import isoformat_or_none as ts
from ...errors import ValidationFailed
from ...state.audience import Audience, AudienceList, Contact, ContactProperty, Segment, Topic
from ..base import Call
from .validation import Query, page_of

#: ``per_page`` when the request gives none (the audience and campaign lists; emails use 25).
DEFAULT_PER_PAGE = 20


_R = TypeVar("_R")


def reference(query: Query, lookup: Callable[[str | None], _R], name: str) -> _R | None:
    """The list (or segment) a filter names, its 422 collected with the query's other errors."""
    try:
        return lookup(query.args.get(name) or None)
    except ValidationFailed as failed:
        for field_name, messages in failed.extra["errors"].items():
            for message in messages:
                query.fields.add(field_name, message)
        return None


def page(query: Query, *, max_page: int | None = None) -> tuple[int, int]:
    per_page = query.integer("per_page", default=DEFAULT_PER_PAGE, minimum=1, maximum=100)
    number = query.integer("page", default=1, minimum=1, maximum=max_page)
    return number or 1, per_page or DEFAULT_PER_PAGE


def listing(call: Call, plural: str, items: Sequence[Any], view: Any, query: Query | None = None) -> dict[str, Any]:
    """``{plural: [...], pagination}`` for one page of ``items`` (query checked first)."""
    query = query or Query(call.query)
    number, per_page = page(query)
    query.check()
    shown, pagination = page_of(items, number, per_page)
    return {plural: [view(call.account.audience, item) for item in shown], "pagination": pagination}


def list_view(audience: Audience, item: AudienceList) -> dict[str, Any]:
    return {"id": item.id, "name": item.name, "contacts_count": audience.list_size(item)}


def contact_view(audience: Audience, contact: Contact) -> dict[str, Any]:
    lists = {item.id: item for item in audience.lists}
    topics = {item.id: item for item in audience.topics}
    return {
        "id": contact.id, "email": contact.email, "status": contact.status,
        "properties": dict(contact.properties), "created_at": ts(contact.created_at),
        "lists": [{"id": i, "name": lists[i].name} for i in contact.list_ids if i in lists],
        "topics": [{"id": i, "name": topics[i].name} for i in contact.topic_ids if i in topics],
    }


def topic_view(audience: Audience, topic: Topic) -> dict[str, Any]:
    return {"id": topic.id, "name": topic.name, "description": topic.description,
            "default_subscription": topic.default_subscription, "visibility": topic.visibility,
            "contacts_count": audience.topic_size(topic), "created_at": ts(topic.created_at)}


def property_view(audience: Audience, item: ContactProperty) -> dict[str, Any]:
    return {"id": item.id, "name": item.name, "type": item.type, "fallback_value": item.fallback_value,
            "created_at": ts(item.created_at)}


def segment_view(audience: Audience, segment: Segment) -> dict[str, Any]:
    scope = audience.find_list(segment.list_id) if segment.list_id else None
    return {
        "id": segment.id, "name": segment.name, "list_id": segment.list_id,
        "list_name": scope.name if scope else None,
        "condition_groups": [{"conditions": [{"field": c.field, "operator": c.operator, "value": c.value}
                                             for c in group]} for group in segment.groups],
        "cached_contacts_count": len(audience.members(segment)),
        "created_at": ts(segment.created_at),
    }
