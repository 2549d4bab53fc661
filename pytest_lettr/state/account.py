"""One Lettr account: the single source of truth both dialects and all fixtures read.

An account is cheap to make; the server swaps in a fresh one for every test.

>>> account = Account(seed="42:test_example")
>>> account.admin_key.key.startswith("le_")
True
>>> len(account.outbox), account.settings.plan
(0, 'pro')
"""

from __future__ import annotations

import heapq
import threading
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..clock import Clock
from ..errors import InvalidDomain, InvalidParameter, InvalidSender, SensitiveData
from ..modes import SENSITIVE_DATA_MODES as SENSITIVE_DATA_MODES  # re-exported; defined there
from ..randomness import Entropy
from ..webhooks.delivery import DeliveryEngine
from .api_webhooks import ApiWebhookStore
from .audience import Audience
from .audit import Actor, AuditLog
from .campaigns import CampaignStore
from .domains import Domains, is_domain_name
from .emails import Email, Outbox
from .event_index import EventIndex
from .inbound import InboundStore
from .keys import CreatedKey, KeyStore
from .limits import TEAM_LIMIT, AuthLockout, IdempotencyStore, RateLimiter
from .quota import Quota
from .sandbox import Sandbox
from .team import Member, Team, TeamSettings
from .templates import TemplateLibrary
from .tracking import TrackingLinks
from .webhooks import WebhookStore


@dataclass(frozen=True, slots=True)
class Event:
    """Something that happened to an email (or the account).

    ``data`` names its fields in snake_case (``email_id``, ``bounce_type``, ``next_retry_at``) and
    holds times as datetimes; each wire renders it (:mod:`pytest_lettr.webhooks.payloads`). Its
    ``metadata``, if any, is the email's own, keys as the user wrote them. ``api_type`` is the
    current API's event type when the producer settled it (``initial_open``, ``out_of_band``, ...).
    """

    id: str
    type: str
    created_at: datetime
    data: dict[str, Any]
    email_id: str | None = None
    api_type: str | None = None


@dataclass
class AccountOptions:
    """Per-account switches a test sets through the marker or the server."""

    strict_domains: bool = True
    #: Sending domains the account starts with, verified (a user's own, as Lettr would have them).
    domains: tuple[str, ...] = ()
    sensitive_data: str = "warn"
    plan: str = "pro"
    owner_email: str | None = None
    #: Enforce every documented limit at once: the team's 3 requests a second, the auth-failure
    #: lockout and the sandbox keys' windows (their headers are sent either way).
    enforce_limits: bool = False


