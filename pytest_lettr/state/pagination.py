"""Cursor pagination over an oldest-first sequence, served newest first.

Lists hand over the matching items' positions in ascending order (a ``range`` for "everything",
an index's list for a filter, or a :class:`~pytest_lettr.state.indexes.Selection` of several), so a
page costs O(limit + log n), never a scan of all items.

>>> items = ["a", "b", "c", "d"]
>>> page = paginate(range(4), items.__getitem__, limit=2)
>>> page.items, page.has_more, page.total_count
(['d', 'c'], True, 4)
>>> paginate(range(4), items.__getitem__, limit=2, starting_after=2).items
['b', 'a']
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from .indexes import Selection

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    has_more: bool
    total_count: int


def paginate(
    positions: Sequence[int] | Selection,
    fetch: Callable[[int], T],
    *,
    limit: int,
    starting_after: int | None = None,
    ending_before: int | None = None,
) -> Page[T]:
    """One page, newest first. Cursors are *positions* of the cursor items (resolved by the caller).

    ``starting_after`` gives the items older than the cursor; ``ending_before`` the ones newer.
    ``positions`` is an ascending sequence or a :class:`~pytest_lettr.state.indexes.Selection`.
    """
    chosen = Selection.of(positions)
    total = len(chosen)
    if ending_before is not None:
        newer = chosen.oldest_after(ending_before, limit)
        has_more = chosen.count_above(ending_before) > len(newer)
        return Page([fetch(p) for p in reversed(newer)], has_more, total)
    older = chosen.newest(limit, starting_after)
    below = total if starting_after is None else chosen.count_below(starting_after)
    return Page([fetch(p) for p in older], below > len(older), total)
