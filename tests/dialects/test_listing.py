"""dialects/v1/listing.py: list_reply over small in-memory lists, with and without all_ids."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from pytest_lettr.dialects.base import Call, Route
from pytest_lettr.dialects.v1.listing import list_reply
from pytest_lettr.errors import InvalidParameter
from pytest_lettr.server import ServerOptions
from pytest_lettr.state import Account


@dataclass
class Item:
    id: str
    colour: str


ALL = [Item(f"it_{n}", "red" if n % 2 else "blue") for n in range(6)]  # oldest first
RED = [item for item in ALL if item.colour == "red"]  # it_1, it_3, it_5


def call(**query: str) -> Call:
    request = Request(EnvironBuilder(path="/v1/things", query_string=query).get_environ())
    route = Route("GET", "/things", lambda c: None, None)  # type: ignore[arg-type, return-value]
    return Call(request, Account(seed="listing"), ServerOptions(), route, {})


def ids(reply_body: Any) -> list[str]:
    return [item["id"] for item in reply_body["data"]]


def render(item: Item) -> dict[str, Any]:
    return {"id": item.id}


def test_newest_first_with_total_count() -> None:
    body = list_reply(call(limit="2"), RED, render).body
    assert ids(body) == ["it_5", "it_3"] and body["hasMore"] is True and body["totalCount"] == 3


def test_cursors_within_the_list() -> None:
    assert ids(list_reply(call(starting_after="it_3"), RED, render).body) == ["it_1"]
    assert ids(list_reply(call(ending_before="it_1", limit="1"), RED, render).body) == ["it_3"]


def test_without_all_ids_a_filtered_out_id_is_unknown() -> None:
    with pytest.raises(InvalidParameter) as caught:
        list_reply(call(starting_after="it_4"), RED, render)
    assert caught.value.param == "starting_after"


def test_with_all_ids_a_filtered_out_id_still_marks_a_position() -> None:
    every = [item.id for item in ALL]
    body = list_reply(call(starting_after="it_4"), RED, render, all_ids=every).body
    assert ids(body) == ["it_3", "it_1"] and body["totalCount"] == 3 and body["hasMore"] is False
    body = list_reply(call(ending_before="it_2", limit="1"), RED, render, all_ids=every).body
    assert ids(body) == ["it_3"] and body["hasMore"] is True
    assert ids(list_reply(call(), RED, render, all_ids=every).body) == ["it_5", "it_3", "it_1"]
    with pytest.raises(InvalidParameter):
        list_reply(call(ending_before="it_99"), RED, render, all_ids=every)
