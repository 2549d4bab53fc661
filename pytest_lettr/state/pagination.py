"""Cursor pagination over an oldest-first sequence, served newest first.

Lists hand over the matching items' positions in ascending order (a ``range`` for "everything",
an index's list for a filter), so a page costs O(limit + log n), never a scan of all items.

>>> items = ["a", "b", "c", "d"]
>>> page = paginate(range(4), items.__getitem__, limit=2)
>>> page.items, page.has_more, page.total_count
(['d', 'c'], True, 4)
>>> paginate(range(4), items.__getitem__, limit=2, starting_after=2).items
['b', 'a']
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    has_more: bool
    total_count: int


def paginate(
    positions: Sequence[int],
    fetch: Callable[[int], T],
    *,
    limit: int,
    starting_after: int | None = None,
    ending_before: int | None = None,
) -> Page[T]:
    """One page, newest first. Cursors are *positions* of the cursor items (resolved by the caller).

    ``starting_after`` gives the items older than the cursor; ``ending_before`` the ones newer.
    """
    total = len(positions)
    if ending_before is not None:
        lo = bisect_left(positions, ending_before)
        if lo < total and positions[lo] == ending_before:
            lo += 1
        hi = min(total, lo + limit)
        chosen = [positions[i] for i in range(hi - 1, lo - 1, -1)]
        return Page([fetch(p) for p in chosen], hi < total, total)
    end = total if starting_after is None else bisect_left(positions, starting_after)
    start = max(0, end - limit)
    chosen = [positions[i] for i in range(end - 1, start - 1, -1)]
    return Page([fetch(p) for p in chosen], start > 0, total)
