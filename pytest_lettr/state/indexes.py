"""Position indexes, and the selections lists page through without scanning every item.

A store keeps its items oldest first and, per key (a status, a tag, an action...), the ascending
positions of the items that have it. A query is a :class:`Selection`: a few disjoint ascending
position lists, each cut to a window, so its size and a page of it cost O(parts x (limit + log n)):

>>> index = PositionIndex()
>>> for position, status in enumerate(["sent", "bounced", "sent", "sent"]):
...     index.add(status, position)
>>> chosen = Selection.of(index.get("sent"))
>>> len(chosen), chosen.newest(2), chosen.oldest_after(0, 5)
(3, [3, 2], [2, 3])
>>> len(Selection([index.get("sent"), index.get("bounced")]).window(1, 3))
2
"""

from __future__ import annotations

import heapq
from bisect import bisect_left, bisect_right, insort
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)

EMPTY: tuple[int, ...] = ()


class PositionIndex(Generic[K]):
    """Ascending positions per key; adding at the end is O(1), elsewhere a bisect and a move."""

    def __init__(self) -> None:
        self._positions: dict[K, list[int]] = {}

    def add(self, key: K, position: int) -> None:
        positions = self._positions.setdefault(key, [])
        if not positions or positions[-1] < position:
            positions.append(position)
        else:
            insort(positions, position)

    def add_to_each(self, keys: Iterable[K], position: int) -> None:
        """:meth:`add` ``position`` under every one of ``keys`` (one call for the hot path)."""
        lists = self._positions
        for key in keys:
            positions = lists.get(key)
            if positions is None:
                lists[key] = [position]
            elif positions[-1] < position:
                positions.append(position)
            else:
                insort(positions, position)

    def remove(self, key: K, position: int) -> None:
        positions = self._positions.get(key)
        if positions is None:
            return
        at = bisect_left(positions, position)
        if at < len(positions) and positions[at] == position:
            del positions[at]
            if not positions:
                del self._positions[key]

    def get(self, key: K) -> Sequence[int]:
        return self._positions.get(key, EMPTY)

    def keys(self) -> Iterable[K]:
        return self._positions.keys()

    def clear(self) -> None:
        self._positions.clear()


class Part:
    """``positions[lo:hi]`` without copying it."""

    __slots__ = ("hi", "lo", "positions")

    def __init__(self, positions: Sequence[int], lo: int = 0, hi: int | None = None) -> None:
        self.positions = positions
        self.lo = lo
        self.hi = len(positions) if hi is None else hi

    def __len__(self) -> int:
        return self.hi - self.lo

    def cut(self, first: int | None, last: int | None) -> Part:
        """The positions from ``first`` (included) to ``last`` (excluded); ``None`` leaves a side open.

        An index list may shrink while a page is read (an email changed status meanwhile): the
        bounds are clamped to it, so a concurrent change can shift a page but never break it."""
        top = min(self.hi, len(self.positions))
        lo = min(self.lo, top) if first is None else bisect_left(self.positions, first, min(self.lo, top), top)
        hi = top if last is None else bisect_left(self.positions, last, lo, top)
        return Part(self.positions, lo, hi)

    def __iter__(self) -> Iterator[int]:
        positions = self.positions
        return (positions[i] for i in range(self.lo, self.hi))


class Selection:
    """The union of disjoint ascending parts: what a filtered list holds, by position."""

    __slots__ = ("parts",)

    def __init__(self, parts: Iterable[Sequence[int] | Part]) -> None:
        self.parts = [p if isinstance(p, Part) else Part(p) for p in parts]

    @classmethod
    def of(cls, positions: Sequence[int] | Selection) -> Selection:
        return positions if isinstance(positions, Selection) else cls([positions])

    def __len__(self) -> int:
        return sum(len(part) for part in self.parts)

    def __iter__(self) -> Iterator[int]:
        """Every position, ascending."""
        return iter(self.parts[0]) if len(self.parts) == 1 else heapq.merge(*self.parts)

    def window(self, first: int | None, last: int | None) -> Selection:
        """Only the positions from ``first`` to ``last`` (excluded)."""
        return Selection([part.cut(first, last) for part in self.parts])

    def smallest_part(self) -> int:
        return min((len(part) for part in self.parts), default=0)

    def newest(self, limit: int, before: int | None = None) -> list[int]:
        """The ``limit`` highest positions below ``before`` (all when ``None``), highest first."""
        tails: list[int] = []
        for part in self.parts:
            cut = part.cut(None, before)
            tails.extend(cut.positions[max(cut.lo, cut.hi - limit):cut.hi])
        return heapq.nlargest(limit, tails) if len(self.parts) > 1 else tails[::-1][:limit]

    def oldest_after(self, after: int, limit: int) -> list[int]:
        """The ``limit`` lowest positions above ``after``, lowest first."""
        heads: list[int] = []
        for part in self.parts:
            part = part.cut(None, None)
            lo = bisect_right(part.positions, after, part.lo, part.hi)
            heads.extend(part.positions[lo:min(part.hi, lo + limit)])
        return heapq.nsmallest(limit, heads) if len(self.parts) > 1 else heads[:limit]

    def count_below(self, position: int) -> int:
        return sum(len(part.cut(None, position)) for part in self.parts)

    def count_above(self, position: int) -> int:
        return sum(len(part.cut(position + 1, None)) for part in self.parts)

    def filtered(self, keep: Callable[[int], bool]) -> Selection:
        """Only the positions ``keep`` accepts (a scan of this selection, not of the store)."""
        return Selection([sorted(p for part in self.parts for p in part if keep(p))])


def narrowest(candidates: Iterable[Selection]) -> Selection:
    """The candidate with the fewest positions: the one to scan when several filters apply."""
    return min(candidates, key=len)


def union(selections: Iterable[Selection]) -> Selection:
    """Positions in any of ``selections`` (which may overlap): costs the sum of their sizes."""
    chosen = list(selections)
    if len(chosen) == 1:
        return chosen[0]
    return Selection([sorted({p for selection in chosen for part in selection.parts for p in part})])
