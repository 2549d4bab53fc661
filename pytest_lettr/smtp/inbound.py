"""Inbound mail handed to the fake directly (``LettrServer.receive``) and its attachment URLs.

::

    received_mails(EmailMessage(...))                 # the envelope from To, Cc and From
    received_mails(b"From: ...", to="support@in.example.com")
    received_mails(None, sender="ada@example.com", to="support@in.example.com", subject="Hi", text="Hello")
    serve_attachment(account, token)                  # 200 with the bytes, 404 unknown, 410 after 24 h
"""

from __future__ import annotations

from collections.abc import Sequence
from email import policy
from email.message import EmailMessage

from werkzeug.wrappers import Response

from ..state import Account
from ..state.inbound import InboundMail
from .mime import inbound_mails, mailboxes, parse

ReceivedMessage = EmailMessage | bytes | None
FIELDS = ("sender", "subject", "text", "html")


def _built(to: Sequence[str], fields: dict[str, str]) -> EmailMessage:
    unknown = set(fields) - set(FIELDS)
    if unknown:
        raise TypeError(f"unknown message fields: {', '.join(sorted(unknown))} (use {', '.join(FIELDS)})")
    message = EmailMessage()
    message["From"] = fields.get("sender", "sender@example.com")
    message["To"] = ", ".join(to)
    message["Subject"] = fields.get("subject", "")
    message.set_content(fields.get("text", ""))
    if "html" in fields:
        message.add_alternative(fields["html"], subtype="html")
    return message


def received_mails(message: ReceivedMessage, *, to: str | Sequence[str] | None = None, mail_from: str | None = None,
                   **fields: str) -> list[InboundMail]:
    """One :class:`InboundMail` per envelope recipient of a message given as an object, bytes or fields."""
    recipients = [to] if isinstance(to, str) else list(to or [])
    if message is None:
        message = _built(recipients, fields)
    elif fields:
        raise TypeError("give a message or simple fields, not both")
    raw = message.as_bytes(policy=policy.SMTP) if isinstance(message, EmailMessage) else bytes(message)
    parsed = parse(raw)
    if not recipients:
        recipients = [address for _, address in mailboxes(parsed, "to") + mailboxes(parsed, "cc")]
    if mail_from is None:
        senders = mailboxes(parsed, "from")
        mail_from = senders[0][1] if senders else ""
    return inbound_mails(raw, mail_from=mail_from, rcpt_tos=recipients)


def serve_attachment(account: Account, token: str) -> Response:
    """The bytes behind an attachment URL; 404 for an unknown one, 410 once it expired."""
    found = account.inbound.attachment(token)
    if found is None:
        return Response("Not found", status=404, mimetype="text/plain")
    attachment, expired = found
    if expired:
        return Response("This attachment URL has expired", status=410, mimetype="text/plain")
    name = attachment.filename.replace('"', "_")
    return Response(attachment.content, status=200, mimetype=attachment.content_type,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


__all__ = ["ReceivedMessage", "received_mails", "serve_attachment"]
