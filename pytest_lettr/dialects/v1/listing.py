"""v1 list endpoints: ``limit``, ``starting_after`` / ``ending_before``, newest first."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar

from ...errors import InvalidParameter
from ...state.indexes import Selection
from ...state.pagination import paginate
from ..base import Call, Reply
from .validation import query_limit
from .wire import page_body

T = TypeVar("T")


class HasId(Protocol):
    id: str


def page_reply(
    call: Call,
    positions: Sequence[int] | Selection,
    fetch: Callable[[int], T],
    position_of: Callable[[str], int | None],
    render: Callable[[T], dict[str, Any]],
) -> Reply:
    """One page of a list as a v1 ``{"object": "list", ...}`` reply."""
    limit = query_limit(call.query)
    after, before = call.query.get("starting_after"), call.query.get("ending_before")
    if after is not None and before is not None:
        raise InvalidParameter("Use either 'starting_after' or 'ending_before', not both",
                               param="ending_before")
    cursors: dict[str, int | None] = {}
    for name, value in (("starting_after", after), ("ending_before", before)):
        if value is not None:
            position = position_of(value)
            if position is None:
                raise InvalidParameter(f"The '{name}' cursor '{value[:64]}' is not a known id", param=name)
            cursors[name] = position
    page = paginate(positions, fetch, limit=limit, **cursors)
    return Reply(200, page_body([render(item) for item in page.items], page.has_more, page.total_count))


def list_reply(call: Call, items: Sequence[T], render: Callable[[T], dict[str, Any]],
               all_ids: Sequence[str] | None = None) -> Reply:
    """Paginate a small in-memory list (oldest first). ``all_ids`` (every id of the resource,
    oldest first, ``items`` being a filtered subsequence) lets cursors name items the filters left
    out: they still mark a position. By default only listed ids are cursors::

        list_reply(call, store.all(status), render, all_ids=[d.id for d in store.all()])
    """
    if all_ids is None:
        index = {item.id: i for i, item in enumerate(items)}  # type: ignore[attr-defined]
        return page_reply(call, range(len(items)), items.__getitem__, index.get, render)
    index = {item_id: i for i, item_id in enumerate(all_ids)}
    by_position = {index[item.id]: item for item in items}  # type: ignore[attr-defined]
    return page_reply(call, sorted(by_position), by_position.__getitem__, index.get, render)


def query_choice(call: Call, name: str, choices: Sequence[str]) -> str | None:
    """A list filter from the query string: absent → ``None``; not one of ``choices`` → 400."""
    value = call.query.get(name)
    if value is not None and value not in choices:
        raise InvalidParameter(f"The '{name}' parameter must be one of: {', '.join(choices)}", param=name)
    return value
