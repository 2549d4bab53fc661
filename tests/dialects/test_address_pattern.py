"""The address pattern accepts exactly what the plain character-class form of the rule accepts:
printable ASCII or any non-ASCII character in the local part, LDH (or non-ASCII) labels of at most
63 characters in a dotted domain."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_lettr.dialects.common import EMAIL_RE

_LOCAL = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~\u0080-\U0010FFFF-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~\u0080-\U0010FFFF-]+)*"
_LABEL = r"(?:[A-Za-z0-9\u0080-\U0010FFFF](?:[A-Za-z0-9\u0080-\U0010FFFF-]{0,61}[A-Za-z0-9\u0080-\U0010FFFF])?)"
REFERENCE = re.compile(rf"^{_LOCAL}@{_LABEL}(?:\.{_LABEL})+$")

PIECES = st.sampled_from(["a", "Z", "0", ".", "-", "_", "+", "@", "!", " ", "é", "\u202e", "\U0001f600", "\x00",
                          "\n", "<", '"', "ü.de", "example.com", "b" * 61, "\x7f", "\x80"])


@settings(max_examples=500, deadline=None)
@given(st.lists(PIECES, min_size=1, max_size=10).map("".join))
def test_the_pattern_decides_as_the_character_class_form(address: str) -> None:
    assert bool(EMAIL_RE.match(address)) == bool(REFERENCE.match(address))


def test_label_length_and_non_ascii() -> None:
    for address, valid in [("ada@example.com", True), ("x@" + "a" * 63 + ".com", True),
                           ("x@" + "a" * 64 + ".com", False), ("é@ü.de", True), ("a@b", False),
                           ("a@-b.com", False), ("a..b@c.de", False)]:
        assert bool(EMAIL_RE.match(address)) is valid, address
