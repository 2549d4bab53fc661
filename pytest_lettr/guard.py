"""The sensitive-data guard: find secrets in an email's subject, body and metadata.

Lettr's security guide says never to put sensitive data in email content or metadata. The mock
scans every email it is asked to send and either warns (:class:`LettrSensitiveDataWarning`) or
refuses it (400 ``sensitive_data``, ``param`` = :attr:`Finding.field`)::

    findings = scan_email(subject="Welcome", html="<p>Your password is <b>Xk9#mP2q</b></p>")
    [(f.field, f.rule, f.excerpt) for f in findings]
    # [('html', 'password', 'password is ***')]

Rules (the names are part of the API):

==================  ====================================================  =====================
rule                finds                                                 excerpt
==================  ====================================================  =====================
``password``        a password given in clear: ``password: X``,           ``password: ***``
                    ``pwd=X``, ``your password is X``, ``temporary
                    password X``, ``passcode is X`` (also passwd,
                    passphrase); a metadata key named like a password
                    (``password``, ``tempPassword``, ``user_pwd``) with a
                    non-empty, non-boolean value
``ssn``             a US social security number ``NNN-NN-NNNN`` (or       ``***-**-6789``
                    spaces) in the valid ranges: area not 000, 666 or
                    9xx, group not 00, serial not 0000
``card_number``     13-19 digits starting 2-6, plain or in groups         ``4111********1111``
                    (``4-4-4-4``, ``4-6-5``, spaces or dashes), passing
                    the Luhn check
``lettr_api_key``   ``le_`` / ``le_test_`` + 36 alphanumerics;            ``le_a***``
                    ``lttr_`` / ``lttr_sandbox_`` + 20 or more
``webhook_secret``  ``whsec_`` + 20 or more alphanumerics (base64)        ``whsec_M***``
==================  ====================================================  =====================

Excerpts are masked and never hold the secret. What is *not* flagged: "reset your password",
"forgot password?", "password reset link", masked or templated values (``********``,
``{{password}}``), opaque references (``user_123``, ``order_4111…``), dates, phone numbers,
UUIDs, tracking numbers, and bare 9-digit numbers. For ``your password is X`` and ``temporary
password X`` the value must look like a secret (a digit, a symbol or mixed case); after ``:`` or
``=`` any value that is not an ordinary word ("required", "reset", …) counts.

HTML is scanned twice, as markup (for secrets in attributes and links) and as text with the tags
removed (for ``Password: <b>X</b>``); entities are decoded first. All patterns are compiled once
and are linear in the input.
"""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass

__all__ = [
    "RULES",
    "Finding",
    "LettrSensitiveDataWarning",
    "describe",
    "html_to_text",
    "scan_email",
    "scan_text",
]

RULES = ("password", "ssn", "card_number", "lettr_api_key", "webhook_secret")
"""Every rule name a :class:`Finding` can carry."""


class LettrSensitiveDataWarning(UserWarning):
    """An email sent to the mock carries data Lettr says never to put in an email."""


@dataclass(frozen=True)
class Finding:
    """One secret found: where (``subject``, ``html``, ``text``, ``metadata.<key>``), which rule,
    and a masked excerpt that never contains the secret."""

    field: str
    rule: str
    excerpt: str

    def __str__(self) -> str:
        return f"{self.field}: {self.rule} ({self.excerpt})"


MetadataValue = str | int | float | bool

# --- password ---------------------------------------------------------------------------------