class Account:
    """Keys, team, emails, domains, webhooks, audit log and events of one Lettr account."""

    def __init__(self, seed: int | str | None = None, clock: Clock | None = None,
                 options: AccountOptions | None = None, admin_key: str | None = None,
                 faker: Any = None) -> None:
        self.clock = clock or Clock()
        self.entropy = Entropy(seed, faker)
        self.options = options or AccountOptions()
        self.lock = threading.RLock()
        self.audit = AuditLog(self.clock, self.entropy)
        self.keys = KeyStore(self.clock, self.entropy, self.audit)
        self.outbox = Outbox()
        self.rate_limiter = RateLimiter(self.clock)
        self.team_rate_limiter = RateLimiter(self.clock, TEAM_LIMIT)
        self.auth_lockout = AuthLockout(self.clock)
        self.idempotency = IdempotencyStore(self.clock)
        self.settings = TeamSettings(plan=self.options.plan)
        self.members: dict[str, Member] = {}
        self.suppressions: set[str] = set()
        #: Recipient domains a test declared to have no mail records (see ``email_limits``).
        self.unroutable_domains: set[str] = set()
        self.events: list[Event] = []
        #: ``events`` by what the current API's events list filters on, kept as they are recorded.
        self.event_index = EventIndex(self.events, self.outbox)
        self.event_listeners: list[Callable[[Event], None]] = []
        self.event_listeners.append(self.outbox.on_event)  # first: stats count before webhooks go out
        self.permissions_used: dict[str, set[str]] = {}
        self._scheduled: list[tuple[datetime, int, str]] = []
        # Every store exists from the start (none is made on first use), so what a seed gives
        # never depends on the order in which a test touches them.
        self.team = Team(self)
        self.domains = Domains(self)
        self.delivery_engine = DeliveryEngine(self.clock, lambda: self.entropy.new_id("del_"))
        self.webhooks = WebhookStore(self)
        self.api_webhooks = ApiWebhookStore(self)
        self.templates = TemplateLibrary(self)
        self.quota = Quota(self)
        self.sandbox = Sandbox(self)
        self.inbound = InboundStore(self)
        self.audience = Audience(self)
        self.campaigns = CampaignStore(self)
        self.tracking = TrackingLinks(self)
        #: Where links the fake puts in emails (double opt-in, unsubscribe) point: the server sets it.
        self.link_base = "http://127.0.0.1"
        for name in self.options.domains:
            self.domains.create(name, verified=True)
        self.clock.on_advance(self.tick)  # clock.advance() runs what has come due
        owner_email = self.options.owner_email or self.entropy.faker.unique.company_email()
        owner = Member(
            id=self.entropy.new_id("mem_"),
            email=owner_email,
            name=f"{self.entropy.faker.first_name()} {self.entropy.faker.last_name()}",
            role="owner",
            status="active",
            created_at=self.clock.now(),
            two_factor_enabled=True,
        )
        self.members[owner.id] = owner
        self.admin_key: CreatedKey = self.keys.create("Admin key", ("*",), raw_key=admin_key,
                                                      owner_email=owner.email)

    def tick(self) -> None:
        """Run every time effect that has come due: scheduled emails and campaigns go out, webhook
        retries run.

        Every intake calls it before serving a request, and the clock after every move.
        """
        self.release_scheduled()
        self.campaigns.release_due()
        self.delivery_engine.run_due()

    # -- members -----------------------------------------------------------------------------
    @property
    def owner(self) -> Member:
        return next(m for m in self.members.values() if m.role == "owner")

    # -- sending -----------------------------------------------------------------------------
    def check_sender_domain(self, domain: str) -> None:
        """The sender's domain must be a domain name (:class:`InvalidDomain`) and a verified domain
        of the account (:class:`InvalidSender`) — unless strict-domain mode is off."""
        if not self.options.strict_domains:
            return
        if not is_domain_name(domain):
            raise InvalidDomain(f"The sender domain of '{domain[:253]}' could not be determined", param="from")
        if not self.domains.is_verified(domain):
            raise InvalidSender(f"Sender domain '{domain}' is not a verified domain of this account",
                                param="from")

    def check_sensitive_data(self, email: Email) -> None:
        """The security guide's "no sensitive data in email content or metadata" rule."""
        mode = self.options.sensitive_data
        if mode == "off":
            return
        from ..guard import LettrSensitiveDataWarning, scan_email

        findings = scan_email(email.subject, email.html, email.text, email.metadata)
        if not findings:
            return
        if mode == "error":
            first = findings[0]
            raise SensitiveData(
                f"The '{first.field}' field looks like it carries sensitive data ({first.rule}): "
                "never put secrets in email content or metadata",
                param=first.field,
            )
        for finding in findings:
            warnings.warn(
                LettrSensitiveDataWarning(
                    f"email {email.id}: '{finding.field}' looks like it carries sensitive data "
                    f"({finding.rule}: {finding.excerpt})"
                ),
                stacklevel=2,
            )

    def store_emails(self, emails: list[Email]) -> None:
        """Store already-checked emails and announce them (``email.sent``)."""
        with self.lock:
            for email in emails:
                self.outbox.add(email)
                if email.status == "scheduled" and email.scheduled_at is not None:
                    heapq.heappush(self._scheduled, (email.scheduled_at, len(self.outbox), email.id))
        for email in emails:
            if email.status == "sent":
                self.emit("email.sent", email, self.sent_event_data(email))

    @staticmethod
    def sent_event_data(email: Email) -> dict[str, Any]:
        return {"email_id": email.id, "from": email.from_, "to": list(email.to),
                "subject": email.subject, "sent_at": email.sent_at or email.created_at}

    def release_scheduled(self) -> None:
        """Send every scheduled email whose time has come (part of :meth:`tick`)."""
        now = self.clock.now()
        due: list[Email] = []
        with self.lock:
            while self._scheduled and self._scheduled[0][0] <= now:
                _, _, email_id = heapq.heappop(self._scheduled)
                position = self.outbox.position(email_id)  # None: deleted while it waited
                email = self.outbox.at(position) if position is not None else None
                if email is not None and email.status == "scheduled":
                    email.status, email.sent_at = "sent", email.scheduled_at
                    due.append(email)
        for email in due:
            self.emit("email.sent", email, self.sent_event_data(email))

    # -- events ------------------------------------------------------------------------------
    def emit(self, event_type: str, email: Email | None, data: Mapping[str, Any], *,
             api_type: str | None = None) -> Event:
        """Record an event (with the email's metadata) and hand it to every listener."""
        payload = dict(data)
        if email is not None and email.metadata and "metadata" not in payload:
            payload["metadata"] = dict(email.metadata)
        event = Event(self.entropy.new_id("evt_"), event_type, self.clock.now(), payload,
                      email.id if email else None, api_type)
        with self.lock:
            self.events.append(event)
            self.event_index.add(len(self.events) - 1)
            if email is not None:
                email.events.append(event)
        with self.delivery_engine.batch():  # v1 and /api webhooks of one event, concurrently
            for listener in list(self.event_listeners):
                listener(event)
        return event

    def close(self) -> None:
        """The account is done (the server swapped in a new one): webhook requests in flight are
        cut and nothing more is delivered for it."""
        self.delivery_engine.shutdown()

    # -- bookkeeping -------------------------------------------------------------------------
    def note_permission_used(self, key_id: str, permission: str) -> None:
        self.permissions_used.setdefault(key_id, set()).add(permission)

    def record(self, action: str, actor: Actor, resource_type: str, resource_id: str | None,
               metadata: Mapping[str, Any] | None = None) -> None:
        """Add an audit entry."""
        self.audit.record(action, actor, resource_type, resource_id, metadata)

    def validate_plan(self, plan: str) -> None:
        from .team import PLANS

        if plan not in PLANS:
            raise InvalidParameter(f"Unknown plan '{plan}'", param="plan")

