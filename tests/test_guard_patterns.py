"""The scan's fast patterns find what their plainer forms find, at the same offsets."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_lettr.guard import _MAY_HOLD_NUMBER, _PASSWORD_KEYWORD

KEYWORD_IN_LOWER_CASE = re.compile(r"pass(?:word|code|phrase)|passwd|pwd")
NUMBER_START = re.compile(r"[0-9]{3}(?:[- ][0-9]{2}[- ][0-9]{4}|[0-9](?:[0-9]{9}|[ -][0-9]{3,6}[ -][0-9]))")

PIECES = ["pass", "PASS", "Word", "wd", "code", "PHRASE", "pwd", "PwD", "p", "a", "s", " ", "\u0130", "\u212a",
          "\u017f", "\u00df", "\u0130pass", "é", "word"]
WORDISH = st.lists(st.sampled_from(PIECES), max_size=12).map("".join)
NUMBERISH = st.lists(st.sampled_from([*"0123456789 -x", "\u0661\u0662\u0663"]), max_size=30).map("".join)


@settings(max_examples=400, deadline=None)
@given(WORDISH)
def test_keywords_are_found_where_the_lower_cased_search_finds_them(text: str) -> None:
    folded = text.replace("\u0130", "i").lower()
    assert [m.span() for m in _PASSWORD_KEYWORD.finditer(text)] == \
        [m.span() for m in KEYWORD_IN_LOWER_CASE.finditer(folded)]


@settings(max_examples=400, deadline=None)
@given(NUMBERISH)
def test_a_number_may_start_where_it_did(text: str) -> None:
    found, expected = _MAY_HOLD_NUMBER.search(text), NUMBER_START.search(text)
    assert (found and found.span()) == (expected and expected.span())


def test_a_password_label_spelled_with_an_entity_and_split_by_markup_is_found() -> None:
    from pytest_lettr.guard import scan_email

    findings = scan_email(html="<p>&#80;assword: <b>Xk9#mP2q</b></p>")
    assert [(f.field, f.rule) for f in findings] == [("html", "password")]
    assert "Xk9#mP2q" not in findings[0].excerpt
