"""Walk every page of an indexed selection by cursor, as a list endpoint would."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pytest_lettr.state.indexes import Selection
from pytest_lettr.state.pagination import paginate


def walk_pages(chosen: Selection, fetch: Callable[[int], Any], position_of: Callable[[str], int | None],
               limit: int) -> list[str]:
    """The ids of every item, newest first, one page of ``limit`` at a time; every page must report
    the selection's size as its total."""
    walked: list[str] = []
    after: int | None = None
    while True:
        page = paginate(chosen, fetch, limit=limit, starting_after=after)
        assert page.total_count == len(chosen)
        walked += [item.id for item in page.items]
        if not page.has_more:
            return walked
        after = position_of(page.items[-1].id)
