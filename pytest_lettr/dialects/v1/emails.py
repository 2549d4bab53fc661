"""v1 emails: ``/v1/emails``, batch sending, listing with filters, cancelling scheduled mail."""

from __future__ import annotations

import base64
import binascii
import re
from bisect import bisect_left, bisect_right
from typing import Any

from ... import errors
from ...clock import isoformat_or_none as ts
from ...state.emails import STATUSES, Attachment, Email
from ..base import Call, Reply, Route
from .listing import page_reply
from .validation import (
    check_bool,
    check_object,
    check_string,
    check_string_list,
    parse_date_or_timestamp,
    parse_mailbox,
    parse_timestamp,
)

MAX_RECIPIENTS = 50
MAX_BATCH = 100
MAX_TAGS = 50
MAX_ATTACHMENTS = 100
MAX_HEADERS = 50
SUBJECT_MAX = 998
HEADER_NAME_RE = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$")
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
    result = []
    for item, path in zip(items, paths, strict=True):
        if not isinstance(item, str) or parse_mailbox(item) is None:
            shown = item if isinstance(item, str) else type(item).__name__
            raise errors.InvalidRecipient(f"'{str(shown)[:320]}' is not a valid email address",
                                    param=path)
        result.append(item.strip())
    return result


def _attachments(value: Any, param: str) -> list[Attachment]:
    if not isinstance(value, list):
        raise errors.InvalidParameter(f"The '{param}' field must be an array", param=param)
    if len(value) > MAX_ATTACHMENTS:
        raise errors.InvalidParameter(f"At most {MAX_ATTACHMENTS} attachments are allowed", param=param)
    result = []
    for i, raw in enumerate(value):
        path = f"{param}.{i}"
        item = check_object(raw, path)
        if "filename" not in item:
            raise errors.MissingParameter("Each attachment needs a 'filename'", param=f"{path}.filename")
        filename = check_string(item["filename"], f"{path}.filename", min_length=1, max_length=255)
        if "/" in filename or "\\" in filename or any(ord(c) < 32 for c in filename):
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
                raise errors.InvalidParameter("Attachment content must be base64", param=f"{path}.content") \
                    from None
            result.append(Attachment(filename, content=content, content_type=content_type))
        elif item.get("url") is not None:
            url = check_string(item["url"], f"{path}.url", max_length=2048)
            if not url.startswith(("https://", "http://")):
                raise errors.InvalidParameter("Attachment url must be http(s)", param=f"{path}.url")
            result.append(Attachment(filename, url=url, content_type=content_type))
        else:
            raise errors.MissingParameter("Each attachment needs 'content' (base64) or 'url'",
                                          param=f"{path}.content")
    return result


def _headers(value: Any, param: str) -> dict[str, str]:
    obj = check_object(value, param)
    if len(obj) > MAX_HEADERS:
        raise errors.InvalidParameter(f"At most {MAX_HEADERS} custom headers are allowed", param=param)
    for name, header_value in obj.items():
        path = f"{param}.{name[:100]}"
        if not HEADER_NAME_RE.match(name):
            raise errors.InvalidParameter(f"'{name[:100]}' is not a valid header name", param=path)
        if name.lower() in RESERVED_HEADERS:
            raise errors.InvalidParameter(f"Header '{name}' is set from the email's own fields", param=path)
        check_string(header_value, path, max_length=998)
        if any(c in header_value for c in "\r\n\x00"):
            raise errors.InvalidParameter("Header values must not contain line breaks", param=path)
    return dict(obj)


def _metadata(value: Any, param: str) -> dict[str, Any]:
    obj = check_object(value, param)
    if len(obj) > 50:
        raise errors.InvalidParameter("Metadata allows at most 50 keys", param=param)
    for name, item in obj.items():
        path = f"{param}.{name[:40]}"
        if len(name) > 40 or not name:
            raise errors.InvalidParameter("Metadata keys must be 1-40 characters", param=path)
        if isinstance(item, bool | int | float):
            text = str(item)
        elif isinstance(item, str):
            text = item
        else:
            raise errors.InvalidParameter("Metadata values must be strings, numbers or booleans", param=path)
        if len(text) > 500:
            raise errors.InvalidParameter("Metadata values must be at most 500 characters", param=path)
        if isinstance(item, str) and any(c in item for c in "\r\n\x00"):
            raise errors.InvalidParameter("Metadata values must not contain line breaks or NUL characters",
                                          param=path)
    return dict(obj)


