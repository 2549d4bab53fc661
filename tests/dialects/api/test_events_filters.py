"""``GET /api/emails/events`` with every filter, alone and combined, walked page by page through the
official SDK: each filtered answer holds exactly the events of the unfiltered list that match,
newest first, with an exact ``total_count`` and cursors that never repeat or skip an event."""

from __future__ import annotations

from typing import Any

import lettr
import pytest
from support import assert_api_error, client_for

from pytest_lettr import LettrServer

from .conftest import send_kwargs

PEOPLE = ["ada@example.com", "bob@example.com", "cy@example.com"]


def walk(client: lettr.Lettr, per_page: int = 3, **filters: Any) -> tuple[list[Any], int]:
    """Every event a query lists, following ``next_cursor``, and the total of its first page."""
    page = client.emails.list_events(per_page=per_page, **filters)
    total, found = page.total_count, list(page.results)
    while page.next_cursor:
        page = client.emails.list_events(per_page=per_page, cursor=page.next_cursor, **filters)
        assert page.total_count == total
        found += page.results
    return found, total


@pytest.fixture
def busy(lettr_server: LettrServer, client: lettr.Lettr) -> list[Any]:
    """Nine emails to three people with deliveries, opens and (last: a hard one suppresses) bounces
    of three classes."""
    for i in range(9):
        client.emails.send(**send_kwargs(to=[PEOPLE[i % 3]], subject=f"Order {i}"))
        email_id = lettr_server.emails[-1].id
        if i >= 6:
            lettr_server.simulate(email_id, "bounce", bounce_class=(10, 21, 50)[i % 3])
        else:
            lettr_server.simulate(email_id, "delivery")
            if i % 2:
                lettr_server.simulate(email_id, "open")
    everything, total = walk(client)
    assert total == len(everything) == 9 + 6 + 3 + 3  # sends, deliveries, opens, bounces
    return everything


def matching(everything: list[Any], **wanted: set[str]) -> list[str]:
    def keep(event: Any) -> bool:
        values = {"events": event.type, "recipients": event.rcpt_to, "transmissions": event.request_id,
                  "bounce_classes": str(getattr(event, "bounce_class", ""))}
        return all(values[name] in allowed for name, allowed in wanted.items())
    return [event.event_id for event in everything if keep(event)]


COMBINATIONS = [
    {"events": {"delivery"}},
    {"events": {"bounce", "initial_open"}},
    {"recipients": {"bob@example.com"}},
    {"bounce_classes": {"21", "50"}},
    {"events": {"delivery"}, "recipients": {"ada@example.com", "cy@example.com"}},
    {"events": {"bounce"}, "recipients": {"ada@example.com"}, "bounce_classes": {"10"}},
    {"recipients": {"bob@example.com"}, "bounce_classes": {"21"}},
]


@pytest.mark.parametrize("wanted", COMBINATIONS, ids=lambda w: "+".join(sorted(w)))
def test_each_filter_lists_exactly_its_events(client: lettr.Lettr, busy: list[Any],
                                              wanted: dict[str, set[str]]) -> None:
    params: dict[str, Any] = {name: sorted(values) for name, values in wanted.items()}
    if "bounce_classes" in params:
        params["bounce_classes"] = ",".join(params["bounce_classes"])
    found, total = walk(client, per_page=2, **params)
    expected = matching(busy, **wanted)
    assert expected  # every combination has something to list
    assert [event.event_id for event in found] == expected
    assert total == len(expected)


def test_transmissions_filter_combines_with_the_others(client: lettr.Lettr, busy: list[Any]) -> None:
    ids = sorted({event.request_id for event in busy})[:2]
    for extra in ({}, {"events": ["injection"]}):
        found, total = walk(client, per_page=1, transmissions=",".join(ids), **extra)
        expected = matching(busy, transmissions=set(ids), **{k: set(v) for k, v in extra.items()})
        assert [event.event_id for event in found] == expected and total == len(expected) > 0


def test_a_cursor_outside_the_filtered_list_is_refused(lettr_server: LettrServer, client: lettr.Lettr,
                                                       busy: list[Any]) -> None:
    delivery = next(event for event in busy if event.type == "delivery")
    cursor = client.emails.list_events(per_page=1, events=["delivery"]).next_cursor
    assert cursor is not None
    with client_for(lettr_server, dialect="api") as http:
        assert http.get("/emails/events", params={"events": "delivery", "cursor": cursor}).status_code == 200
        refused = http.get("/emails/events", params={"events": "bounce", "cursor": cursor})
        assert_api_error(refused, 422, "validation_error")
        listed = http.get("/emails/events", params={"events": "delivery", "per_page": 1}).json()
    assert listed["data"]["events"]["data"][0]["event_id"] == delivery.event_id
