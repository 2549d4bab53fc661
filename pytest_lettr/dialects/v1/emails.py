"""v1 emails: ``/v1/emails``, batch sending, listing with filters, cancelling scheduled mail."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from ... import errors
from ...clock import isoformat_or_none as ts
from ...state import email_limits, sending
from ...state.emails import STATUSES, Attachment, Email
from ...state.sending import Draft
from ..base import Call, Reply, Route
from ..common import filename_ok, header_name_ok, header_value_ok, parse_mailbox
from .listing import page_reply
from .validation import (
    check_bool,
    check_object,
    check_string,
    check_string_list,
    parse_date_or_timestamp,
    parse_timestamp,
)

T = TypeVar("T")
MAX_RECIPIENTS = email_limits.MAX_RECIPIENTS
MAX_BATCH = 100
MAX_TAGS = 50
MAX_ATTACHMENTS = 100
MAX_HEADERS = 50
SUBJECT_MAX = 998
RESERVED_HEADERS = frozenset({"from", "to", "cc", "bcc", "subject", "content-type", "mime-version",
                              "content-transfer-encoding", "reply-to", "date", "message-id"})
KNOWN_FIELDS = frozenset({"from", "to", "subject", "html", "text", "cc", "bcc", "replyTo", "attachments",
                          "headers", "tags", "metadata", "scheduledAt", "templateId", "variables",
                          "tracking"})


def _addresses(value: Any, param: str, *, allow_string: bool) -> list[str]:
    if allow_string and isinstance(value, str):
        items, paths = [value], [param]
    elif isinstance(value, list):
        items, paths = value, [f"{param}.{i}" for i in range(len(value))]
    else:
        kind = "an email address or an array of email addresses" if allow_string else \
            "an array of email addresses"
        raise errors.InvalidParameter(f"The '{param}' field must be {kind}", param=param)
    if len(items) > MAX_RECIPIENTS:
        raise errors.InvalidParameter(f"At most {MAX_RECIPIENTS} recipients are allowed", param=param)
    return [_address(item, path) for item, path in zip(items, paths, strict=True)]


def _address_list(value: Any, param: str) -> list[str]:
    return _addresses(value, param, allow_string=False)


def _address(item: Any, path: str) -> str:
    if not isinstance(item, str) or parse_mailbox(item) is None:
        shown = item if isinstance(item, str) else type(item).__name__
        raise errors.InvalidRecipient(f"'{str(shown)[:320]}' is not a valid email address", param=path)
    return item.strip()


def _attachments(value: Any, param: str) -> list[Attachment]:
    if not isinstance(value, list):
        raise errors.InvalidParameter(f"The '{param}' field must be an array", param=param)
    if len(value) > MAX_ATTACHMENTS:
        raise errors.InvalidParameter(f"At most {MAX_ATTACHMENTS} attachments are allowed", param=param)
    return [_attachment(check_object(raw, f"{param}.{i}"), f"{param}.{i}") for i, raw in enumerate(value)]


def _attachment(item: dict[str, Any], path: str) -> Attachment:
    if "filename" not in item:
        raise errors.MissingParameter("Each attachment needs a 'filename'", param=f"{path}.filename")
    filename = check_string(item["filename"], f"{path}.filename", min_length=1, max_length=255)
    if not filename_ok(filename):
        raise errors.InvalidParameter("An attachment filename must not contain path separators or "
                                      "control characters", param=f"{path}.filename")
    content_type = item.get("contentType")
    if content_type is not None:
        content_type = check_string(content_type, f"{path}.contentType", max_length=255)
    if item.get("content") is not None:
        text = check_string(item["content"], f"{path}.content")
        try:
            content = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise errors.InvalidParameter("Attachment content must be base64", param=f"{path}.content") from None
        return Attachment(filename, content=content, content_type=content_type)
    if item.get("url") is not None:
        url = check_string(item["url"], f"{path}.url", max_length=2048)
        if not url.startswith(("https://", "http://")):
            raise errors.InvalidParameter("Attachment url must be http(s)", param=f"{path}.url")
        return Attachment(filename, url=url, content_type=content_type)
    raise errors.MissingParameter("Each attachment needs 'content' (base64) or 'url'", param=f"{path}.content")


def _headers(value: Any, param: str) -> dict[str, str]:
    obj = check_object(value, param)
    if len(obj) > MAX_HEADERS:
        raise errors.InvalidParameter(f"At most {MAX_HEADERS} custom headers are allowed", param=param)
    for name, header_value in obj.items():
        path = f"{param}.{name[:100]}"
        if not header_name_ok(name):
            raise errors.InvalidParameter(f"'{name[:100]}' is not a valid header name", param=path)
        if name.lower() in RESERVED_HEADERS:
            raise errors.InvalidParameter(f"Header '{name}' is set from the email's own fields", param=path)
        check_string(header_value, path, max_length=998)
        if not header_value_ok(header_value):
            raise errors.InvalidParameter("Header values must not contain line breaks", param=path)
    return dict(obj)


def _metadata(value: Any, param: str) -> dict[str, Any]:
    obj = check_object(value, param)
    if len(obj) > email_limits.METADATA_MAX_KEYS:
        raise errors.InvalidParameter(f"Metadata allows at most {email_limits.METADATA_MAX_KEYS} keys", param=param)
    for name, item in obj.items():
        _check_metadata_item(name, item, f"{param}.{name[:40]}")
    return dict(obj)


def _check_metadata_item(name: str, item: Any, path: str) -> None:
    if len(name) > email_limits.METADATA_KEY_MAX or not name:
        raise errors.InvalidParameter(f"Metadata keys must be 1-{email_limits.METADATA_KEY_MAX} characters",
                                      param=path)
    if not isinstance(item, bool | int | float | str):
        raise errors.InvalidParameter("Metadata values must be strings, numbers or booleans", param=path)
    if len(item if isinstance(item, str) else str(item)) > email_limits.METADATA_VALUE_MAX:
        raise errors.InvalidParameter(f"Metadata values must be at most {email_limits.METADATA_VALUE_MAX} "
                                      "characters", param=path)
    if isinstance(item, str) and any(c in item for c in "\r\n\x00"):
        raise errors.InvalidParameter("Metadata values must not contain line breaks or NUL characters", param=path)


def _tracking(value: Any, param: str) -> dict[str, bool]:
    obj = check_object(value, param)
    unknown = set(obj) - {"opens", "clicks"}
    if unknown:
        raise errors.InvalidParameter(f"Unknown tracking option '{sorted(unknown)[0]}'",
                                      param=f"{param}.{sorted(unknown)[0]}")
    return {name: check_bool(obj.get(name, True), f"{param}.{name}") for name in ("opens", "clicks")}


class _Body:
    """One send body: presence checks and field paths carrying the batch prefix."""

    def __init__(self, body: dict[str, Any], prefix: str) -> None:
        self.body, self.prefix = body, prefix

    def p(self, name: str) -> str:
        return self.prefix + name

    def present(self, name: str) -> bool:
        return self.body.get(name) is not None

    def get(self, name: str, check: Callable[[Any, str], T], default: T) -> T:
        """``check(value, path)`` when the field is present, else ``default``."""
        return check(self.body[name], self.p(name)) if self.present(name) else default

    def required(self, name: str) -> Any:
        if not self.present(name):
            raise errors.MissingParameter(f"The '{name}' field is required", param=self.p(name))
        return self.body[name]


def _sender(body: _Body) -> str:
    sender = check_string(body.required("from"), body.p("from"), max_length=320)
    if parse_mailbox(sender) is None:
        raise errors.InvalidParameter("The 'from' field must be 'addr@domain' or 'Name <addr@domain>'",
                                      param=body.p("from"))
    return sender.strip()


def _recipients(body: _Body) -> tuple[list[str], list[str], list[str]]:
    to = _addresses(body.required("to"), body.p("to"), allow_string=True)
    if not to:
        raise errors.InvalidParameter("The 'to' field needs at least one address", param=body.p("to"))
    cc: list[str] = body.get("cc", _address_list, [])
    bcc: list[str] = body.get("bcc", _address_list, [])
    if len(to) + len(cc) + len(bcc) > MAX_RECIPIENTS:
        raise errors.InvalidParameter(f"'to', 'cc' and 'bcc' allow at most {MAX_RECIPIENTS} addresses in all",
                                      param=body.p("to"))
    return to, cc, bcc


def _reply_to(value: Any, path: str) -> str:
    reply_to = check_string(value, path, max_length=320)
    if parse_mailbox(reply_to) is None:
        raise errors.InvalidParameter("The 'replyTo' field must be one email address", param=path)
    return reply_to


def _content(body: _Body) -> tuple[str | None, str | None, str | None, str | None]:
    """``(template_id, subject, html, text)``: a subject unless templated, and something to send."""
    template_id = body.get("templateId", lambda v, path: check_string(v, path, min_length=1, max_length=255),
                           None)
    if not body.present("subject") and template_id is None:
        raise errors.MissingParameter("The 'subject' field is required", param=body.p("subject"))
    subject = body.get("subject", lambda v, path: check_string(v, path, max_length=SUBJECT_MAX), None)
    html = body.get("html", check_string, None)
    text = body.get("text", check_string, None)
    if html is None and text is None and template_id is None:
        raise errors.MissingParameter("Give at least one of 'html', 'text' or 'templateId'", param=body.p("html"))
    return template_id, subject, html, text


def _scheduled_at(call: Call, body: _Body) -> datetime | None:
    if not body.present("scheduledAt"):
        return None
    moment = parse_timestamp(body.body["scheduledAt"], body.p("scheduledAt"))
    if moment <= call.account.clock.now():
        raise errors.InvalidParameter("The 'scheduledAt' field must be in the future", param=body.p("scheduledAt"))
    return moment


def parse_email(call: Call, raw: dict[str, Any], prefix: str = "") -> Draft:
    """Validate one v1 send body into a :class:`Draft`; params carry ``prefix``."""
    body = _Body(raw, prefix)
    for name in raw:
        if name not in KNOWN_FIELDS:
            raise errors.InvalidParameter(f"Unknown field '{name[:64]}'", param=body.p(name[:64]))
    sender = _sender(body)
    to, cc, bcc = _recipients(body)
    template_id, subject, html, text = _content(body)
    return Draft(
        sender=sender, to=to, cc=cc, bcc=bcc, subject=subject, html=html, text=text,
        reply_to=body.get("replyTo", _reply_to, None),
        scheduled_at=_scheduled_at(call, body),
        variables=body.get("variables", check_object, {}),
        attachments=body.get("attachments", _attachments, []),
        headers=body.get("headers", _headers, {}),
        tags=body.get("tags", lambda v, path: check_string_list(v, path, max_items=MAX_TAGS, item_max_length=64),
                      []),
        metadata=body.get("metadata", _metadata, {}),
        template_id=template_id,
        tracking=body.get("tracking", _tracking, {"opens": True, "clicks": True}),
    )


def _send(call: Call, drafts: list[Draft], prefix: Callable[[int], str]) -> list[Email]:
    """The shared send operation; a failing draft's ``param`` gets its batch prefix."""
    assert call.key is not None
    try:
        return sending.send(call.account, call.key, call.actor, drafts, suppressed="refuse")
    except errors.LettrError as error:
        if error.param is not None:
            error.param = prefix(int(error.extra.pop("item", 0))) + error.param
        raise


