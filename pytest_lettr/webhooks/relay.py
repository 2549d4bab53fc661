"""The body Lettr POSTs for inbound mail: a JSON array of ``{"msys": {"relay_message": {...}}}``.

::

    body = relay_body(RelayMessage(msg_from="ada@example.com", rcpt_to="support@in.example.com",
                                   friendly_from="Ada <ada@example.com>", customer_id="1234",
                                   content=RelayContent(subject="Help", text="Hi", html=None,
                                                        headers=[("Subject", "Help")], to=["support@in.example.com"],
                                                        cc=[], email_rfc822="...")),
                      webhook_id="wh_1")

``content.headers`` is a list of one-key objects in message order; ``To`` and ``CC`` hold lists of
addresses. ``attachments`` (file name, type, size, a URL that expires) is the shape the
attachments page describes, added to ``content``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

#: Headers whose value the payload shows as a list of addresses.
LIST_HEADERS = {"to": "To", "cc": "CC"}


@dataclass(frozen=True)
class RelayAttachment:
    filename: str
    content_type: str
    size: int
    url: str


@dataclass(frozen=True)
class RelayContent:
    subject: str | None
    text: str | None
    html: str | None
    headers: list[tuple[str, str]]
    to: list[str]
    cc: list[str]
    email_rfc822: str
    attachments: list[RelayAttachment] = field(default_factory=list)


@dataclass(frozen=True)
class RelayMessage:
    msg_from: str
    rcpt_to: str
    friendly_from: str
    customer_id: str
    content: RelayContent


def _headers(content: RelayContent) -> list[dict[str, Any]]:
    shown: list[dict[str, Any]] = []
    for name, value in content.headers:
        listed = LIST_HEADERS.get(name.lower())
        if listed == "To":
            shown.append({"To": list(content.to)})
        elif listed == "CC":
            shown.append({"CC": list(content.cc)})
        else:
            shown.append({name: value})
    return shown


def relay_message(message: RelayMessage, webhook_id: str) -> dict[str, Any]:
    """The ``relay_message`` object for one webhook."""
    content = message.content
    return {
        "msg_from": message.msg_from,
        "rcpt_to": message.rcpt_to,
        "friendly_from": message.friendly_from,
        "customer_id": message.customer_id,
        "webhook_id": webhook_id,
        "content": {
            "html": content.html,
            "text": content.text,
            "subject": content.subject,
            "headers": _headers(content),
            "to": list(content.to),
            "email_rfc822": content.email_rfc822,
            "attachments": [{"filename": a.filename, "contentType": a.content_type, "size": a.size, "url": a.url}
                            for a in content.attachments],
        },
    }


def relay_body(message: RelayMessage, webhook_id: str) -> bytes:
    """The exact bytes POSTed: a one-event array."""
    event = {"msys": {"relay_message": relay_message(message, webhook_id)}}
    return json.dumps([event], separators=(",", ":"), ensure_ascii=False).encode("utf-8")


__all__ = ["RelayAttachment", "RelayContent", "RelayMessage", "relay_body", "relay_message"]