_PASSWORD_WORD = r"(?:pass(?:word|code|phrase)|passwd|pwd)"
_PASSWORD_QUALIFIER = r"(?:temporary|temp|new|initial|one[- ]?time|default|generated)"
_PASSWORD = re.compile(
    rf"(?P<lead>\b(?:(?P<qual>{_PASSWORD_QUALIFIER})\s+)?{_PASSWORD_WORD}\b)"
    r"(?P<conn>\s*[:=]\s*"
    r"|\s+(?:is|was|will\s+be|(?:is|was|has\s+been)\s+set\s+to)\b(?:\s*:)?\s*"
    r"|\s+)"
    r"[\"'`\u201c\u2018\u00ab]?"
    r"(?P<value>[^\s\"'`<>\u201d\u2019\u00bb]{4,128})",
    re.IGNORECASE,
)
# The keywords in any case, spelled out letter by letter: a search for them starts only at a "p" or
# "P" (fast), and no other character lower-cases to one of these letters, so this finds exactly what
# ``pass(?:word|code|phrase)|passwd|pwd`` finds in the lower-cased text, at the same offsets.
_PASSWORD_KEYWORD = re.compile(
    r"[pP](?:[aA][sS][sS](?:[wW][oO][rR][dD]|[cC][oO][dD][eE]|[pP][hH][rR][aA][sS][eE]|[wW][dD])|[wW][dD])")
_QUALIFIER_BEFORE = re.compile(rf"\b{_PASSWORD_QUALIFIER}\s+\Z", re.IGNORECASE)
_PASSWORD_KEY_WORDS = frozenset({"password", "passwd", "pwd", "passcode", "passphrase"})
_KEY_TOKEN = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
_MASK_CHARS = frozenset("*\u2022\u25cf\u00b7xX#.-_")
_TRAILING_PUNCTUATION = ".,;:!?)]}"
_PLACEHOLDER_START = ("{", "[", "(", "<", "%", "$", "*|", "#{")  # {{password}}, *|PASSWORD|*, ...
_DIGIT = re.compile(r"\d")
_LETTER = re.compile(r"[^\W\d_]")
_SYMBOL = re.compile(r"[^\w.,'\u2019-]|_")  # punctuation inside words ("e-mail", "it's") is not one
_ORDINARY_WORDS = """
    required optional reset change changed update updated expired expires expiring hidden
    redacted protected incorrect invalid wrong forgot forgotten none null unchanged unknown
    secret sent see same not enter click your yours this that here below above link manager
    strength strong weak policy length characters minimum maximum must should will been
    being case sensitive encrypted hashed masked true false empty blank unset missing please
    confirm confirmation repeat retype again field login sign
"""
_NOT_A_PASSWORD = frozenset(_ORDINARY_WORDS.split())


def _secretish(value: str) -> bool:
    """A digit, a symbol, or mixed case past the first letter: ``hunter2``, ``Xk9#``, ``aBcD``."""
    rest = value[1:]
    return (
        _DIGIT.search(value) is not None
        or _SYMBOL.search(value) is not None
        or (rest != rest.lower() and value != value.upper())
    )


def _strong(value: str) -> bool:
    """Letters mixed with digits or symbols, six characters or more."""
    return (
        len(value) >= 6
        and _LETTER.search(value) is not None
        and (_DIGIT.search(value) is not None or _SYMBOL.search(value) is not None)
    )


def _could_be_a_value(value: str) -> bool:
    """Not an ordinary word, too short, a mask (``********``) or a placeholder (``{{password}}``)."""
    if len(value) < 4 or value.lower() in _NOT_A_PASSWORD:
        return False
    return not (set(value) <= _MASK_CHARS or value.startswith(_PLACEHOLDER_START))


def _password_value(match: re.Match[str]) -> bool:
    value = match["value"].rstrip(_TRAILING_PUNCTUATION)
    if not _could_be_a_value(value):
        return False
    connector = match["conn"]
    if ":" in connector or "=" in connector:
        return True
    if connector.strip() or match["qual"]:  # "is", "was set to", ...; "temporary password X"
        return _secretish(value)
    # A bare label such as "<td>Password</td><td>X</td>" (tags become spaces).
    return ("\n" in connector or len(connector) >= 2) and _strong(value)


