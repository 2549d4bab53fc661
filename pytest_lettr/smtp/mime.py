"""A MIME message (as a mail client writes it) → the :class:`~pytest_lettr.state.sending.Draft` an
API send would give, with the standard :mod:`email` package::

    draft = draft_of(raw_bytes, mail_from="app@example.com", rcpt_tos=["ada@example.com"])
    draft.subject, draft.text, draft.html, [a.filename for a in draft.attachments]

- From, To, Cc and Reply-To come from the headers (encoded words decoded); the envelope decides
  who gets it: a header recipient not in the envelope is not sent to, an envelope recipient in no
  header is a Bcc.
- The body is the first ``text/html`` and the first ``text/plain`` part that is not an
  attachment, whatever the nesting (alternative, related, mixed); every other leaf is an
  attachment (inline images too), decoded from its transfer encoding. Text is decoded from its
  charset (an unknown charset is read as Latin-1 rather than refused).
- ``X-Lettr-Metadata`` (a JSON object) becomes metadata, each ``X-Lettr-Tag`` a tag; any other
  header the system does not set itself is kept as a custom header.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses
from typing import Any

from ..dialects.common import SYSTEM_HEADERS, filename_ok, header_value_ok, is_email
from ..errors import InvalidParameter, InvalidSender
from ..state import email_limits
from ..state.emails import Attachment, address_of
from ..state.inbound import InboundAttachment, InboundMail
from ..state.sending import Draft

METADATA_HEADER = "x-lettr-metadata"
TAG_HEADER = "x-lettr-tag"
#: Headers a relay adds on the way; never a custom header of the email.
TRANSPORT_HEADERS = frozenset({"received", "dkim-signature", "x-original-to", "delivered-to"})


@dataclass(frozen=True)
class Parsed:
    """What a MIME message says, before the envelope is applied."""

    message: EmailMessage
    sender: str | None
    sender_name: str | None
    to: list[str]
    cc: list[str]
    reply_to: str | None


def parse(raw: bytes) -> EmailMessage:
    """The message object of ``raw`` (never raises: a broken header becomes a defect)."""
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    return message


def header_text(message: Message, name: str) -> str | None:
    """A header's decoded, unfolded value (``None`` if absent or undecodable)."""
    try:
        value = message.get(name)
    except (ValueError, LookupError, TypeError, IndexError):  # a header the email package cannot read
        return None
    return None if value is None else " ".join(str(value).split())


def mailboxes(message: Message, name: str) -> list[tuple[str, str]]:
    """``(display name, address)`` of every mailbox in a header, decoded; malformed ones dropped."""
    values: list[tuple[str, str]] = []
    for raw in message.get_all(name, []):
        try:
            addresses = getattr(raw, "addresses", None)
            if addresses is not None:
                values.extend((a.display_name, a.addr_spec) for a in addresses if isinstance(a, Address))
                continue
        except (ValueError, LookupError, TypeError, IndexError):
            pass
        values.extend(getaddresses([str(raw)]))
    return [(name_, addr) for name_, addr in values if addr and is_email(addr)]


def read(raw: bytes) -> Parsed:
    """The headers that become the draft's addresses."""
    message = parse(raw)
    senders = mailboxes(message, "from")
    sender_name, sender = senders[0] if senders else (None, None)
    replies = mailboxes(message, "reply-to")
    return Parsed(message, sender, sender_name or None, [a for _, a in mailboxes(message, "to")],
                  [a for _, a in mailboxes(message, "cc")], replies[0][1] if replies else None)


# -- bodies and attachments ----------------------------------------------------------------------
def part_text(part: Message) -> str:
    """A text part's content as ``str``, decoded from its transfer encoding and charset, with ``\n`` line ends."""
    payload = part.get_payload(decode=True)
    data = payload if isinstance(payload, bytes) else b""
    charset = part.get_content_charset() or "us-ascii"
    try:
        text = data.decode(charset, errors="replace")
    except LookupError:  # a charset Python does not know
        text = data.decode("latin-1")
    return text.replace("\r\n", "\n")  # the wire's CRLF, as an API send's text would have it


def _is_attachment(part: Message) -> bool:
    return part.get_content_disposition() == "attachment" or bool(part.get_filename())


def _leaves(message: Message) -> list[Message]:
    return [part for part in message.walk() if not part.is_multipart()]


def bodies(message: Message) -> tuple[str | None, str | None, list[Message]]:
    """``(html, text, other leaves)``: the first inline html and plain part, and the rest."""
    html = text = None
    rest = []
    for part in _leaves(message):
        kind = part.get_content_type()
        if kind == "text/html" and html is None and not _is_attachment(part):
            html = part_text(part)
        elif kind == "text/plain" and text is None and not _is_attachment(part):
            text = part_text(part)
        else:
            rest.append(part)
    return html, text, rest


