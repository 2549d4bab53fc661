"""``POST /api/emails`` and ``POST /api/emails/scheduled``: one request becomes one stored email.

Validation here (422, every bad field at once); the rest is the shared send operation
(:mod:`pytest_lettr.state.sending`): quota (429) → template (404) →
sender rules (403 key domain restriction, 400 ``unconfigured_domain`` in strict-domain mode) →
suppressed recipients (dropped, counted as ``rejected``) → sensitive data → store. A sandbox
key's email goes to the key owner, from the sandbox domain, and never counts against the quota.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ...state import Email, email_limits, sending
from ...state.emails import Attachment
from ...state.sending import Draft
from ..base import Call, Reply
from ..common import filename_ok, header_name_ok, header_value_ok
from .validation import Fields, nullable_fields, parse_datetime
from .views import scheduled_view
from .wire import ok

MAX_TO = email_limits.MAX_RECIPIENTS
MAX_HEADERS = 10
TAG_MAX = email_limits.TAG_MAX
BASE64_RE = re.compile(r"^[A-Za-z0-9+/=]+$")
#: Headers the system sets itself (the spec's list); a request may not set them.
SYSTEM_HEADERS = frozenset({
    "from", "to", "cc", "bcc", "subject", "reply-to", "sender", "date", "message-id", "mime-version",
    "content-type", "content-transfer-encoding", "return-path", "x-msys-api", "list-unsubscribe",
    "list-unsubscribe-post", "dkim-signature", "received",
})
OPTIONS = ("click_tracking", "open_tracking", "transactional", "inline_css", "perform_substitutions")
#: How far ahead an email may be scheduled: at least 5 minutes, at most 30 days (the SDK's window).
SCHEDULE_MIN = timedelta(minutes=5)
SCHEDULE_MAX = timedelta(days=30)


@dataclass
class SendRequest:
    """A validated send body."""

    sender: str
    to: list[str]
    subject: str | None = None
    html: str | None = None
    text: str | None = None
    amp_html: str | None = None
    from_name: str | None = None
    cc: list[str] = field(default_factory=list)
    bcc: list[str] = field(default_factory=list)
    reply_to: str | None = None
    reply_to_name: str | None = None
    project_id: int | None = None
    template_slug: str | None = None
    template_version: int | None = None
    tag: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    substitution_data: dict[str, Any] = field(default_factory=dict)
    options: dict[str, bool] = field(default_factory=dict)
    attachments: list[Attachment] = field(default_factory=list)
    scheduled_at: datetime | None = None


def _headers(fields: Fields) -> dict[str, str]:
    value = fields.string_map("headers", max_items=MAX_HEADERS, max_value=998)
    if value is None:
        return {}
    for name, item in value.items():
        path = f"headers.{name[:64]}"
        if not header_name_ok(name):
            fields.add(path, f"'{name[:64]}' is not a valid header name.")
        elif name.lower() in SYSTEM_HEADERS:
            fields.add(path, f"The {name} header is managed by the system and cannot be set manually.")
        elif not header_value_ok(item):
            fields.add(path, "Header values must not contain line breaks.")
    return value


def _options(fields: Fields) -> dict[str, bool]:
    value = fields.mapping("options")
    if value is None:
        return {}
    result = {}
    for name in OPTIONS:
        if name not in value:
            continue
        if value[name] is None:  # the spec's options are booleans, none nullable
            fields.add(f"options.{name}", f"The options.{name} field must not be null.")
        elif isinstance(value[name], bool):
            result[name] = value[name]
        else:
            fields.add(f"options.{name}", f"The options.{name} field must be true or false.")
    return result


def _attachments(fields: Fields) -> list[Attachment]:
    if not fields.has("attachments"):
        return []
    value = fields.body["attachments"]
    if not isinstance(value, list):
        fields.add("attachments", "The attachments field must be an array.")
        return []
    found = (_attachment(fields, item, f"attachments.{index}") for index, item in enumerate(value))
    return [attachment for attachment in found if attachment is not None]


def _attachment(fields: Fields, item: Any, path: str) -> Attachment | None:
    """One attachment, or ``None`` with its errors added to ``fields`` under ``path``."""
    if not isinstance(item, dict):
        fields.add(path, f"The {path} field must be an object.")
        return None
    part = Fields(item)
    name = part.string("name", required=True, max_length=255)
    kind = part.string("type", required=True, max_length=255)
    content = _base64(part, part.string("data", required=True))
    if name is not None and not filename_ok(name):
        part.add("name", "The name field must be a file name without path separators.")
    for field_name, messages in part.errors.items():
        for message in messages:
            fields.add(f"{path}.{field_name}", message.replace(f"The {field_name} field",
                                                               f"The {path}.{field_name} field"))
    if name is None or kind is None or content is None or part.errors:
        return None
    return Attachment(name, content=content, content_type=kind)


def _base64(part: Fields, data: str | None) -> bytes | None:
    if data is None:
        return None
    try:
        if BASE64_RE.match(data):
            return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        pass
    part.add("data", "The data field must be base64 encoded (no line breaks).")
    return None


def _scheduled_at(call: Call, fields: Fields) -> datetime | None:
    if not fields.has("scheduled_at"):
        if not fields.failed("scheduled_at"):  # (a null has its own error)
            fields.add("scheduled_at", "The scheduled delivery time is required.")
        return None
    raw = fields.body["scheduled_at"]
    moment = parse_datetime(raw)
    now = call.account.clock.now()
    if moment is None:
        fields.add("scheduled_at", "The scheduled at field must be a valid date.")
    elif moment < now + SCHEDULE_MIN:
        fields.add("scheduled_at", "The scheduled delivery time must be at least 5 minutes in the future.")
    elif moment > now + SCHEDULE_MAX:
        fields.add("scheduled_at", "The scheduled delivery time must be within 30 days.")
    return moment


def _require_content(fields: Fields) -> None:
    """Something to send, and a subject unless a template gives one."""
    if not any(fields.has(name) or fields.failed(name) for name in ("html", "text", "template_slug")):
        fields.add("html", "At least one of html, text or template_slug is required.")
    if not fields.has("template_slug") and not fields.has("subject") and not fields.failed("subject"):
        fields.add("subject", "The subject field is required when template slug is not present.")


def parse_send(call: Call, body: dict[str, Any], *, scheduled: bool) -> SendRequest:
    """Validate a send (or schedule) body; raises one 422 naming every bad field."""
    fields = Fields(body, nullable_fields("ScheduleEmailRequest" if scheduled else "SendEmailRequest"))
    sender = fields.email("from", required=True)
    to = fields.emails("to", required=True, max_items=MAX_TO)
    request = SendRequest(sender or "", to)
    request.from_name = fields.string("from_name", max_length=255)
    request.subject = fields.string("subject", max_length=998)
    request.html = fields.string("html")
    request.text = fields.string("text")
    request.amp_html = fields.string("amp_html")
    request.cc = fields.emails("cc")
    request.bcc = fields.emails("bcc")
    request.reply_to = fields.email("reply_to")
    request.reply_to_name = fields.string("reply_to_name", max_length=255)
    request.project_id = fields.integer("project_id", minimum=1)
    request.template_slug = fields.string("template_slug", max_length=255, allow_empty=False)
    request.template_version = fields.integer("template_version", minimum=1)
    request.tag = fields.string("tag", max_length=TAG_MAX)
    if request.tag and (problem := email_limits.tag_problem(request.tag)):
        fields.add("tag", problem)
    request.metadata = fields.string_map("metadata") or {}
    request.headers = _headers(fields)
    request.substitution_data = fields.mapping("substitution_data") or {}
    request.options = _options(fields)
    request.attachments = _attachments(fields)
    _require_content(fields)
    if scheduled:
        request.scheduled_at = _scheduled_at(call, fields)
    draft = draft_of(request)
    for param, problem in (*email_limits.problems(draft), *email_limits.current_api_problems(draft)):
        fields.add(param, problem)
    fields.check()
    return request


def draft_of(request: SendRequest) -> Draft:
    """The neutral draft of a validated send body."""
    options = request.options
    return Draft(
        sender=request.sender, to=list(request.to), cc=list(request.cc), bcc=list(request.bcc),
        subject=request.subject, html=request.html, text=request.text, amp_html=request.amp_html,
        reply_to=request.reply_to, attachments=request.attachments, headers=dict(request.headers),
        tags=[request.tag] if request.tag else [], metadata=dict(request.metadata),
        scheduled_at=request.scheduled_at, variables=dict(request.substitution_data),
        tracking={"opens": options.get("open_tracking", True), "clicks": options.get("click_tracking", True)},
        options=dict(options),
        extra={"dialect": "api", "from_name": request.from_name, "reply_to_name": request.reply_to_name,
               "project_id": request.project_id},
        template_slug=request.template_slug, project_id=request.project_id,
        template_version=request.template_version, substitute=options.get("perform_substitutions", True),
    )


def accept(call: Call, *, scheduled: bool) -> Email:
    """Validate one email and hand it to the shared send operation; returns it stored."""
    assert call.key is not None
    request = parse_send(call, call.json(), scheduled=scheduled)
    (email,) = sending.send(call.account, call.key, call.actor, [draft_of(request)], suppressed="drop")
    return email


def send_email(call: Call) -> Reply:
    email = accept(call, scheduled=False)
    return ok("Email queued for delivery.", {"request_id": email.request_id,
                                             "accepted": email.extra["accepted"],
                                             "rejected": email.extra["rejected"]})


def schedule_email(call: Call) -> Reply:
    email = accept(call, scheduled=True)
    return ok("Email scheduled for delivery.", scheduled_view(email), status=201)