def _password_findings(text: str, start: int = 0) -> Iterator[tuple[int, str]]:
    # Find the keyword (a search that skips to each "p", fast), then match the whole rule there.
    resume = 0
    for keyword in _PASSWORD_KEYWORD.finditer(text, start):
        if keyword.start() < resume:
            continue
        match = _PASSWORD.match(text, keyword.start())
        if match is None:
            continue  # the usual case: "password?", "password reset", "passwords"
        qualifier = _QUALIFIER_BEFORE.search(text, max(0, keyword.start() - 40), keyword.start())
        if qualifier is not None:
            match = _PASSWORD.match(text, qualifier.start()) or match
        if not _password_value(match):
            continue
        resume = match.end()
        prefix = " ".join(text[match.start() : match.start("value")].split())
        prefix = prefix.rstrip("\"'`\u201c\u2018\u00ab")
        yield match.start(), f"{prefix}{'' if prefix.endswith('=') else ' '}***"


def _is_password_key(key: str) -> bool:
    tokens = [token.lower() for token in _KEY_TOKEN.findall(key)]
    if not tokens:
        return False
    return tokens[-1] in _PASSWORD_KEY_WORDS or "".join(tokens[-2:]) in _PASSWORD_KEY_WORDS


# --- ssn --------------------------------------------------------------------------------------

# Each pattern starts with a character class or a literal so the regex engine can skip ahead
# quickly; the "not inside a longer token" checks are lookbehinds placed just after it. Digits are
# ASCII only ([0-9], not \d, which also matches other scripts' digits).
_SSN = re.compile(
    r"[0-8](?<![\w+\-#/.][0-8])[0-9][0-9](?<!000)(?<!666)"
    r"(?P<sep>[- ])(?!00)[0-9][0-9](?P=sep)(?!0000)(?P<serial>[0-9]{4})(?![\w-]|\.[0-9])"
)


def _ssn_findings(text: str, start: int = 0) -> Iterator[tuple[int, str]]:
    for match in _SSN.finditer(text, start):
        yield match.start(), f"***-**-{match['serial']}"


# --- card_number ------------------------------------------------------------------------------

# A candidate: one block of 13-19 digits, or two to five groups joined by spaces or dashes (the
# first of four digits, the second of three to six). Which groups form the card is decided below,
# so "12/27" or a year next to the number do not hide it.
_CARD = re.compile(
    r"[2-6](?<![\w+\-#/][2-6])(?<![0-9]\.[2-6])"
    r"(?:[0-9]{12,18}|[0-9]{3}[ -][0-9]{3,6}(?:[ -][0-9]{1,6}){1,3})(?![0-9])"
)
_GROUP_SPLIT = re.compile(r"[ -]")


_LUHN_DOUBLED = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)


def _luhn(digits: str) -> bool:
    """The Luhn check digit test (``digits`` holds ASCII digits only)."""
    total = sum(map(int, digits[-1::-2])) + sum(map(_LUHN_DOUBLED.__getitem__, map(int, digits[-2::-2])))
    return total % 10 == 0


def _mask_card(digits: str) -> str:
    return digits[:4] + "*" * (len(digits) - 8) + digits[-4:]


def _ends_token(text: str, end: int) -> bool:
    """Whether the digits ending at ``end`` are not glued to a letter or ``_`` (an identifier)."""
    after = text[end : end + 1]
    return not (after.isalpha() or after == "_")


def _leading_groups(candidate: str) -> list[str]:
    """The digit groups of a grouped candidate, up to where its separator changes."""
    separator = candidate[4]
    # Mixed separators: only the part before the first change can be a card.
    cut = candidate.find("-" if separator == " " else " ")
    return (candidate if cut < 0 else candidate[:cut]).split(separator)


def _card_shaped(groups: list[str]) -> bool:
    """13-19 digits in all, each group between the first and the last of three to six digits."""
    return 13 <= sum(map(len, groups)) <= 19 and all(3 <= len(group) <= 6 for group in groups[1:-1])


