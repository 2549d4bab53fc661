"""The sensitive-data guard: what it flags, what it leaves alone, and that it never leaks a secret."""

from __future__ import annotations

import dataclasses
import doctest
import warnings
from collections.abc import Mapping
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from pytest_lettr import guard
from pytest_lettr.guard import (
    RULES,
    Finding,
    LettrSensitiveDataWarning,
    describe,
    html_to_text,
    scan_email,
    scan_text,
)

LE_KEY = "le_" + "a1B2c3D4e5" * 3 + "f6G7h8"  # le_ + 36
LE_TEST_KEY = "le_test_" + "Z9y8X7w6V5" * 3 + "u4T3s2"
LTTR_KEY = "lttr_" + "0123456789abcdef" * 2
LTTR_SANDBOX_KEY = "lttr_sandbox_" + "q1w2e3r4t5y6u7i8o9p0"
WHSEC = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


@dataclasses.dataclass(frozen=True)
class Case:
    where: str  # "subject", "html", "text" or "metadata"
    content: str | Mapping[str, Any]
    expected: list[tuple[str, str]]  # (field, rule) in order
    secret: str | None = None  # must never appear in any excerpt

    def scan(self) -> list[Finding]:
        fields: dict[str, Any] = {self.where: self.content}
        return scan_email(**fields)


def hit(where: str, content: str, rule: str, secret: str) -> Case:
    return Case(where, content, [(where, rule)], secret)


def clean(where: str, content: str | Mapping[str, Any]) -> Case:
    return Case(where, content, [])