def attachment_of(part: Message, index: int) -> Attachment:
    """One leaf as an attachment: its file name (made up if it has none or a bad one) and bytes."""
    name = part.get_filename()
    if not name or not filename_ok(name):
        subtype = part.get_content_subtype() or "bin"
        name = f"attachment-{index + 1}.{subtype}"
    payload = part.get_payload(decode=True)
    return Attachment(name, content=payload if isinstance(payload, bytes) else b"",
                      content_type=part.get_content_type())


# -- headers ------------------------------------------------------------------------------------
def custom_headers(message: Message) -> dict[str, str]:
    """Headers the system does not set itself, Lettr's own and a relay's excepted (first one wins)."""
    found: dict[str, str] = {}
    for name in message:
        lowered = name.lower()
        if lowered in SYSTEM_HEADERS or lowered in TRANSPORT_HEADERS or lowered.startswith("x-lettr-"):
            continue
        value = header_text(message, name)
        if value is not None and header_value_ok(value):
            found.setdefault(name, value)
    return found


def metadata_of(message: Message) -> dict[str, Any]:
    """``X-Lettr-Metadata``: a JSON object, else a 550 naming the header."""
    raw = header_text(message, METADATA_HEADER)
    if raw is None:
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise InvalidParameter("The X-Lettr-Metadata header must hold a JSON object", param="metadata")
    return value


def tags_of(message: Message) -> list[str]:
    tags = [" ".join(str(v).split()) for v in message.get_all(TAG_HEADER, [])]
    for i, tag in enumerate(tags):
        if problem := (email_limits.tag_problem(tag) if tag else "A tag may not be empty"):
            raise InvalidParameter(f"X-Lettr-Tag: {problem}", param=f"tags.{i}")
    return tags


# -- the draft ----------------------------------------------------------------------------------
def _split_envelope(parsed: Parsed, rcpt_tos: list[str]) -> tuple[list[str], list[str], list[str]]:
    """``(to, cc, bcc)``: header recipients the envelope has, and the envelope's others as Bcc."""
    envelope = {address_of(r): r for r in rcpt_tos}
    to = [a for a in parsed.to if address_of(a) in envelope]
    cc = [a for a in parsed.cc if address_of(a) in envelope and a not in to]
    shown = {address_of(a) for a in to + cc}
    bcc = [r for key, r in envelope.items() if key not in shown]
    return to, cc, bcc


def draft_of(raw: bytes, *, mail_from: str, rcpt_tos: list[str]) -> Draft:
    """The draft of one message submitted with ``MAIL FROM:<mail_from>`` to ``rcpt_tos``."""
    parsed = read(raw)
    message = parsed.message
    sender = parsed.sender or mail_from
    if not sender or not is_email(sender):
        raise InvalidSender("The message has no valid From address", param="from")
    html, text, rest = bodies(message)
    to, cc, bcc = _split_envelope(parsed, rcpt_tos)
    draft = Draft(
        sender=sender, to=to, cc=cc, bcc=bcc, subject=header_text(message, "subject"), html=html, text=text,
        reply_to=parsed.reply_to, attachments=[attachment_of(p, i) for i, p in enumerate(rest)],
        headers=custom_headers(message), tags=tags_of(message), metadata=metadata_of(message),
        extra={"dialect": "smtp", "from_name": parsed.sender_name, "envelope_from": mail_from or None,
               "message_id": header_text(message, "message-id")},
    )
    for param, problem in email_limits.current_api_problems(draft):  # Lettr's SMTP is the current API
        raise InvalidParameter(problem, param=param)
    return draft


def _inbound_attachment(part: Message, index: int) -> InboundAttachment:
    attachment = attachment_of(part, index)
    return InboundAttachment(attachment.filename, attachment.content_type or "application/octet-stream",
                             attachment.content or b"")


def inbound_mails(raw: bytes, *, mail_from: str, rcpt_tos: list[str]) -> list[InboundMail]:
    """Received mail as the inbound store takes it: one :class:`InboundMail` per envelope recipient."""
    parsed = read(raw)
    message = parsed.message
    html, text, rest = bodies(message)
    attachments = [_inbound_attachment(part, index) for index, part in enumerate(rest)]
    sender = mail_from or parsed.sender or ""
    friendly = header_text(message, "from") or sender
    headers = [(name, header_text(message, name) or "") for name in message]
    subject = header_text(message, "subject")
    return [InboundMail(raw=raw, mail_from=sender, rcpt_to=rcpt, friendly_from=friendly, subject=subject,
                        text=text, html=html, headers=headers, to=list(parsed.to), cc=list(parsed.cc),
                        attachments=attachments)
            for rcpt in rcpt_tos]


__all__ = ["Parsed", "bodies", "draft_of", "header_text", "inbound_mails", "mailboxes", "parse", "read"]
