"""``POST /api/emails`` and ``POST /api/emails/scheduled``: one request becomes one stored email.

The order of the work: quota (429) → fields (422, all at once) → template (404) → sender rules
(403 key domain restriction, 400 ``unconfigured_domain`` in strict-domain mode) → sensitive data →
suppressed recipients (counted as ``rejected``) → store. A sandbox key's email goes to the key
owner, from the sandbox domain, and never counts against the quota.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ... import errors
from ...errors import ValidationFailed
from ...permissions import sender_domain_allowed
from ...state import Email
from ...state.emails import Attachment, address_of
from ...state.sandbox import sandbox_sender
from ...state.templating import render
from ..base import Call, Reply
from .validation import Fields, parse_datetime
from .views import scheduled_view
from .wire import ok

MAX_TO = 50
MAX_HEADERS = 10
TAG_MAX = 64
HEADER_NAME_RE = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$")
BASE64_RE = re.compile(r"^[A-Za-z0-9+/=]+$")
#: Headers the system sets itself (the spec's list); a request may not set them.
SYSTEM_HEADERS = frozenset({
    "from", "to", "cc", "bcc", "subject", "reply-to", "sender", "date", "message-id", "mime-version",
    "content-type", "content-transfer-encoding", "return-path", "x-msys-api", "list-unsubscribe",
    "list-unsubscribe-post",
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
        if not HEADER_NAME_RE.match(name):
            fields.add(path, f"'{name[:64]}' is not a valid header name.")
        elif name.lower() in SYSTEM_HEADERS:
            fields.add(path, f"The {name} header is managed by the system and cannot be set manually.")
        elif any(c in item for c in "\r\n\x00"):
            fields.add(path, "Header values must not contain line breaks.")
    return value


def _options(fields: Fields) -> dict[str, bool]:
    value = fields.mapping("options")
    if value is None:
        return {}
    result = {}
    for name in OPTIONS:
        if name in value and value[name] is not None:
            if isinstance(value[name], bool):
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
    result = []
    for index, item in enumerate(value):
        path = f"attachments.{index}"
        if not isinstance(item, dict):
            fields.add(path, f"The {path} field must be an object.")
            continue
        part = Fields(item)
        name = part.string("name", required=True, max_length=255)
        kind = part.string("type", required=True, max_length=255)
        data = part.string("data", required=True)
        content = None
        if data is not None:
            if not BASE64_RE.match(data):
                part.add("data", "The data field must be base64 encoded (no line breaks).")
            else:
                try:
                    content = base64.b64decode(data, validate=True)
                except (binascii.Error, ValueError):
                    part.add("data", "The data field must be base64 encoded (no line breaks).")
        if name is not None and ("/" in name or "\\" in name or any(ord(c) < 32 for c in name)):
            part.add("name", "The name field must be a file name without path separators.")
        for field_name, messages in part.errors.items():
            for message in messages:
                fields.add(f"{path}.{field_name}", message.replace(f"The {field_name} field",
                                                                   f"The {path}.{field_name} field"))
        if name is not None and kind is not None and content is not None and not part.errors:
            result.append(Attachment(name, content=content, content_type=kind))
    return result


def parse_send(call: Call, body: dict[str, Any], *, scheduled: bool) -> SendRequest:
    """Validate a send (or schedule) body; raises one 422 naming every bad field."""
    fields = Fields(body)
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
    request.metadata = fields.string_map("metadata") or {}
    request.headers = _headers(fields)
    request.substitution_data = fields.mapping("substitution_data") or {}
    request.options = _options(fields)
    request.attachments = _attachments(fields)
    if not any(fields.has(name) for name in ("html", "text", "template_slug")) \
            and not any(fields.failed(name) for name in ("html", "text", "template_slug")):
        fields.add("html", "At least one of html, text or template_slug is required.")
    if not fields.has("template_slug") and not fields.has("subject") and not fields.failed("subject"):
        fields.add("subject", "The subject field is required when template slug is not present.")
    if scheduled:
        raw = body.get("scheduled_at")
        if raw is None:
            fields.add("scheduled_at", "The scheduled delivery time is required.")
        else:
            moment = parse_datetime(raw)
            now = call.account.clock.now()
            if moment is None:
                fields.add("scheduled_at", "The scheduled at field must be a valid date.")
            elif moment < now + SCHEDULE_MIN:
                fields.add("scheduled_at", "The scheduled delivery time must be at least 5 minutes in the future.")
            elif moment > now + SCHEDULE_MAX:
                fields.add("scheduled_at", "The scheduled delivery time must be within 30 days.")
            request.scheduled_at = moment
    fields.check()
    return request


@dataclass
class Content:
    subject: str
    html: str | None
    text: str | None
    amp_html: str | None
    template_id: str | None = None
    template_version: int | None = None


def resolve_content(call: Call, request: SendRequest) -> Content:
    """The subject and bodies to send: the template's (404 if unknown), then substitutions."""
    subject, html, text, amp = request.subject, request.html, request.text, request.amp_html
    template_id = version_number = None
    if request.template_slug is not None:
        library = call.account.templates
        project = library.project(request.project_id)
        template = library.get(project, request.template_slug)
        version = template.active if request.template_version is None else \
            template.version(request.template_version)
        if version is None:
            raise errors.TemplateNotFound(f"Template version {request.template_version} was not found.",
                                          param="template_version")
        if template.purpose != "transactional":
            raise ValidationFailed({"template_slug": ["Only transactional templates can be sent as single emails."]})
        if version.html is None:
            raise ValidationFailed({"template_slug": ["The template has no rendered HTML content to send."]})
        html = version.html
        subject = subject if subject is not None else (template.subject or template.name)
        template_id, version_number = template.slug, version.number
    if request.options.get("perform_substitutions", True):
        data = request.substitution_data
        subject = render(subject, data) if subject is not None else None
        html = render(html, data, html=True) if html is not None else None
        text = render(text, data) if text is not None else None
        amp = render(amp, data, html=True) if amp is not None else None
    return Content(subject or "", html, text, amp, template_id, version_number)