def render_email(email: Email, *, full: bool = True) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": email.id,
        "object": "email",
        "from": email.from_,
        "to": list(email.to),
        "cc": list(email.cc),
        "bcc": list(email.bcc),
        "replyTo": email.reply_to,
        "subject": email.subject,
        "tags": list(email.tags),
        "metadata": dict(email.metadata),
        "status": email.status,
        "opens": email.opens,
        "clicks": email.clicks,
        "firstOpenedAt": ts(email.first_opened_at),
        "lastOpenedAt": ts(email.last_opened_at),
        "deliveredAt": ts(email.delivered_at),
        "scheduledAt": ts(email.scheduled_at),
        "createdAt": ts(email.created_at),
    }
    if full:
        body["html"] = email.html
        body["text"] = email.text
        body["headers"] = dict(email.headers)
        body["templateId"] = email.template_id
        body["tracking"] = dict(email.tracking)
        body["attachments"] = [
            {"filename": a.filename, "contentType": a.content_type, "size": a.size, "url": a.url}
            for a in email.attachments
        ]
    return body


def send_email(call: Call) -> Reply:
    (email,) = _send(call, [parse_email(call, call.json())], lambda _: "")
    return Reply(200, render_email(email))


def send_batch(call: Call) -> Reply:
    body = call.json()
    if "emails" not in body:
        raise errors.MissingParameter("The 'emails' field is required", param="emails")
    items = body["emails"]
    if not isinstance(items, list) or not items:
        raise errors.InvalidParameter("The 'emails' field must be a non-empty array", param="emails")
    if len(items) > MAX_BATCH:
        raise errors.InvalidParameter(f"A batch holds at most {MAX_BATCH} emails", param="emails")
    drafts = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise errors.InvalidParameter("Each batch item must be an object", param=f"emails.{i}")
        drafts.append(parse_email(call, item, f"emails.{i}."))
    emails = _send(call, drafts, lambda i: f"emails.{i}.")
    return Reply(200, {"object": "list", "data": [render_email(e) for e in emails]})


