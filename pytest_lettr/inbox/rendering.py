"""What the inbox derives from a stored email: its MIME source, search text and rendering checks.

>>> checks = rendering_checks(_example())
>>> checks.missing_alt, [link.url for link in checks.links], checks.has_text
(['logo.png'], ['https://shop.example/a'], False)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from html.parser import HTMLParser
from typing import Any

from ..clock import isoformat
from ..guard import Finding, scan_email
from ..state.emails import Email

#: Above this many bytes of HTML, Gmail shows a clipped message with a "View entire message" link.
CLIP_BYTES = 102 * 1024


@dataclass(frozen=True)
class Link:
    url: str
    text: str
    tracked: bool


@dataclass
class Checks:
    """Hints for a sender: the HTML's size, images without ``alt``, links, the text part, secrets."""

    html_bytes: int = 0
    clipped: bool = False
    missing_alt: list[str] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    has_text: bool = False
    findings: list[Finding] = field(default_factory=list)


class _Scanner(HTMLParser):
    """Collects ``<img>`` without ``alt`` and every ``<a href>`` with its text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.missing_alt: list[str] = []
        self.links: list[tuple[str, str]] = []
        self._open: list[list[str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "img" and values.get("alt") is None:
            self.missing_alt.append(values.get("src") or "(no src)")
        elif tag == "a" and values.get("href"):
            self.links.append((values["href"] or "", ""))
            self._open.append([])

    def handle_data(self, data: str) -> None:
        for texts in self._open:
            texts.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._open:
            texts = self._open.pop()
            index = len(self.links) - 1 - len(self._open)
            url, _ = self.links[index]
            self.links[index] = (url, " ".join("".join(texts).split()))


def rendering_checks(email: Email) -> Checks:
    """The checks the email page shows; the guard's findings come from :func:`pytest_lettr.guard.scan_email`."""
    checks = Checks(has_text=bool(email.text and email.text.strip()))
    checks.findings = scan_email(email.subject, email.html, email.text, email.metadata)
    if not email.html:
        return checks
    checks.html_bytes = len(email.html.encode("utf-8"))
    checks.clipped = checks.html_bytes > CLIP_BYTES
    scanner = _Scanner()
    scanner.feed(email.html)
    scanner.close()
    checks.missing_alt = scanner.missing_alt
    delivered = _Scanner()  # tracked: the link the recipient gets is not the one the app wrote
    delivered.feed(email.delivered_html or "")
    delivered.close()
    sent_as = [url for url, _ in delivered.links]
    checks.links = [Link(url, text, index < len(sent_as) and sent_as[index] != url)
                    for index, (url, text) in enumerate(scanner.links)]
    return checks


def mime_message(email: Email) -> EmailMessage:
    """The email as a MIME message (``Bcc`` left out, as a delivered copy has it)."""
    message = EmailMessage()
    for name, values in _header_fields(email):
        _set(message, name, values)
    message.set_content(email.text or "")
    if email.html:
        message.add_alternative(email.html, subtype="html")
    for attachment in email.attachments:
        maintype, _, subtype = (attachment.content_type or "application/octet-stream").partition("/")
        message.add_attachment(attachment.content or b"", maintype=maintype or "application",
                               subtype=subtype or "octet-stream", filename=attachment.filename)
    return message


def _header_fields(email: Email) -> list[tuple[str, list[str]]]:
    reply_to = [email.reply_to] if email.reply_to else []
    return [("From", [email.from_]), ("To", email.to), ("Cc", email.cc), ("Reply-To", reply_to),
            ("Subject", [email.subject or ""]), ("Date", [format_datetime(email.sent_at or email.created_at)]),
            ("Message-ID", [f"<{email.id}@lettr.mock>"]), *((n, [v]) for n, v in email.headers.items())]


def _set(message: EmailMessage, name: str, values: Iterable[str]) -> None:
    joined = ", ".join(values)
    if joined:
        try:
            message[name] = joined
        except (ValueError, TypeError):  # a header the email module refuses: keep it visible anyway
            message[name] = joined.encode("unicode_escape").decode("ascii")


def mime_source(email: Email) -> tuple[str, str]:
    """``(headers, whole source)`` of :func:`mime_message`."""
    source = mime_message(email).as_string()
    headers, _, _ = source.partition("\n\n")
    return headers, source


def search_text(email: Email) -> str:
    """Subject, sender, recipients, tags and metadata values, lower-cased, for the search box."""
    parts: list[Any] = [email.subject or "", email.from_, *email.recipients, *email.tags]
    parts.extend(_values(email.metadata))
    return "\n".join(str(part) for part in parts).lower()


def _values(value: Any) -> Iterable[Any]:
    if isinstance(value, dict):
        for item in value.values():
            yield from _values(item)
    elif isinstance(value, list):
        for item in value:
            yield from _values(item)
    else:
        yield value


def matches(email: Email, query: str) -> bool:
    """Every word of ``query`` appears in the email's :func:`search_text`."""
    text = search_text(email)
    return all(word in text for word in query.lower().split())


def when(moment: datetime | None) -> str:
    return isoformat(moment) if moment is not None else "—"


def size(count: int) -> str:
    """A byte count for people.

    >>> size(512), size(2048)
    ('512 B', '2.0 KiB')
    """
    return f"{count} B" if count < 1024 else f"{count / 1024:.1f} KiB"


FILTERS = {"when": when, "size": size}


def _example() -> Email:
    return Email("em_1", "a@shop.example", ["b@example.com"], "Hi",
                 '<img src="logo.png"><a href="https://shop.example/a">Go <b>now</b></a>', None, datetime(2025, 1, 1))
