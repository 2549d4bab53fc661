"""guard.py: which digit groups make a card number and which values after a password keyword count.

tests/test_guard.py covers realistic emails; these pin the edges of the two decisions: where a
grouped card number ends, and when the word after "password" is a secret rather than prose.
"""

from __future__ import annotations

import pytest

from pytest_lettr.guard import scan_text

CARD_16 = "4111111111111111"
CARD_13 = "4222000000006"
CARD_19 = "6011000000000000001"


def excerpts(text: str, rule: str) -> list[str]:
    return [finding.excerpt for finding in scan_text("text", text) if finding.rule == rule]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # one block of digits: must end the token (a letter or "_" glued on means an identifier)
        pytest.param(CARD_16 + "x", [], id="block-then-letter"),
        pytest.param(CARD_16 + "_", [], id="block-then-underscore"),
        pytest.param(CARD_16 + ".", ["4111********1111"], id="block-then-full-stop"),
        pytest.param(CARD_13, ["4222*****0006"], id="block-13-digits"),
        pytest.param(CARD_19, ["6011***********0001"], id="block-19-digits"),
        pytest.param("42222222222220000000", [], id="block-20-digits"),
        # groups joined by spaces: trailing groups that are not part of the card are dropped
        pytest.param("4111 1111 1111 1111 12", ["4111********1111"], id="spaces-extra-group"),
        pytest.param("4111 1111 1111 1111 1x", ["4111********1111"], id="spaces-extra-group-glued-to-letter"),
        pytest.param("4111 1111 1111 1111 7_", ["4111********1111"], id="spaces-extra-group-glued-to-underscore"),
        pytest.param("4111 1111 1111 1111abc", [], id="spaces-card-glued-to-letters"),
        pytest.param("4111 1111 1111 1111_", [], id="spaces-card-glued-to-underscore"),
        pytest.param("6011 0000 0000 0000 001", ["6011***********0001"], id="spaces-19-digits-in-five-groups"),
        pytest.param("4222 000 000 006", ["4222*****0006"], id="spaces-13-digits-in-four-groups"),
        pytest.param("4222 00 0000006", [], id="spaces-second-group-too-short"),
        pytest.param("4111 1111 11 1111 111", [], id="spaces-middle-group-too-short"),
        # groups joined by dashes are one token: a card plus more digits is not a card
        pytest.param("4111-1111-1111-1111-12", [], id="dashes-extra-group"),
        pytest.param("6011-0000-0000-0000-001", ["6011***********0001"], id="dashes-19-digits-in-five-groups"),
        pytest.param("4111-000000-0000001", [], id="dashes-last-group-too-long"),
        # mixed separators: only the part before the first change of separator counts
        pytest.param("4111 1111 1111 1111-5", ["4111********1111"], id="spaces-then-dash"),
        pytest.param("4111-1111-1111-1111 5", ["4111********1111"], id="dashes-then-space"),
        pytest.param("4111 1111-1111 1111", [], id="change-too-early"),
        # a failed candidate is retried from its next group
        pytest.param("1999 4111 1111 1111 1111", ["4111********1111"], id="year-first"),
        pytest.param("4111 1111 1111 1112", [], id="not-luhn"),
    ],
)
def test_card_numbers(text: str, expected: list[str]) -> None:
    assert excerpts(text, "card_number") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # not a value at all: an ordinary word, too short, a mask or a placeholder
        pytest.param("Password: required", [], id="ordinary-word"),
        pytest.param("pwd: Required", [], id="ordinary-word-any-case"),
        pytest.param("Password: abc.", [], id="too-short-after-punctuation"),
        pytest.param("password: ab1!", [], id="too-short-after-trailing-bang"),
        pytest.param("Password: ********", [], id="mask-stars"),
        pytest.param("password: xxxx", [], id="mask-x"),
        pytest.param("password: ....", [], id="mask-dots"),
        pytest.param("Password: {{pw}}", [], id="placeholder-braces"),
        pytest.param("password: #{pw}", [], id="placeholder-hash"),
        pytest.param("password: *|PW|*", [], id="placeholder-merge-tag"),
        # after ":" or "=" any other value counts
        pytest.param("password=hello", ["password=***"], id="equals-plain-word"),
        pytest.param("password: Hunter2!!!", ["password: ***"], id="colon"),
        pytest.param("passphrase was set to: tr0ub4dor", ["passphrase was set to: ***"], id="set-to-colon"),
        # after "is" and the like the value must look like a secret
        pytest.param("your password is sunshine", [], id="is-word"),
        pytest.param("password is Sunshine", [], id="is-capitalised-word"),
        pytest.param("password is SUNSHINE", [], id="is-upper-case-word"),
        pytest.param("your password is sunShine", ["password is ***"], id="is-mixed-case"),
        pytest.param("password is sunsh!ne", ["password is ***"], id="is-symbol"),
        # a qualifier and one space: the value must look like a secret
        pytest.param("temporary password sunshine", [], id="qualified-word"),
        pytest.param("temporary password sunsh1ne", ["temporary password ***"], id="qualified-digit"),
        # a bare label: a line break or wider gap, and a strong value
        pytest.param("Password Zq8!vw21", [], id="label-one-space"),
        pytest.param("Password  Zq8!vw21", ["Password ***"], id="label-two-spaces"),
        pytest.param("Password\nZq8!vw21", ["Password ***"], id="label-new-line"),
        pytest.param("Password\nabcdefgh", [], id="label-letters-only"),
        pytest.param("Password\n12345678", [], id="label-digits-only"),
        pytest.param("Password\nab1!x", [], id="label-too-short-to-be-strong"),
    ],
)
def test_password_values(text: str, expected: list[str]) -> None:
    assert excerpts(text, "password") == expected
