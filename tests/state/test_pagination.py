"""state/pagination.py: cursor pages, newest first, over ascending positions."""

from __future__ import annotations

import pytest

from pytest_lettr.state.pagination import paginate

ITEMS = [f"item{i}" for i in range(10)]  # oldest first


def page(positions: list[int] | range, **kwargs: int) -> tuple[list[str], bool, int]:
    result = paginate(positions, ITEMS.__getitem__, **kwargs)
    return result.items, result.has_more, result.total_count


def test_first_page_is_the_newest() -> None:
    assert page(range(10), limit=3) == (["item9", "item8", "item7"], True, 10)
    assert page(range(10), limit=10) == (ITEMS[::-1], False, 10)
    assert page(range(10), limit=100) == (ITEMS[::-1], False, 10)


def test_empty() -> None:
    assert page([], limit=5) == ([], False, 0)


def test_starting_after_gives_older_items() -> None:
    assert page(range(10), limit=3, starting_after=7) == (["item6", "item5", "item4"], True, 10)
    assert page(range(10), limit=3, starting_after=3) == (["item2", "item1", "item0"], False, 10)
    assert page(range(10), limit=3, starting_after=0) == ([], False, 10)


def test_ending_before_gives_the_newer_items_next_to_the_cursor() -> None:
    assert page(range(10), limit=3, ending_before=2) == (["item5", "item4", "item3"], True, 10)
    assert page(range(10), limit=3, ending_before=6) == (["item9", "item8", "item7"], False, 10)
    assert page(range(10), limit=3, ending_before=9) == ([], False, 10)


def test_filtered_positions_and_cursors_outside_them() -> None:
    even = [0, 2, 4, 6, 8]
    assert page(even, limit=2) == (["item8", "item6"], True, 5)
    assert page(even, limit=2, starting_after=5) == (["item4", "item2"], True, 5)  # 5 is not in the list
    assert page(even, limit=2, ending_before=3) == (["item6", "item4"], True, 5)
    assert page(even, limit=2, ending_before=5) == (["item8", "item6"], False, 5)


@pytest.mark.parametrize("limit", [1, 2, 3, 4, 7, 10])
def test_walking_forwards_and_backwards_visits_everything_once(limit: int) -> None:
    pages: list[list[int]] = []
    cursor: int | None = None
    while True:
        result = paginate(range(10), lambda p: p, limit=limit, starting_after=cursor)
        pages.append(result.items)
        if not result.has_more:
            break
        cursor = result.items[-1]
    assert [p for items in pages for p in items] == list(range(9, -1, -1))
    assert all(len(items) == limit for items in pages[:-1])

    back = pages[-1]  # from the oldest page, newer pages with ending_before its first item
    while True:
        result = paginate(range(10), lambda p: p, limit=limit, ending_before=back[0])
        back = result.items + back
        if not result.has_more:
            break
    assert back == list(range(9, -1, -1))


def test_fetch_is_called_only_for_the_page() -> None:
    fetched: list[int] = []

    def fetch(position: int) -> int:
        fetched.append(position)
        return position

    paginate(range(1_000_000), fetch, limit=3, starting_after=500_000)
    assert fetched == [499_999, 499_998, 499_997]
