"""The dialects' router answers as werkzeug's routing did for every route of both dialects."""

from __future__ import annotations

import functools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, MapAdapter, Rule

from pytest_lettr.dialects import routing
from pytest_lettr.dialects.api import ApiDialect
from pytest_lettr.dialects.base import Dialect
from pytest_lettr.dialects.v1 import V1Dialect

DIALECTS = [V1Dialect(), ApiDialect()]
METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


@functools.cache
def werkzeug_adapter(dialect: Dialect) -> MapAdapter:
    rules = [Rule(dialect.prefix + r.path, endpoint=i, methods=[r.method], strict_slashes=False)
             for i, r in enumerate(dialect.routes)]
    return Map(rules, strict_slashes=False, merge_slashes=False).bind("localhost")


def werkzeug_answer(dialect: Dialect, path: str, method: str) -> object:
    adapter = werkzeug_adapter(dialect)
    try:
        index, args = adapter.match(path, method)
    except MethodNotAllowed as exc:
        return ("not allowed", sorted(exc.valid_methods or []))
    except NotFound:
        return "no route"
    return dialect.routes[index], args


def our_answer(dialect: Dialect, path: str, method: str) -> object:
    try:
        return dialect.match(path, method)
    except routing.MethodNotAllowed as exc:
        return ("not allowed", exc.allowed)
    except routing.NoRoute:
        return "no route"


def _segments(dialect: Dialect) -> list[str]:
    words = {part for r in dialect.routes for part in r.path.split("/") if part and not part.startswith("<")}
    return sorted(words | {"abc", "le_x", "", "%20", "scheduled", "bulk"})


@pytest.mark.parametrize("dialect", DIALECTS, ids=["v1", "api"])
def test_every_route_with_every_method_matches_as_before(dialect: Dialect) -> None:
    for route in dialect.routes:
        concrete = dialect.prefix + "/".join("abc" if p.startswith("<") else p for p in route.path.split("/"))
        for path in (concrete, concrete + "/", concrete + "//"):
            for method in METHODS:
                assert our_answer(dialect, path, method) == werkzeug_answer(dialect, path, method), (method, path)


@pytest.mark.parametrize("dialect", DIALECTS, ids=["v1", "api"])
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_random_paths_match_as_before(dialect: Dialect, data: st.DataObject) -> None:
    parts = data.draw(st.lists(st.sampled_from(_segments(dialect)), min_size=0, max_size=6))
    path = dialect.prefix + "/" + "/".join(parts) + data.draw(st.sampled_from(["", "/"]))
    method = data.draw(st.sampled_from(METHODS))
    assert our_answer(dialect, path, method) == werkzeug_answer(dialect, path, method)


def test_a_static_segment_wins_only_where_it_allows_the_method() -> None:
    router = routing.Router([("POST", "/emails/scheduled"), ("GET", "/emails/<request_id>")])
    assert router.match("/emails/scheduled", "POST") == (0, {})
    assert router.match("/emails/scheduled", "GET") == (1, {"request_id": "scheduled"})
    with pytest.raises(routing.MethodNotAllowed) as refused:
        router.match("/emails/abc", "DELETE")
    assert refused.value.allowed == ["GET", "HEAD"]
    with pytest.raises(routing.NoRoute):
        router.match("/emails//", "GET")