def get_email(call: Call) -> Reply:
    return Reply(200, render_email(call.account.outbox.get(call.args["email_id"])))


def _date_bounds(call: Call) -> tuple[datetime | None, datetime | None]:
    """The ``from_date`` .. ``to_date`` filter (a bare ``to_date`` includes that whole day)."""
    start, end = call.query.get("from_date"), call.query.get("to_date")
    return (parse_date_or_timestamp(start, "from_date") if start else None,
            parse_date_or_timestamp(end, "to_date", end_of_day=True) if end else None)


def _wanted_status(call: Call) -> str | None:
    status = call.query.get("status")
    if status is not None and status not in STATUSES:
        raise errors.InvalidParameter(f"The 'status' filter must be one of: {', '.join(STATUSES)}",
                                      param="status")
    return status


def list_emails(call: Call) -> Reply:
    outbox = call.account.outbox
    to = call.query.get("to")
    status = _wanted_status(call)
    tags = list(dict.fromkeys(t.strip() for t in (call.query.get("tags") or "").split(",") if t.strip()))
    positions = outbox.select(*_date_bounds(call), recipient=to.strip() if to else None,
                              statuses=None if status is None else (status,), tags=tags or None)
    return page_reply(call, positions, outbox.at, outbox.position, lambda e: render_email(e, full=False))


def cancel_email(call: Call) -> Reply:
    email = sending.cancel(call.account, call.actor, call.account.outbox.get(call.args["email_id"]))
    return Reply(200, render_email(email))


ROUTES = [
    Route("POST", "/emails", send_email, "emails:send"),
    Route("POST", "/emails/batch", send_batch, "emails:send"),
    Route("GET", "/emails", list_emails, "emails:list"),
    Route("GET", "/emails/<email_id>", get_email, "emails:read"),
    Route("DELETE", "/emails/<email_id>", cancel_email, "emails:delete"),
]