CASES: dict[str, Case] = {
    # password: true positives
    "pw-is": hit("text", "Hi Jane, your password is Xk9#mP2q. Log in soon.", "password", "Xk9#mP2q"),
    "pw-colon-word": hit("text", "Username: jane\nPassword: correcthorse", "password", "correcthorse"),
    "pw-temporary-bare": hit("subject", "Your temporary password Tq7!zzpw", "password", "Tq7!zzpw"),
    "pw-html-tags": hit("html", "<p>Password: <strong>Hunter2024</strong></p>", "password", "Hunter2024"),
    "pw-html-entity": hit("html", "<p>Password:&nbsp;<code>Qz4%wert</code></p>", "password", "Qz4%wert"),
    "pw-query-string": hit(
        "html",
        '<a href="https://app.example.test/login?user=jane&amp;pwd=s3cretPass">Log in</a>',
        "password",
        "s3cretPass",
    ),
    "pw-passcode-is": hit("text", "Your one-time passcode is 483920", "password", "483920"),
    "pw-passwd-equals": hit("text", "passwd=Tr0ub4dor&3", "password", "Tr0ub4dor&3"),
    "pw-table-label": hit("html", "<table><tr><td>Password</td><td>Zq8!vw21</td></tr></table>", "password", "Zq8!vw21"),
    "pw-quoted": hit("text", 'Your new password is "Blue-Sky-42".', "password", "Blue-Sky-42"),
    # password: true negatives
    "pw-forgot": clean("subject", "Forgot your password? Reset your password here."),
    "pw-reset-link": clean("text", "Click the password reset link below to choose a new password."),
    "pw-changed": clean("text", "Your password was changed on 2024-05-01."),
    "pw-expires": clean("text", "Your temporary password expires in 24 hours."),
    "pw-masked": clean("text", "Password: ********"),
    "pw-template": clean("html", "<p>Your password is {{ password }}</p><p>Password: {{password}}</p>"),
    "pw-merge-tag": clean("text", "Password: *|PASSWORD|*"),
    "pw-shouting": clean("subject", "YOUR PASSWORD IS ABOUT TO EXPIRE"),
    "pw-plural": clean("text", "Passwords are case sensitive. Password: Required"),
    "pw-input": clean("html", '<input type="password" name="password" placeholder="Password">'),
    # ssn
    "ssn-dashes": hit("text", "SSN: 123-45-6789", "ssn", "123-45-6789"),
    "ssn-spaces": hit("subject", "SSN 078 05 1120 on file", "ssn", "078 05 1120"),
    "ssn-bad-area-000": clean("text", "000-12-3456"),
    "ssn-bad-area-666": clean("text", "666-12-3456"),
    "ssn-bad-area-9xx": clean("text", "912-45-6789"),
    "ssn-bad-group": clean("text", "123-00-4567"),
    "ssn-bad-serial": clean("text", "123-45-0000"),
    "ssn-mixed-separators": clean("text", "123-45 6789"),
    "bare-nine-digits": clean("text", "Order 123456789 confirmed"),
    # card_number
    "card-spaces": hit("text", "Card 4111 1111 1111 1111 exp 12/27", "card_number", "4111 1111 1111 1111"),
    "card-dashes-html": hit("html", "<td>5555-5555-5555-4444</td>", "card_number", "5555-5555-5555-4444"),
    "card-amex-plain": hit("text", "amex 378282246310005", "card_number", "378282246310005"),
    "card-amex-groups": hit("text", "amex 3782 822463 10005", "card_number", "3782 822463 10005"),
    "card-after-year": hit("text", "Invoice 2024 4242 4242 4242 4242", "card_number", "4242 4242 4242 4242"),
    "card-not-luhn": clean("text", "Card 4111 1111 1111 1112"),
    "card-epoch-millis": clean("text", "created at 1700000000000"),
    # lettr_api_key
    "key-le": hit("text", f"export LETTR_API_KEY={LE_KEY}", "lettr_api_key", LE_KEY),
    "key-le-test-in-link": hit(
        "html", f'<a href="https://x.example.test/?key={LE_TEST_KEY}">x</a>', "lettr_api_key", LE_TEST_KEY
    ),
    "key-lttr": hit("text", f"Authorization: Bearer {LTTR_KEY}", "lettr_api_key", LTTR_KEY),
    "key-lttr-sandbox": hit("subject", f"key {LTTR_SANDBOX_KEY}", "lettr_api_key", LTTR_SANDBOX_KEY),
    "key-too-short": clean("text", "le_short lttr_abc " + "le_" + "a" * 35),
    "key-inside-word": clean("text", "file_" + "a" * 36 + " style_" + "b" * 36),
    # webhook_secret
    "whsec": hit("text", f"signing secret: {WHSEC}", "webhook_secret", WHSEC),
    "whsec-too-short": clean("text", "whsec_short"),
    # opaque references and look-alikes
    "refs": clean("metadata", {"userId": "user_123", "orderId": "order_4111111111111111", "plan": "pro"}),
    "iso-dates": clean("text", "Shipped 2024-05-01T10:00:00Z, arrives 2024-05-03"),
    "phones": clean("text", "Call +1 415 555 2671, (415) 555-2671 or +44 20 7946 0958"),
    "uuids": clean("text", "550e8400-e29b-41d4-a716-446655440000 12345678-1234-1234-1234-123456789012"),
    "tracking": clean("text", "UPS 1Z999AA10123456784, USPS 9400 1000 0000 0000 0000 00, FedEx 7961 1234 5678"),
    "amounts": clean("html", '<td style="width:600px;color:#333333">Total $4,111.11 (tax 12.34%)</td>'),
    # metadata: keys named like passwords, values scanned like text
    "meta-password-key": Case("metadata", {"password": "hunter22"}, [("metadata.password", "password")], "hunter22"),
    "meta-camel-key-int": Case("metadata", {"tempPassword": 918273}, [("metadata.tempPassword", "password")], "918273"),
    "meta-value-card": Case(
        "metadata", {"note": "card 4111111111111111"}, [("metadata.note", "card_number")], "4111111111111111"
    ),
    "meta-value-ssn": Case("metadata", {"ssn": "123-45-6789"}, [("metadata.ssn", "ssn")], "123-45-6789"),
    "meta-about-passwords": clean(
        "metadata", {"hasPassword": True, "passwordResetAt": "2024-05-01", "password_policy": "strict", "pwd": ""}
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_case_table(case: Case) -> None:
    findings = case.scan()
    assert [(finding.field, finding.rule) for finding in findings] == case.expected


def test_table_is_broad() -> None:
    positives = [case for case in CASES.values() if case.expected]
    negatives = [case for case in CASES.values() if not case.expected]
    assert len(positives) >= 15 and len(negatives) >= 15
    assert {rule for case in positives for _, rule in case.expected} == set(RULES)
    assert {case.where for case in CASES.values()} == {"subject", "html", "text", "metadata"}


@pytest.mark.parametrize("case", [c for c in CASES.values() if c.secret], ids=[k for k, c in CASES.items() if c.secret])
def test_excerpts_never_reveal_the_secret(case: Case) -> None:
    assert case.secret is not None
    findings = case.scan()
    assert findings
    compact = case.secret.replace(" ", "").replace("-", "")
    for finding in findings:
        for shown in (finding.excerpt, repr(finding), str(finding), describe([finding])):
            assert case.secret not in shown
            assert compact not in shown.replace(" ", "").replace("-", "")


@pytest.mark.parametrize(
    ("content", "excerpt"),
    [
        ("4111 1111 1111 1111", "4111********1111"),
        ("378282246310005", "3782*******0005"),
        ("123-45-6789", "***-**-6789"),
        (LE_KEY, "le_a***"),
        (LE_TEST_KEY, "le_test_Z***"),
        (LTTR_KEY, "lttr_0***"),
        (LTTR_SANDBOX_KEY, "lttr_sandbox_q***"),
        (WHSEC, "whsec_M***"),
        ("Your password is Xk9#mP2q", "password is ***"),
        ("Temporary password: Xk9#mP2q", "Temporary password: ***"),
        ("https://x.example.test/?pwd=s3cretPass", "pwd=***"),
    ],
)
def test_excerpt_formats(content: str, excerpt: str) -> None:
    assert [finding.excerpt for finding in scan_text("text", content)] == [excerpt]


def test_module_docstring_example() -> None:
    findings = scan_email(subject="Welcome", html="<p>Your password is <b>Xk9#mP2q</b></p>")
    assert [(f.field, f.rule, f.excerpt) for f in findings] == [("html", "password", "password is ***")]


def test_html_tags_are_stripped_for_passwords() -> None:
    markup = "<p>Password: <b>Xk9#mP2q</b></p>"
    assert html_to_text(markup).split() == ["Password:", "Xk9#mP2q"]
    # The label and the value are split by markup: only the tag-stripped text reveals it.
    assert scan_text("html", markup) == []
    assert scan_email(html=markup) == [Finding("html", "password", "Password: ***")]


def test_html_entities_are_decoded() -> None:
    assert html_to_text("a&nbsp;&lt;b&gt;&amp;c").split() == ["a", "<b>&c"]
    assert [f.rule for f in scan_email(html="<p>SSN&#58; 123&#45;45&#45;6789</p>")] == ["ssn"]


def test_html_finding_is_reported_once() -> None:
    markup = "<p>Your password is Xk9#mP2q</p>"  # visible both in the markup and in the text
    assert scan_email(html=markup) == [Finding("html", "password", "password is ***")]


@pytest.mark.parametrize(
    "key", ["password", "PASSWORD", "Password", "userPassword", "temp_password", "user-pwd", "passCode", "pass_phrase"]
)
def test_metadata_keys_named_like_passwords(key: str) -> None:
    assert scan_email(metadata={key: "anything"}) == [Finding(f"metadata.{key}", "password", "***")]


@pytest.mark.parametrize(
    "key", ["passwordResetAt", "password_policy", "passport", "bypass", "compass_heading", "pin", "userId"]
)
def test_metadata_keys_about_passwords_are_not_findings(key: str) -> None:
    assert scan_email(metadata={key: "2024-05-01"}) == []


@pytest.mark.parametrize("value", ["", "   ", True, False])
def test_password_key_needs_a_real_value(value: str | bool) -> None:
    assert scan_email(metadata={"password": value}) == []


def test_password_key_with_a_password_value_is_reported_once() -> None:
    findings = scan_email(metadata={"password": "password: Xk9#mP2q"})
    assert findings == [Finding("metadata.password", "password", "***")]


def test_metadata_numbers_are_scanned() -> None:
    findings = scan_email(metadata={"cardOnFile": 4111111111111111, "ratio": 0.5, "count": 3})
    assert findings == [Finding("metadata.cardOnFile", "card_number", "4111********1111")]


def test_findings_come_in_field_order_then_position() -> None:
    findings = scan_email(
        subject=f"key {LE_KEY}",
        html="<p>SSN 123-45-6789 and card 4111 1111 1111 1111</p>",
        text=f"{WHSEC} then password: Xk9#mP2q",
        metadata={"a": "123-45-6789", "password": "x1"},
    )
    assert [(f.field, f.rule) for f in findings] == [
        ("subject", "lettr_api_key"),
        ("html", "ssn"),
        ("html", "card_number"),
        ("text", "webhook_secret"),
        ("text", "password"),
        ("metadata.a", "ssn"),
        ("metadata.password", "password"),
    ]


def test_several_findings_of_one_rule() -> None:
    text = "4111 1111 1111 1111 and 5555555555554444, also 4012-8888-8888-1881"
    assert [f.excerpt for f in scan_text("text", text)] == [
        "4111********1111",
        "5555********4444",
        "4012********1881",
    ]


def test_empty_email_has_no_findings() -> None:
    assert scan_email() == []
    assert scan_email(subject="", html="", text="", metadata={}) == []


def test_rule_names_are_the_documented_api() -> None:
    assert RULES == ("password", "ssn", "card_number", "lettr_api_key", "webhook_secret")
    assert guard.__doc__ is not None
    for rule in RULES:
        assert f"``{rule}``" in guard.__doc__


def test_finding_is_frozen_and_readable() -> None:
    finding = Finding("html", "card_number", "4111********1111")
    with pytest.raises(dataclasses.FrozenInstanceError):
        finding.rule = "ssn"  # type: ignore[misc]
    assert str(finding) == "html: card_number (4111********1111)"
    assert describe([finding, Finding("text", "ssn", "***-**-6789")]) == (
        "sensitive data in email: html: card_number (4111********1111); text: ssn (***-**-6789)"
    )


def test_warning_class() -> None:
    assert issubclass(LettrSensitiveDataWarning, UserWarning)
    findings = scan_email(text="SSN 123-45-6789")
    with pytest.warns(LettrSensitiveDataWarning, match=r"text: ssn \(\*\*\*-\*\*-6789\)"):
        warnings.warn(describe(findings), LettrSensitiveDataWarning, stacklevel=1)


def test_docstring_examples() -> None:
    result = doctest.testmod(guard)
    assert result.attempted >= 4
    assert result.failed == 0


def _luhn_complete(body: str) -> str:
    for check in "0123456789":
        if guard._luhn(body + check):
            return body + check
    raise AssertionError("unreachable")


@settings(max_examples=60, deadline=None)
@given(body=st.text(alphabet="0123456789", min_size=14, max_size=14), separator=st.sampled_from(["", " ", "-"]))
def test_any_luhn_valid_visa_is_found_and_masked(body: str, separator: str) -> None:
    number = _luhn_complete("4" + body)
    written = separator.join(number[i : i + 4] for i in range(0, 16, 4))
    findings = scan_text("text", f"Paid with {written}, thanks!")
    assert findings == [Finding("text", "card_number", f"{number[:4]}********{number[-4:]}")]


@settings(max_examples=60, deadline=None)
@given(words=st.lists(st.text(alphabet="abcdefghijklmnopqrstuvwxyz ,.?!", max_size=12), max_size=30))
def test_plain_words_have_no_findings(words: list[str]) -> None:
    # Words that name a secret ("password ?????a" reads as a password given in clear) are not plain.
    assume(not any(word in " ".join(words) for word in ("pass", "pwd", "secret", "token", "key", "pin")))
    assert scan_email(subject=" ".join(words), html=f"<p>{' '.join(words)}</p>", text="\n".join(words)) == []


MEGABYTE = 1_000_000
PATHOLOGICAL = {
    "digits": ("text", "1" * MEGABYTE, 0),
    "digit-groups": ("text", "4111 " * (MEGABYTE // 5), 0),
    "single-digit-groups": ("text", "1 " * (MEGABYTE // 2), 0),
    "ssn-prefixes": ("text", "123-45-" * (MEGABYTE // 7), 0),
    "keyword-then-spaces": ("text", "password" + " " * MEGABYTE + "!", 0),
    "keywords": ("subject", "password is " * (MEGABYTE // 12), 0),
    "unclosed-tag": ("html", "<" + "a" * MEGABYTE, 0),
    "angle-brackets": ("html", "<" * MEGABYTE, 0),
    "tags-around-keywords": ("html", "<b>password</b>\n" * (MEGABYTE // 16), 0),
    "key-prefixes": ("text", "le_lttr_whsec_" * (MEGABYTE // 14), 0),
    "long-key": ("html", "lttr_" + "a" * MEGABYTE, 1),
}


@pytest.mark.parametrize(("where", "text", "count"), PATHOLOGICAL.values(), ids=PATHOLOGICAL.keys())
def test_pathological_inputs_finish(where: str, text: str, count: int) -> None:
    # Every pattern is linear in its input, so each of these 1 MB inputs is done in about a
    # second at most; a backtracking pattern would not finish at all.
    fields: dict[str, Any] = {where: text}
    assert len(scan_email(**fields)) == count
