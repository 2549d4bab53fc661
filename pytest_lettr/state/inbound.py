"""Inbound mail: the account's inbound domains, the messages they received and their relay events.

An intake (the SMTP listener without ``AUTH``, or ``LettrServer.receive``) parses a message into
:class:`InboundMail` objects, one per envelope recipient, and calls :meth:`InboundStore.receive`::

    account.inbound.add_domain("in.example.com")                       # verified: MX records found
    (message,) = account.inbound.receive(mail)                          # relay.relay_injection
    message.events    # ['relay.relay_injection', 'relay.relay_delivery'] once a webhook took it

Each current-API webhook subscribed to ``relay.relay_delivery`` gets the ``relay_message`` body
(:mod:`pytest_lettr.webhooks.relay`) through the delivery engine, with its retries: an attempt
answered 2xx records ``relay.relay_delivery``, a failed one ``relay.relay_tempfail`` while a retry
is due and ``relay.relay_permfail`` when none is left. Mail for an address of no verified inbound
domain is refused and recorded as ``relay.relay_rejection``. Attachments are served at URLs that
expire 24 hours after receipt, on the account clock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from ..errors import Conflict, NotFound
from ..webhooks.relay import RelayAttachment, RelayContent, RelayMessage, relay_body

if TYPE_CHECKING:
    from ..webhooks.delivery import Attempt, Delivery
    from .account import Account

#: The MX records an inbound domain needs (all three, priority 10).
MX_RECORDS = ("rx1.sparkpostmail.com", "rx2.sparkpostmail.com", "rx3.sparkpostmail.com")
ATTACHMENT_LIFETIME = timedelta(hours=24)
RELAY_DELIVERY = "relay.relay_delivery"
#: The path attachment URLs are served under.
ATTACHMENT_PATH = "/inbound/attachments/"


@dataclass
class InboundDomain:
    id: str
    name: str
    created_at: datetime
    mx_found: bool

    @property
    def status(self) -> str:
        """``valid`` once every MX record is found, else ``unverified``."""
        return "valid" if self.mx_found else "unverified"


@dataclass(frozen=True)
class InboundAttachment:
    filename: str
    content_type: str
    content: bytes = field(repr=False)


@dataclass(frozen=True)
class InboundMail:
    """One received message for one envelope recipient, as the intake parsed it."""

    raw: bytes = field(repr=False)
    mail_from: str
    rcpt_to: str
    friendly_from: str
    subject: str | None
    text: str | None
    html: str | None
    headers: list[tuple[str, str]]
    to: list[str]
    cc: list[str]
    attachments: list[InboundAttachment] = field(default_factory=list)


@dataclass(frozen=True)
class RelayEvent:
    type: str
    at: datetime
    webhook_id: str | None = None
    detail: str | None = None


@dataclass(eq=False)
class InboundMessage:
    id: str
    mail: InboundMail
    received_at: datetime
    attachment_urls: list[str]
    relay_events: list[RelayEvent] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list, repr=False)

    @property
    def events(self) -> list[str]:
        return [event.type for event in self.relay_events]


@dataclass(frozen=True)
class _Served:
    attachment: InboundAttachment
    expires_at: datetime


class InboundStore:
    """The inbound domains, received messages and refusals of one account."""

    def __init__(self, account: Account) -> None:
        self.account = account
        self.customer_id = str(account.entropy.stream("customer_ids").randint(1000, 999999))
        self.domains: dict[str, InboundDomain] = {}
        self.messages: list[InboundMessage] = []
        self.rejections: list[RelayEvent] = []
        #: Where attachment URLs point (the server sets it to its own URL).
        self.url_of: Callable[[], str] = lambda: "http://127.0.0.1"
        self._files: dict[str, _Served] = {}
        self._lock = threading.RLock()

    # -- domains ------------------------------------------------------------------------------
    def add_domain(self, name: str, verified: bool = True) -> InboundDomain:
        name = name.strip().lower().rstrip(".")
        with self._lock:
            if name in self.domains:
                raise Conflict(f"Inbound domain '{name}' already exists", param="name")
            domain = InboundDomain(self.account.entropy.new_id("ind_"), name, self.account.clock.now(), verified)
            self.domains[name] = domain
        return domain

    def set_mx(self, name: str, found: bool) -> InboundDomain:
        """Publish (``found=True``) or break the domain's MX records."""
        domain = self.domains.get(name.strip().lower())
        if domain is None:
            raise NotFound(f"No inbound domain '{name}'")
        domain.mx_found = found
        return domain

    def accepts(self, address: str) -> bool:
        """Mail for ``address`` reaches the account: its domain is a valid inbound domain."""
        domain = self.domains.get(address.rpartition("@")[2].lower())
        return domain is not None and domain.mx_found

    def reject(self, address: str, reason: str) -> RelayEvent:
        event = RelayEvent("relay.relay_rejection", self.account.clock.now(), detail=f"{address}: {reason}")
        with self._lock:
            self.rejections.append(event)
        return event

    # -- receiving -------------------------------------------------------------------------------
    def receive(self, mails: list[InboundMail]) -> list[InboundMessage]:
        """Take every mail whose recipient is on a valid inbound domain and relay it to the webhooks;
        the others are refused (``relay_rejection``). Returns the messages taken."""
        taken = []
        for mail in mails:
            if self.accepts(mail.rcpt_to):
                taken.append(self._take(mail))
            else:
                self.reject(mail.rcpt_to, "not a verified inbound domain of this account")
        return taken

    def _take(self, mail: InboundMail) -> InboundMessage:
        now = self.account.clock.now()
        message = InboundMessage(self.account.entropy.new_id("inb_"), mail, now,
                                 [self._serve(a, now) for a in mail.attachments])
        message.relay_events.append(RelayEvent("relay.relay_injection", now))
        with self._lock:
            self.messages.append(message)
        self._relay(message)
        return message

    def _relay(self, message: InboundMessage) -> None:
        webhooks = [w for w in self.account.api_webhooks.all() if w.receives(RELAY_DELIVERY)]
        relayed = self._relay_message(message)
        for webhook in webhooks:
            event_id = self.account.entropy.new_id("evt_")
            message.deliveries.append(self.account.api_webhooks.deliver(
                webhook, relay_body(relayed, webhook.id), event_id, RELAY_DELIVERY,
                on_attempt=lambda delivery, attempt: self._after(message, delivery, attempt)))

    def _after(self, message: InboundMessage, delivery: Delivery, attempt: Attempt) -> None:
        if attempt.succeeded:
            kind = RELAY_DELIVERY
        else:
            kind = "relay.relay_tempfail" if delivery.status == "pending" else "relay.relay_permfail"
        detail = None if attempt.succeeded else (attempt.error or f"HTTP {attempt.response_code}")
        with self._lock:
            message.relay_events.append(RelayEvent(kind, attempt.attempted_at, delivery.webhook_id, detail))

    def _relay_message(self, message: InboundMessage) -> RelayMessage:
        mail = message.mail
        attachments = [RelayAttachment(a.filename, a.content_type, len(a.content), url)
                       for a, url in zip(mail.attachments, message.attachment_urls, strict=True)]
        content = RelayContent(mail.subject, mail.text, mail.html, list(mail.headers), list(mail.to), list(mail.cc),
                               mail.raw.decode("utf-8", "replace"), attachments)
        return RelayMessage(mail.mail_from, mail.rcpt_to, mail.friendly_from, self.customer_id, content)

    # -- attachments ------------------------------------------------------------------------------
    def _serve(self, attachment: InboundAttachment, now: datetime) -> str:
        token = self.account.entropy.stream("inbound_files").token(32)
        with self._lock:
            self._files[token] = _Served(attachment, now + ATTACHMENT_LIFETIME)
        return f"{self.url_of()}{ATTACHMENT_PATH}{token}"

    def attachment(self, token: str) -> tuple[InboundAttachment, bool] | None:
        """``(attachment, expired)`` behind a URL token, or ``None`` for an unknown token."""
        served = self._files.get(token)
        if served is None:
            return None
        return served.attachment, self.account.clock.now() >= served.expires_at


__all__ = ["ATTACHMENT_PATH", "MX_RECORDS", "InboundAttachment", "InboundDomain", "InboundMail", "InboundMessage",
           "InboundStore", "RelayEvent"]
