"""Sending, scheduling and cancelling: the one operation every intake calls.

An intake (the ``/v1`` or ``/api`` dialect, and later SMTP) validates its own wire format into
:class:`Draft` objects and hands them to :func:`send`, which applies the account's rules in their
documented order, mints ids, stores the emails, audits and announces them::

    drafts = [Draft(sender="app@example.com", to=["ada@example.com"], subject="Hi", text="Hello")]
    (email,) = send(account, key, actor, drafts)
    email.status, email.request_id.isdigit()          # ('sent', True)
    cancel(account, actor, scheduled_email)           # raises NotCancellable unless 'scheduled'

The order: the documented limits of an email (:mod:`~pytest_lettr.state.email_limits`) → quota
(429) → the template (404) and merge tags → for each email: the key's sender-domain restriction
(403) → the sandbox rewrite for a sandbox key, else the verified-domain rule (400) → suppressed
recipients (refused, or dropped and counted as ``rejected``) → sensitive data → store all →
``email.sent`` / ``email.scheduled`` audit entries → ``email.sent`` events, and a policy rejection
for each dropped recipient. Nothing is stored
unless every email passes.

Content that cannot be generated (a missing snippet, a broken ``{{if}}``, see
:mod:`~pytest_lettr.state.templating`) does not refuse the send: the email is stored as ``failed``
and announced with an ``email.generation_failed`` event (``generation_failure`` on the current
API), as Lettr reports a generation failure.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from ..clock import isoformat_or_none
from ..errors import Forbidden, LettrError, NotCancellable, SendError, Suppressed
from ..permissions import sender_domain_allowed
from . import email_limits, tracking
from .emails import Attachment, Email, address_of
from .lifecycle import reject_suppressed
from .sandbox import sandbox_sender
from .templating import TemplateError, inline_css, recipient_fields, render

if TYPE_CHECKING:
    from .account import Account
    from .audit import Actor
    from .keys import ApiKey

#: What happens to a suppressed recipient: the send is refused (v1: 400 ``suppressed``), or the
#: recipient is dropped and counted as ``rejected`` (the current API).
SuppressedRecipients = Literal["refuse", "drop"]
_T = TypeVar("_T")


@dataclass
class Draft:
    """One email as an intake validated it, before the account's rules (no id yet).

    ``extra`` carries what only one wire shows (the current API's ``from_name``, ``amp_html``, ...).
    """

    sender: str
    to: list[str]
    subject: str | None = None
    html: str | None = None
    text: str | None = None
    cc: list[str] = field(default_factory=list)
    bcc: list[str] = field(default_factory=list)
    reply_to: str | None = None
    attachments: list[Attachment] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)
    scheduled_at: datetime | None = None
    template_id: str | None = None
    variables: dict[str, Any] = field(default_factory=dict)
    tracking: dict[str, bool] = field(default_factory=lambda: {"opens": True, "clicks": True})
    options: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    amp_html: str | None = None
    #: A stored template to send (the current API's ``template_slug``), its project and version.
    template_slug: str | None = None
    project_id: int | None = None
    template_version: int | None = None
    #: Render ``{{merge tags}}`` of subject and bodies with ``variables``.
    substitute: bool = False


@dataclass(frozen=True)
class _Content:
    subject: str | None
    html: str | None
    text: str | None
    amp_html: str | None
    template_id: str | None
    template_version: int | None
    failure: str | None = None


def send(account: Account, key: ApiKey, actor: Actor, drafts: Sequence[Draft], *,
         suppressed: SuppressedRecipients = "refuse") -> list[Email]:
    """Check, store, audit and announce ``drafts`` as one unit; returns the stored emails.

    An error names the field to blame in ``param``; with several drafts, ``error.extra["item"]``
    is the index of the draft that failed.
    """
    _each(drafts, lambda draft: email_limits.check(account, draft))
    if not key.sandbox:
        account.quota.check(sum(len(draft.to) + len(draft.cc) + len(draft.bcc) for draft in drafts))
    emails = [_email(account, key, draft) for draft in drafts]
    _each(emails, lambda email: _apply_rules(account, key, email, suppressed))
    for email in emails:
        tracking.deliver(account, email)
    account.store_emails(emails)
    for email in emails:
        account.record("email.scheduled" if email.status == "scheduled" else "email.sent", actor, "email",
                       email.id, {"request_id": email.request_id, "recipients": len(email.recipients),
                                  "sandbox": email.sandbox, "template_slug": email.template_id})
        reject_suppressed(account, email)
    _announce_generation_failures(account, emails)
    return emails


def _announce_generation_failures(account: Account, emails: list[Email]) -> None:
    for email in emails:
        if email.status == "failed":
            account.emit("email.generation_failed", email, {
                "email_id": email.id, "to": email.to[0] if email.to else None,
                "reason": email.extra["generation_failure"], "error_code": "500"},
                api_type="generation_failure")


def cancel(account: Account, actor: Actor, email: Email) -> Email:
    """Cancel a scheduled email (``cancelled``); anything else raises :class:`NotCancellable`."""
    with account.lock:
        if email.status != "scheduled":
            raise NotCancellable(f"Only scheduled emails can be cancelled; this one is '{email.status}'",
                                 param="id")
        email.status = "cancelled"
    account.record("email.cancelled", actor, "email", email.id,
                   {"request_id": email.request_id, "scheduled_at": isoformat_or_none(email.scheduled_at)})
    return email



# -- the steps ----------------------------------------------------------------------------------
def _each(items: Sequence[_T], check: Callable[[_T], None]) -> None:
    """Run ``check`` on every item; in a batch, a refusal names the item (``error.extra["item"]``)."""
    for index, item in enumerate(items):
        try:
            check(item)
        except LettrError as error:
            if len(items) > 1:
                error.extra["item"] = index
            raise


def _content(account: Account, draft: Draft) -> _Content:
    """Subject and bodies to send: the stored template's (404 if unknown), then merge tags."""
    subject, html, text, amp = draft.subject, draft.html, draft.text, draft.amp_html
    template_id, version_number = draft.template_id, None
    if draft.template_slug is not None:
        template, version = account.templates.sendable(draft.project_id, draft.template_slug, draft.template_version)
        html = version.html
        subject = subject if subject is not None else (template.subject or template.name)
        template_id, version_number = template.slug, version.number
    try:
        subject, html, text, amp = _generate(account, draft, (subject, html, text, amp))
    except TemplateError as error:  # stored as written, and reported as a generation failure
        return _Content(subject, html, text, amp, template_id, version_number, failure=str(error))
    return _Content(subject, html, text, amp, template_id, version_number)


_Parts = tuple[str | None, str | None, str | None, str | None]


def _generate(account: Account, draft: Draft, parts: _Parts) -> _Parts:
    """Merge tags in subject, HTML, text and AMP; then ``options.inline_css`` on the HTML."""
    subject, html, text, amp = parts
    if draft.substitute:
        first = draft.to[0] if draft.to else ""
        data = {**recipient_fields(address_of(first), _display_name(first), sender=address_of(draft.sender)),
                **draft.variables}
        snippets = account.templates.snippets

        def part(source: str | None, name: str) -> str | None:
            return render(source, data, part=name, snippets=snippets) if source is not None else None

        subject, html, text, amp = part(subject, "text"), part(html, "html"), part(text, "text"), part(amp, "amp_html")
    if html is not None and draft.options.get("inline_css"):
        html = inline_css(html)
    return subject, html, text, amp


def _display_name(mailbox: str) -> str | None:
    """``"Ada <ada@example.com>"`` → ``"Ada"``; a bare address has no name."""
    name = mailbox.partition("<")[0].strip().strip('"') if "<" in mailbox else ""
    return name or None


def _email(account: Account, key: ApiKey, draft: Draft) -> Email:
    """The email to store, with its ids minted (the rules are not checked yet)."""
    content = _content(account, draft)
    now = account.clock.now()
    scheduled = draft.scheduled_at is not None
    ids = account.entropy.stream("request_ids")
    request_id = "sch_" + ids.token(24) if scheduled else str(ids.randint(10**19, 10**20 - 1))
    return Email(
        id=account.entropy.new_id("email_"),
        from_=draft.sender,
        to=list(draft.to),
        subject=content.subject,
        html=content.html,
        text=content.text,
        created_at=now,
        status="failed" if content.failure else "scheduled" if scheduled else "sent",
        cc=list(draft.cc),
        bcc=list(draft.bcc),
        reply_to=draft.reply_to,
        attachments=list(draft.attachments),
        headers=dict(draft.headers),
        tags=list(draft.tags) or ([content.template_id] if draft.template_slug and content.template_id else []),
        metadata=dict(draft.metadata),
        scheduled_at=draft.scheduled_at,
        template_id=content.template_id,
        variables=dict(draft.variables),
        tracking=dict(draft.tracking),
        sent_at=None if scheduled or content.failure else now,
        api_key_id=key.id,
        request_id=request_id,
        sandbox=key.sandbox,
        options=dict(draft.options),
        extra={**draft.extra, "amp_html": content.amp_html, "template_version": content.template_version,
               **({"generation_failure": content.failure} if content.failure else {})},
    )


def _apply_rules(account: Account, key: ApiKey, email: Email, suppressed: SuppressedRecipients) -> None:
    domain = address_of(email.from_).rpartition("@")[2]
    if not sender_domain_allowed(key.domain_restrictions, domain):
        raise Forbidden(f"API key is not allowed to send from domain '{domain}'", restriction="domain",
                        param="from")
    if key.sandbox:  # no domain verification needed: the sandbox domain sends
        _rewrite_for_sandbox(account, key, email)
    else:
        account.check_sender_domain(domain)
    if suppressed == "refuse":
        _refuse_suppressed(account, email)
    else:
        _drop_suppressed(account, email)
    account.check_sensitive_data(email)


def _rewrite_for_sandbox(account: Account, key: ApiKey, email: Email) -> None:
    """Recipients → the key owner; sender domain → the sandbox domain (originals kept in ``extra``)."""
    if not key.owner_email:
        raise SendError("Sandbox API key does not have an associated user with an email address.")
    email.extra["original_recipients"] = {"to": email.to, "cc": email.cc, "bcc": email.bcc}
    email.extra["original_from"] = email.from_
    email.to, email.cc, email.bcc = [key.owner_email], [], []
    email.from_ = sandbox_sender(email.from_, account.sandbox.policy.domain)


def _refuse_suppressed(account: Account, email: Email) -> None:
    for recipient in email.recipients:
        if address_of(recipient) in account.suppressions:
            raise Suppressed(f"Recipient '{recipient}' is on the suppression list", param="to")
    _count(email, [])


def _drop_suppressed(account: Account, email: Email) -> None:
    """Suppressed recipients are dropped (``rejected``); all suppressed → status ``suppressed``."""
    listed = account.suppressions

    def kept(addresses: list[str]) -> list[str]:
        return [a for a in addresses if address_of(a) not in listed]

    rejected = [a for a in email.recipients if address_of(a) in listed]
    if rejected and len(rejected) < len(email.recipients):
        email.to, email.cc, email.bcc = kept(email.to), kept(email.cc), kept(email.bcc)
    elif rejected:
        email.status, email.sent_at = "suppressed", None
    _count(email, rejected)


def _count(email: Email, rejected: list[str]) -> None:
    email.extra["rejected_recipients"] = rejected
    email.extra["accepted"] = 0 if email.status == "suppressed" else len(email.recipients)
    email.extra["rejected"] = len(rejected)


__all__ = ["Draft", "SuppressedRecipients", "cancel", "send"]
