"""Rules both HTTP dialects apply the same way: addresses, header names, attachment file names,
dates, the Idempotency-Key limit, and casing. Each dialect words its own error for a broken rule::

    is_email("ada@example.com"), parse_mailbox("Ada <ada@example.com>")   # (True, 'ada@example.com')
    header_name_ok("X-Order-Id"), filename_ok("../etc/passwd")             # (True, False)
    parse_iso_datetime("2026-01-02T03:04:05Z")                             # aware UTC datetime
    camel("key_prefix")                                                    # 'keyPrefix' (v1 casing)
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, time, timezone

# The casing helpers live in pytest_lettr.casing (webhook payloads use them too); re-exported here.
from ..casing import camel as camel
from ..casing import camel_keys as camel_keys
from ..state import email_limits

#: The longest ``Idempotency-Key`` either dialect accepts.
MAX_IDEMPOTENCY_KEY = 255
#: A header field name (RFC 9110 token), at most 100 characters.
HEADER_NAME_RE = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$")
DATE_ONLY_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
#: Recipients one send may have in ``to`` (the current API's cap; SMTP caps its envelope with it).
MAX_TO = email_limits.MAX_RECIPIENTS
#: The longest tag a send may carry.
TAG_MAX = email_limits.TAG_MAX
#: Headers the system sets itself (the spec's list); a send may not set them as custom headers.
SYSTEM_HEADERS = frozenset({
    "from", "to", "cc", "bcc", "subject", "reply-to", "sender", "date", "message-id", "mime-version",
    "content-type", "content-transfer-encoding", "return-path", "x-msys-api", "list-unsubscribe",
    "list-unsubscribe-post", "dkim-signature", "received",
})

# A practical address check: local part of printable ASCII or UTF-8 (RFC 6531), one @, a dotted
# domain of LDH labels (or IDN labels), no spaces or control characters.
# Non-ASCII is ``[^\x00-\x7f]`` beside each ASCII class: one class spanning U+0080 to U+10FFFF costs
# ~27 ms to compile, at every start of a test session.
_ATOM = r"(?:[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]|[^\x00-\x7f])"
_ALNUM = r"(?:[A-Za-z0-9]|[^\x00-\x7f])"
_LDH = r"(?:[A-Za-z0-9-]|[^\x00-\x7f])"
_LOCAL = rf"{_ATOM}+(?:\.{_ATOM}+)*"
_LABEL = rf"(?:{_ALNUM}(?:{_LDH}{{0,61}}{_ALNUM})?)"
EMAIL_RE = re.compile(rf"^{_LOCAL}@{_LABEL}(?:\.{_LABEL})+$")
MAILBOX_RE = re.compile(r"^(?P<name>[^<>\r\n\x00]*?)\s*<(?P<addr>[^<>\s]+)>$")


def _invisible(char: str) -> bool:
    """Control, format (e.g. U+202E right-to-left override), separator, private-use or unassigned."""
    return unicodedata.category(char)[0] in "CZ"


def is_email(value: str) -> bool:
    """A plausible address; non-ASCII is allowed (RFC 6531) but never an invisible character.

    >>> is_email("ada@example.com"), is_email("jos\u00e9@example.com"), is_email("ada\u202e@example.com")
    (True, True, False)
    """
    if len(value) > 254 or EMAIL_RE.match(value) is None:
        return False
    return value.isascii() or not any(_invisible(c) for c in value if not c.isascii())


def parse_mailbox(value: str) -> str | None:
    """The address in ``addr@domain`` or ``Name <addr@domain>``, or ``None`` if malformed.

    >>> parse_mailbox("Ada <ada@example.com>"), parse_mailbox("not an address")
    ('ada@example.com', None)
    """
    value = value.strip()
    match = MAILBOX_RE.match(value)
    address = match.group("addr") if match else value
    return address if is_email(address) else None


def header_name_ok(name: str) -> bool:
    """A custom header's name is a token of at most 100 characters."""
    return HEADER_NAME_RE.match(name) is not None


def header_value_ok(value: str) -> bool:
    """A header value holds no line break or NUL (no header injection)."""
    return not any(c in value for c in "\r\n\x00")


def filename_ok(name: str) -> bool:
    """An attachment's file name has no path separator and no control character.

    >>> filename_ok("invoice.pdf"), filename_ok("a/b.pdf"), filename_ok("x" + chr(9) + "y.pdf")
    (True, False, False)
    """
    return "/" not in name and "\\" not in name and not any(ord(c) < 32 for c in name)


def parse_iso_datetime(value: object, *, end_of_day: bool = False) -> datetime | None:
    """An ISO 8601 date-time (``Z``, an offset, or naive = UTC) or a ``YYYY-MM-DD`` date → aware
    UTC; ``None`` if it is none of those. A bare date is its first moment, or its last with
    ``end_of_day``.

    >>> parse_iso_datetime("2026-01-02T03:04:05+01:00").isoformat()
    '2026-01-02T02:04:05+00:00'
    >>> parse_iso_datetime("2026-01-02", end_of_day=True).time().hour, parse_iso_datetime("soon")
    (23, None)
    """
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if DATE_ONLY_RE.fullmatch(text):
        try:
            day = date.fromisoformat(text)
        except ValueError:
            return None
        return datetime.combine(day, time.max if end_of_day else time.min, tzinfo=timezone.utc)
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        return moment.astimezone(timezone.utc)
    except (ValueError, OverflowError):  # OverflowError: 0001-01-01T00:00:00+14:00 is before year 1 in UTC
        return None