def build_email(call: Call, request: SendRequest, content: Content) -> Email:
    """The email to store (not yet checked against the account's rules)."""
    assert call.key is not None
    now = call.account.clock.now()
    options = request.options
    extra: dict[str, Any] = {
        "dialect": "api", "from_name": request.from_name, "reply_to_name": request.reply_to_name,
        "amp_html": content.amp_html, "template_version": content.template_version,
        "project_id": request.project_id,
    }
    email = Email(
        id=call.account.entropy.new_id("email_"),
        from_=request.sender,
        to=list(request.to),
        subject=content.subject,
        html=content.html,
        text=content.text,
        created_at=now,
        status="scheduled" if request.scheduled_at else "sent",
        cc=list(request.cc),
        bcc=list(request.bcc),
        reply_to=request.reply_to,
        attachments=request.attachments,
        headers=dict(request.headers),
        tags=[request.tag] if request.tag else ([content.template_id] if content.template_id else []),
        metadata=dict(request.metadata),
        scheduled_at=request.scheduled_at,
        template_id=content.template_id,
        variables=dict(request.substitution_data),
        tracking={"opens": options.get("open_tracking", True), "clicks": options.get("click_tracking", True)},
        sent_at=None if request.scheduled_at else now,
        api_key_id=call.key.id,
        sandbox=call.key.sandbox,
        options=dict(options),
        extra=extra,
    )
    if request.scheduled_at:
        email.request_id = "sch_" + call.account.entropy.stream("request_ids").token(24)
    else:
        email.request_id = str(call.account.entropy.stream("request_ids").randint(10**19, 10**20 - 1))
    return email


def _apply_sandbox(call: Call, email: Email) -> None:
    """Recipients → the key owner; sender domain → the sandbox domain (originals kept in ``extra``)."""
    assert call.key is not None
    owner = call.key.owner_email
    if not owner:
        raise errors.SendError("Sandbox API key does not have an associated user with an email address.")
    email.extra["original_recipients"] = {"to": email.to, "cc": email.cc, "bcc": email.bcc}
    email.extra["original_from"] = email.from_
    email.to, email.cc, email.bcc = [owner], [], []
    email.from_ = sandbox_sender(email.from_, call.account.sandbox.policy.domain)


def _reject_suppressed(call: Call, email: Email) -> tuple[int, int]:
    """Drop suppressed recipients (they count as ``rejected``); all suppressed → status ``suppressed``."""
    suppressed = call.account.suppressions
    rejected = [a for a in email.recipients if address_of(a) in suppressed]
    if rejected and len(rejected) < len(email.recipients):
        email.to = [a for a in email.to if address_of(a) not in suppressed]
        email.cc = [a for a in email.cc if address_of(a) not in suppressed]
        email.bcc = [a for a in email.bcc if address_of(a) not in suppressed]
    elif rejected:
        email.status, email.sent_at = "suppressed", None
    email.extra["rejected_recipients"] = rejected
    accepted = 0 if email.status == "suppressed" else len(email.recipients)
    email.extra["accepted"], email.extra["rejected"] = accepted, len(rejected)
    return accepted, len(rejected)


def accept(call: Call, *, scheduled: bool) -> Email:
    """Validate, render, check and store one email; returns it."""
    assert call.key is not None
    account = call.account
    if not call.key.sandbox:
        account.quota.check(1)
    request = parse_send(call, call.json(), scheduled=scheduled)
    content = resolve_content(call, request)
    email = build_email(call, request, content)
    if call.key.sandbox:  # no domain verification needed, but the key's own restriction still holds
        domain = address_of(request.sender).rpartition("@")[2]
        if not sender_domain_allowed(call.key.domain_restrictions, domain):
            raise errors.Forbidden(f"API key is not allowed to send from domain '{domain}'",
                                   restriction="domain", param="from")
        _apply_sandbox(call, email)
    else:
        account.check_sender(call.key.domain_restrictions, email.from_)
    account.check_sensitive_data(email)
    _reject_suppressed(call, email)
    account.store_emails([email])
    account.record("email.scheduled" if scheduled else "email.sent", call.actor, "email", email.id, {
        "requestId": email.request_id, "recipients": len(email.recipients), "sandbox": email.sandbox,
        "templateSlug": email.template_id})
    return email


def send_email(call: Call) -> Reply:
    email = accept(call, scheduled=False)
    return ok("Email queued for delivery.", {"request_id": email.request_id,
                                             "accepted": email.extra["accepted"],
                                             "rejected": email.extra["rejected"]})


def schedule_email(call: Call) -> Reply:
    email = accept(call, scheduled=True)
    return ok("Email scheduled for delivery.", scheduled_view(email), status=201)