def _tracking(value: Any, param: str) -> dict[str, bool]:
    obj = check_object(value, param)
    unknown = set(obj) - {"opens", "clicks"}
    if unknown:
        raise errors.InvalidParameter(f"Unknown tracking option '{sorted(unknown)[0]}'",
                                      param=f"{param}.{sorted(unknown)[0]}")
    return {name: check_bool(obj.get(name, True), f"{param}.{name}") for name in ("opens", "clicks")}


def parse_email(call: Call, body: dict[str, Any], prefix: str = "") -> Email:
    """Validate one v1 send body into an unsaved :class:`Email`; params carry ``prefix``."""

    def p(name: str) -> str:
        return prefix + name

    def present(name: str) -> bool:
        return body.get(name) is not None

    for name in body:
        if name not in KNOWN_FIELDS:
            raise errors.InvalidParameter(f"Unknown field '{name[:64]}'", param=p(name[:64]))
    if not present("from"):
        raise errors.MissingParameter("The 'from' field is required", param=p("from"))
    sender = check_string(body["from"], p("from"), max_length=320)
    if parse_mailbox(sender) is None:
        raise errors.InvalidParameter("The 'from' field must be 'addr@domain' or 'Name <addr@domain>'",
                                      param=p("from"))
    if not present("to"):
        raise errors.MissingParameter("The 'to' field is required", param=p("to"))
    to = _addresses(body["to"], p("to"), allow_string=True)
    if not to:
        raise errors.InvalidParameter("The 'to' field needs at least one address", param=p("to"))
    cc = _addresses(body["cc"], p("cc"), allow_string=False) if present("cc") else []
    bcc = _addresses(body["bcc"], p("bcc"), allow_string=False) if present("bcc") else []
    if len(to) + len(cc) + len(bcc) > MAX_RECIPIENTS:
        raise errors.InvalidParameter(f"'to', 'cc' and 'bcc' allow at most {MAX_RECIPIENTS} addresses in all",
                                      param=p("to"))
    template_id = check_string(body["templateId"], p("templateId"), min_length=1, max_length=255) \
        if present("templateId") else None
    if present("subject"):
        subject: str | None = check_string(body["subject"], p("subject"), max_length=SUBJECT_MAX)
    elif template_id is None:
        raise errors.MissingParameter("The 'subject' field is required", param=p("subject"))
    else:
        subject = None
    html = check_string(body["html"], p("html")) if present("html") else None
    text = check_string(body["text"], p("text")) if present("text") else None
    if html is None and text is None and template_id is None:
        raise errors.MissingParameter("Give at least one of 'html', 'text' or 'templateId'", param=p("html"))
    reply_to = None
    if present("replyTo"):
        reply_to = check_string(body["replyTo"], p("replyTo"), max_length=320)
        if parse_mailbox(reply_to) is None:
            raise errors.InvalidParameter("The 'replyTo' field must be one email address",
                                          param=p("replyTo"))
    now = call.account.clock.now()
    scheduled_at = None
    if present("scheduledAt"):
        scheduled_at = parse_timestamp(body["scheduledAt"], p("scheduledAt"))
        if scheduled_at <= now:
            raise errors.InvalidParameter("The 'scheduledAt' field must be in the future",
                                          param=p("scheduledAt"))
    variables = check_object(body["variables"], p("variables")) if present("variables") else {}
    return Email(
        id="",
        from_=sender.strip(),
        to=to,
        subject=subject,
        html=html,
        text=text,
        created_at=now,
        status="scheduled" if scheduled_at else "sent",
        cc=cc,
        bcc=bcc,
        reply_to=reply_to,
        attachments=_attachments(body["attachments"], p("attachments")) if present("attachments") else [],
        headers=_headers(body["headers"], p("headers")) if present("headers") else {},
        tags=check_string_list(body["tags"], p("tags"), max_items=MAX_TAGS, item_max_length=64)
        if present("tags") else [],
        metadata=_metadata(body["metadata"], p("metadata")) if present("metadata") else {},
        scheduled_at=scheduled_at,
        template_id=template_id,
        variables=variables,
        tracking=_tracking(body["tracking"], p("tracking")) if present("tracking") else
        {"opens": True, "clicks": True},
        sent_at=None if scheduled_at else now,
        api_key_id=call.key.id if call.key else None,
    )


