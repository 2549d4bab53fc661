"""The masking shortcuts decide as the plain rules do: a header value is masked the same whether
it comes by name or as a WSGI variable, and the quick tests skip only what has nothing to mask."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_lettr.masking import SECRET_VALUES, _mask_value, mask_body, mask_cgi_header, mask_header, mask_text

NAMES = st.sampled_from(["Accept", "Authorization", "X-Api-Key", "Idempotency-Key", "User-Agent", "Cookie",
                         "X-Trace", "Proxy-Authorization", "X-Auth-Token", "Content-Type"])
VALUES = st.lists(st.sampled_from(["le_", "LE_", "lttr_", "whsec_", "Bearer ", "basic ", "a" * 36, "b" * 32, "_",
                                   "x", " ", "é", "json", "key"]), max_size=6).map("".join)


@settings(max_examples=400, deadline=None)
@given(NAMES, VALUES)
def test_a_header_is_masked_alike_by_name_and_as_a_wsgi_variable(name: str, value: str) -> None:
    variable = "HTTP_" + name.upper().replace("-", "_")
    assert mask_cgi_header(variable, value) == mask_header(name, value)


@settings(max_examples=400, deadline=None)
@given(VALUES)
def test_the_plain_header_rule_without_shortcuts(value: str) -> None:
    expected = "***" if SECRET_VALUES.match(value) else mask_text(value)
    assert mask_header("X-Trace", value) == expected


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(["name", "Secret", "API_KEY", "note", "auth"]), VALUES, max_size=4))
def test_a_body_is_left_alone_only_when_nothing_in_it_is_masked(fields: dict[str, str]) -> None:
    raw = json.dumps(fields).encode()
    if mask_body(raw) == raw:  # the quick test (or the full rule) found nothing to mask
        assert _mask_value(json.loads(raw)) == fields