def _card_in(text: str, start: int, candidate: str) -> tuple[int, str] | None:
    """The longest run of groups at the start of ``candidate`` that is a card, as (end, digits)."""
    if candidate.isdigit():
        end = start + len(candidate)
        return (end, candidate) if _ends_token(text, end) and _luhn(candidate) else None
    groups = _leading_groups(candidate)
    counts = range(len(groups), 1, -1)  # the most groups first
    if candidate[4] != " ":
        counts = counts[:1]  # "4111-1111-1111-1111-12" is one token, not a card plus a number
    for count in counts:
        card = groups[:count]
        if not _card_shaped(card):
            continue
        end = start + sum(map(len, card)) + count - 1
        digits = "".join(card)
        if _ends_token(text, end) and _luhn(digits):
            return end, digits
    return None


def _card_findings(text: str, start: int = 0) -> Iterator[tuple[int, str]]:
    position = start
    while True:
        match = _CARD.search(text, position)
        if match is None:
            return
        found = _card_in(text, match.start(), match.group())
        if found is None:
            # Retry from the next group: "2024 4111 1111 1111 1111" holds a card after the year.
            gap = _GROUP_SPLIT.search(match.group())
            position = match.start() + (gap.end() if gap else len(match.group()))
            continue
        end, digits = found
        yield match.start(), _mask_card(digits)
        position = end


# --- lettr_api_key, webhook_secret ------------------------------------------------------------

_LE_KEY = re.compile(r"le_(?<![A-Za-z0-9_]le_)(?P<test>test_)?[A-Za-z0-9]{36}(?![A-Za-z0-9])")
_LTTR_KEY = re.compile(r"lttr_(?<![A-Za-z0-9_]lttr_)(?P<sandbox>sandbox_)?[A-Za-z0-9]{20,}")
_WEBHOOK_SECRET = re.compile(r"whsec_(?<![A-Za-z0-9_]whsec_)[A-Za-z0-9+/]{20,}")


def _api_key_findings(text: str, start: int = 0) -> Iterator[tuple[int, str]]:
    for pattern in (_LE_KEY, _LTTR_KEY):
        for match in pattern.finditer(text):
            # The public part: "le_", "le_test_", "lttr_" or "lttr_sandbox_", plus one character.
            shown = (match.end(1) if match.group(1) else text.index("_", match.start()) + 1) + 1
            yield match.start(), f"{text[match.start() : shown]}***"


def _webhook_secret_findings(text: str, start: int = 0) -> Iterator[tuple[int, str]]:
    for match in _WEBHOOK_SECRET.finditer(text):
        yield match.start(), f"whsec_{match.group()[6]}***"


# --- scanning ---------------------------------------------------------------------------------

_Scanner = Callable[[str, int], Iterable[tuple[int, str]]]
_SCANNERS: tuple[tuple[str, _Scanner], ...] = (
    ("password", _password_findings),
    ("ssn", _ssn_findings),
    ("card_number", _card_findings),
    ("lettr_api_key", _api_key_findings),
    ("webhook_secret", _webhook_secret_findings),
)
# Cheap pre-checks: skip a rule when its text cannot occur (most emails hold no secret at all);
# the password rule starts at its first keyword. Where an SSN or a card number could first start:
# the loosest shape of either (three digits, a separator, two digits, the same kind of separator
# and four; or four digits and then nine more, or a group of three to six and a third group). One
# pass finds it; both rules start there. It starts with a plain class (not ``[0-9]{3}``), so the
# search skips to the next digit at C speed.
_MAY_HOLD_NUMBER = re.compile(r"[0-9][0-9][0-9](?:[- ][0-9]{2}[- ][0-9]{4}|[0-9](?:[0-9]{9}|[ -][0-9]{3,6}[ -][0-9]))")


def _starts(text: str) -> dict[str, int]:
    """Where each rule's scan must begin in ``text``; a rule that cannot match is left out."""
    starts: dict[str, int] = {}
    keyword = _PASSWORD_KEYWORD.search(text)
    if keyword is not None:
        starts["password"] = keyword.start()
    number = _MAY_HOLD_NUMBER.search(text)
    if number is not None:
        starts["ssn"] = starts["card_number"] = number.start()
    if "le_" in text or "lttr_" in text:
        starts["lettr_api_key"] = 0
    if "whsec_" in text:
        starts["webhook_secret"] = 0
    return starts