def check_and_stamp(call: Call, email: Email, prefix: str = "") -> None:
    """The account-level rules: key domain restriction, strict domains, suppression, sensitive data."""
    assert call.key is not None
    call.account.check_sender(call.key.domain_restrictions, email.from_, param=prefix + "from")
    call.account.check_recipients(email, param=prefix + "to")
    call.account.check_sensitive_data(email, param_prefix=prefix)


def _assign_id(call: Call, email: Email) -> Email:
    email.id = call.account.entropy.new_id("email_")
    return email


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
    email = parse_email(call, call.json())
    _assign_id(call, email)
    check_and_stamp(call, email)
    call.account.store_emails([email])
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
    emails = []
    for i, item in enumerate(items):
        prefix = f"emails.{i}."
        if not isinstance(item, dict):
            raise errors.InvalidParameter("Each batch item must be an object", param=f"emails.{i}")
        emails.append(parse_email(call, item, prefix))
    for i, email in enumerate(emails):
        check_and_stamp(call, _assign_id(call, email), prefix=f"emails.{i}.")
    call.account.store_emails(emails)
    return Reply(200, {"object": "list", "data": [render_email(e) for e in emails]})


def get_email(call: Call) -> Reply:
    return Reply(200, render_email(call.account.outbox.get(call.args["email_id"])))


def list_emails(call: Call) -> Reply:
    outbox = call.account.outbox
    query = call.query
    to = query.get("to")
    positions = outbox.positions(to.strip() if to else None)
    start = query.get("from_date")
    end = query.get("to_date")
    lo = parse_date_or_timestamp(start, "from_date") if start else None
    hi = parse_date_or_timestamp(end, "to_date", end_of_day=True) if end else None
    if lo is not None or hi is not None:
        keys = _CreatedAtView(outbox)
        first = bisect_left(keys, lo) if lo is not None else 0
        last = bisect_right(keys, hi) if hi is not None else len(outbox)
        if isinstance(positions, range):
            positions = range(first, last)
        else:
            positions = positions[bisect_left(positions, first):bisect_left(positions, last)]
    status = query.get("status")
    if status is not None:
        if status not in STATUSES:
            raise errors.InvalidParameter(f"The 'status' filter must be one of: {', '.join(STATUSES)}",
                                          param="status")
        positions = [p for p in positions if outbox.at(p).status == status]
    tags = query.get("tags")
    if tags:
        wanted = {t.strip() for t in tags.split(",") if t.strip()}
        positions = [p for p in positions if wanted.intersection(outbox.at(p).tags)]
    return page_reply(call, positions, outbox.at, outbox.position, lambda e: render_email(e, full=False))


class _CreatedAtView:
    """``created_at`` of every stored email as a bisectable sequence (no copy)."""

    def __init__(self, outbox: Any) -> None:
        self._outbox = outbox

    def __len__(self) -> int:
        return len(self._outbox)

    def __getitem__(self, index: int) -> Any:
        return self._outbox.at(index).created_at


def cancel_email(call: Call) -> Reply:
    email = call.account.outbox.get(call.args["email_id"])
    with call.account.lock:
        if email.status != "scheduled":
            raise errors.NotCancellable(f"Only scheduled emails can be cancelled; this one is '{email.status}'",
                                       param="id")
        email.status = "cancelled"
    call.account.record("email.cancelled", call.actor, "email", email.id,
                        {"scheduledAt": ts(email.scheduled_at)})
    return Reply(200, render_email(email))


ROUTES = [
    Route("POST", "/emails", send_email, "emails:send"),
    Route("POST", "/emails/batch", send_batch, "emails:send"),
    Route("GET", "/emails", list_emails, "emails:list"),
    Route("GET", "/emails/<email_id>", get_email, "emails:read"),
    Route("DELETE", "/emails/<email_id>", cancel_email, "emails:delete"),
]