_TAG = re.compile(r"<[^<>]*>")


def scan_text(field: str, text: str) -> list[Finding]:
    """Every secret in ``text``, reported under ``field``.

    >>> [(f.rule, f.excerpt) for f in scan_text("text", "ssn 123-45-6789, card 4111 1111 1111 1111")]
    [('ssn', '***-**-6789'), ('card_number', '4111********1111')]
    >>> scan_text("subject", "Forgot your password? Reset it here")
    []
    """
    found: list[tuple[int, Finding]] = []
    starts = _starts(text)
    for rule, scanner in _SCANNERS:
        if rule in starts:
            found.extend((at, Finding(field, rule, excerpt)) for at, excerpt in scanner(text, starts[rule]))
    found.sort(key=lambda item: item[0])
    return [finding for _, finding in found]


def html_to_text(markup: str) -> str:
    """The text of an HTML body: tags become spaces, entities are decoded.

    >>> html_to_text("<p>Password:&nbsp;<b>hunter2</b></p>").split()
    ['Password:', 'hunter2']
    """
    return html_lib.unescape(_TAG.sub(" ", markup))


def _scan_html(markup: str) -> list[Finding]:
    # The markup itself (links and attributes can carry keys or "?pwd=" too), then the text without
    # tags for passwords split from their label by markup: "Password: <b>X</b>".
    unescaped = html_lib.unescape(markup) if "&" in markup else markup
    findings = scan_text("html", unescaped)
    if _PASSWORD_KEYWORD.search(unescaped) is not None:  # stripping tags makes no keyword
        # Stripping the tags of the decoded markup gives html_to_text(markup) unless an entity
        # decoded to "<" or ">" (then the counts differ): one decoding instead of two.
        same = unescaped.count("<") == markup.count("<") and unescaped.count(">") == markup.count(">")
        text = _TAG.sub(" ", unescaped) if same else html_to_text(markup)
        seen = set(findings)
        for _, excerpt in _password_findings(text):
            finding = Finding("html", "password", excerpt)
            if finding not in seen:
                seen.add(finding)
                findings.append(finding)
    return findings


def _scan_metadata(metadata: Mapping[str, MetadataValue]) -> list[Finding]:
    findings: list[Finding] = []
    for key, value in metadata.items():
        field = f"metadata.{key}"
        if isinstance(value, bool):
            continue  # true/false reveal nothing, even under a key like "hasPassword"
        text = value if isinstance(value, str) else str(value)
        password_key = _is_password_key(str(key)) and bool(text.strip())
        if password_key:
            findings.append(Finding(field, "password", "***"))
        for finding in scan_text(field, text):
            if not (password_key and finding.rule == "password"):
                findings.append(finding)
    return findings


def scan_email(
    subject: str | None = None,
    html: str | None = None,
    text: str | None = None,
    metadata: Mapping[str, MetadataValue] | None = None,
) -> list[Finding]:
    """Every secret in an email, field by field (``subject``, ``html``, ``text``,
    ``metadata.<key>``), in that order.

    >>> [str(f) for f in scan_email(subject="Hi", metadata={"userId": "user_123", "pwd": "x1"})]
    ['metadata.pwd: password (***)']
    """
    findings: list[Finding] = []
    if subject:
        findings.extend(scan_text("subject", subject))
    if html:
        findings.extend(_scan_html(html))
    if text:
        findings.extend(scan_text("text", text))
    if metadata:
        findings.extend(_scan_metadata(metadata))
    return findings


def describe(findings: Iterable[Finding]) -> str:
    """One line for a warning or an error message.

    >>> describe([Finding("html", "card_number", "4111********1111")])
    'sensitive data in email: html: card_number (4111********1111)'
    """
    return "sensitive data in email: " + "; ".join(str(finding) for finding in findings)
