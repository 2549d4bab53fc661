"""Webhooks of an account: subscriptions, secrets, status, and signed delivery of every event.

A store is made per account on first use and subscribes to ``account.event_listeners``, so every
event the account emits reaches each subscribed webhook before ``emit`` returns::

    store = account.webhooks
    webhook, secret = store.create("http://127.0.0.1:8000/hooks", ["email.*"])
    account.emit("email.delivered", email, {...})      # delivered, signed with ``secret``
    store.deliveries(webhook.id)[-1].status              # 'succeeded'

Status rules (Lettr v1 §9, made precise here):

- ``failureCount`` counts failed attempts in a row (any delivery of the webhook); a 2xx resets it.
- ``failing`` as soon as an attempt fails, ``active`` again after the next success.
- ``disabled`` on a 410, after 7 deliveries in a row ended ``failed`` (retries exhausted), or by
  the API. A disabled webhook gets no new events, and its pending retries are dropped. Turning
  it back on (``status: active``) clears both counters.
- ``test`` deliveries are attempted once (never retried) and count like any other delivery.

Secrets (``whsec_`` + 32 alphanumerics, from the account's seeded entropy) are kept only because
signing needs them; they never appear in a ``repr``, the audit log or an error message.
"""

from __future__ import annotations

import ipaddress
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import SplitResult, quote, urlsplit, urlunsplit

from ..errors import InvalidParameter, NotFound
from ..webhooks.delivery import (
    LETTR_WEBHOOK_ADDRESSES,
    AppTarget,
    ASGIApp,
    Attempt,
    AttemptContext,
    Delivery,
    WSGIApp,
    app_target,
    is_loopback_host,
)
from ..webhooks.events import EVENT_TYPES, SUBSCRIPTION_WILDCARDS, sample_event, subscribed
from ..webhooks.payloads import v1_delivery_headers, v1_event
from ..webhooks.signing import serialize_payload

if TYPE_CHECKING:
    from .account import Account, Event
    from .audit import Actor

__all__ = ["DISABLE_AFTER_FAILED_DELIVERIES", "STATUSES", "Webhook", "WebhookStore", "check_url"]

STATUSES = ("active", "failing", "disabled")
DISABLE_AFTER_FAILED_DELIVERIES = 7
SECRET_PREFIX = "whsec_"
URL_MAX = 2048
_IPV4 = re.compile(r"[0-9.]+")
_ASCII_SPACE = " \t\r\n\f\v"
_HOST_NAME = re.compile(r"(?=.{1,253}\.?$)([a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.)*"
                        r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.?")
#: What stays as written in a URL's path, query and fragment (RFC 3986 reserved and unreserved,
#: and ``%`` of an existing escape); anything else is percent-encoded.
_URL_SAFE = "/?#[]@!$&'()*+,;=:-._~%"


def check_url(value: object, param: str = "url") -> str:
    """A webhook URL: ``https://``, or ``http(s)://`` to a loopback host (mock rule), as stored.

    Refused: no ``http``/``https`` scheme, credentials (``user@``), an IPv6 zone id, port 0, a
    host that is not a DNS name or IP literal, spaces or control characters, over
    :data:`URL_MAX`. Percent-encoded: every other character a URL cannot carry raw (``é`` in the
    path becomes ``%C3%A9``); an internationalised host name is stored in its IDNA form.

    >>> check_url("http://127.0.0.1:8000/hooks/café")
    'http://127.0.0.1:8000/hooks/caf%C3%A9'
    """
    parts = _url_parts(_url_text(value, param), param)
    host = _url_host(parts, param)
    if parts.scheme == "http" and not is_loopback_host(host):
        raise InvalidParameter(f"The '{param}' field must use https (http is allowed only for "
                               "localhost, 127.0.0.0/8 and ::1)", param=param)
    netloc = f"[{host}]" if ":" in host else host
    if parts.port is not None:
        netloc += f":{parts.port}"
    url = urlunsplit((parts.scheme, netloc, *(_percent_encoded(p) for p in (parts.path, parts.query,
                                                                             parts.fragment))))
    if len(url) > URL_MAX:
        raise InvalidParameter(f"The '{param}' field must be a URL of at most {URL_MAX} characters", param=param)
    return url


def _url_text(value: object, param: str) -> str:
    if not isinstance(value, str) or not value.strip(_ASCII_SPACE):
        raise InvalidParameter(f"The '{param}' field must be a URL", param=param)
    url = value.strip(_ASCII_SPACE)  # other spaces (U+2028...) are refused below, not trimmed
    if len(url) > URL_MAX or any(ch.isspace() or not ch.isprintable() for ch in url):
        raise InvalidParameter(f"The '{param}' field must be a URL of at most {URL_MAX} characters "
                               "without spaces or control characters", param=param)
    return url


def _url_parts(url: str, param: str) -> SplitResult:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise InvalidParameter(f"The '{param}' field is not a valid URL", param=param) from None
    if parts.scheme not in ("http", "https") or not parts.hostname or "@" in parts.netloc:
        raise InvalidParameter(f"The '{param}' field must be an https:// URL without credentials",
                               param=param)
    if port == 0:
        raise InvalidParameter(f"The '{param}' field has port 0, which no receiver listens on", param=param)
    return parts


def _url_host(parts: SplitResult, param: str) -> str:
    """The host as stored: an IP literal as written, a name lower-cased in its IDNA form."""
    host = parts.hostname or ""
    if "%" in host:
        raise InvalidParameter(f"The '{param}' field must not carry an IPv6 zone id", param=param)
    if ":" in host or _IPV4.fullmatch(host):
        try:
            return str(ipaddress.ip_address(host))
        except ValueError:
            raise InvalidParameter(f"The '{param}' field has an invalid IP address", param=param) from None
    try:
        name = host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError:
        name = ""
    if not _HOST_NAME.fullmatch(name):
        raise InvalidParameter(f"The '{param}' field has an invalid host name", param=param)
    return name


def _percent_encoded(text: str) -> str:
    """``text`` with every character a URL cannot carry raw encoded as UTF-8 ``%XX``."""
    return quote(text, safe=_URL_SAFE)


def _checked_changes(changes: dict[str, Any]) -> dict[str, Any]:
    """The changes of an update, each checked (``url`` in its stored form)."""
    unknown = set(changes) - {"url", "events", "description", "status"}
    if unknown:
        raise TypeError(f"unknown webhook fields: {', '.join(sorted(unknown))}")
    checked = dict(changes)
    if "url" in checked:
        checked["url"] = check_url(checked["url"])
    if "events" in checked:
        checked["events"] = check_events(checked["events"])
    if "status" in checked and checked["status"] not in ("active", "disabled"):
        raise InvalidParameter("The 'status' field must be one of: active, disabled", param="status")
    return checked


def check_events(value: object, param: str = "events") -> list[str]:
    """Subscriptions: exact event types, ``*`` or ``email.*``; at least one, duplicates dropped."""
    if not isinstance(value, list) or not value:
        raise InvalidParameter(f"The '{param}' field must be a non-empty array of event types", param=param)
    allowed = set(EVENT_TYPES) | set(SUBSCRIPTION_WILDCARDS)
    events: list[str] = []
    for i, item in enumerate(value):
        if not isinstance(item, str) or item not in allowed:
            shown = item if isinstance(item, str) else type(item).__name__
            raise InvalidParameter(f"'{str(shown)[:100]}' is not a webhook event type; use one of "
                                   f"{', '.join((*SUBSCRIPTION_WILDCARDS, *EVENT_TYPES))}",
                                   param=f"{param}.{i}")
        if item not in events:
            events.append(item)
    return events


@dataclass
class _Secret:
    value: str = field(repr=False)
    expires_at: datetime | None = None


@dataclass(eq=False)
class Webhook:
    """One endpoint and what it subscribes to. ``target`` is its URL or an in-process app."""

    id: str
    url: str
    events: list[str]
    description: str | None
    created_at: datetime
    status: str = "active"
    failure_count: int = 0
    failed_deliveries_in_a_row: int = 0
    last_delivery_at: datetime | None = None
    last_delivery_status: str | None = None
    disabled_reason: str | None = None
    app: WSGIApp | ASGIApp | None = field(default=None, repr=False)
    remote_addr: str | None = None
    _secrets: list[_Secret] = field(default_factory=list, repr=False)

    def __repr__(self) -> str:
        return (f"<Webhook {self.id} {self.url} events={self.events} status={self.status} "
                f"failureCount={self.failure_count} secret=whsec_***>")

    def live_secrets(self, now: datetime) -> list[str]:
        """The secrets that sign a delivery made at ``now``: the current one first."""
        return [s.value for s in self._secrets if s.expires_at is None or now < s.expires_at]

    def receives(self, event_type: str) -> bool:
        return self.status != "disabled" and subscribed(self.events, event_type)


class WebhookStore:
    """The account's webhooks and their deliveries (through the account's delivery engine)."""

    def __init__(self, account: Account) -> None:
        self.account = account
        self.engine = account.delivery_engine
        self._lock = threading.RLock()
        self._webhooks: dict[str, Webhook] = {}
        account.event_listeners.append(self.on_event)

    # -- reading --------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._webhooks)

    def all(self, status: str | None = None) -> list[Webhook]:
        """Webhooks oldest first, optionally only those with ``status``."""
        with self._lock:
            return [w for w in self._webhooks.values() if status is None or w.status == status]

    def get(self, webhook_id: str) -> Webhook:
        try:
            return self._webhooks[webhook_id]
        except KeyError:
            raise NotFound(f"No webhook with id '{webhook_id[:64]}'", param="id") from None

    def deliveries(self, webhook_id: str | None = None) -> list[Delivery]:
        """Deliveries of one webhook (or of every webhook of this store), oldest first."""
        return [d for d in self.engine.deliveries
                if d.tags.get("store") is self and (webhook_id is None or d.webhook_id == webhook_id)]

    def delivery(self, webhook_id: str, delivery_id: str) -> Delivery:
        found = self.engine.get(delivery_id)
        if found is None or found.webhook_id != webhook_id:
            raise NotFound(f"No delivery with id '{delivery_id[:64]}' for this webhook", param="delivery_id")
        return found

    # -- writing --------------------------------------------------------------------------------
    def _new_secret(self) -> str:
        return SECRET_PREFIX + self.account.entropy.stream("webhook_secrets").token(32)

    def create(self, url: str | None, events: Sequence[str], description: str | None = None, *,
               app: WSGIApp | ASGIApp | None = None, remote_addr: str | None = None,
               secret: str | None = None, actor: Actor | None = None) -> tuple[Webhook, str]:
        """Add a webhook; returns it and its secret (the only time the secret is handed out).
        With an ``actor``, audited as ``webhook.created``."""
        if app is None:
            url = check_url(url)
        elif url is None:
            url = "https://webhooks.example.test/lettr"
        if secret is not None and (not isinstance(secret, str) or not secret):
            raise InvalidParameter("A webhook secret must be a non-empty string", param="secret")
        events = check_events(list(events) if isinstance(events, (list, tuple)) else events)
        secret = secret or self._new_secret()
        webhook = Webhook(id=self.account.entropy.new_id("wh_"), url=url, events=events,
                          description=description, created_at=self.account.clock.now(), app=app,
                          remote_addr=remote_addr, _secrets=[_Secret(secret)])
        with self._lock:
            self._webhooks[webhook.id] = webhook
        self._audit(actor, "webhook.created", webhook,
                    {"url": webhook.url, "events": list(webhook.events), "description": description})
        return webhook, secret

    def update(self, webhook_id: str, *, actor: Actor | None = None, **changes: Any) -> tuple[Webhook, dict[str, Any]]:
        """Apply ``url``, ``events``, ``description``, ``status`` (``active``/``disabled``);
        returns the webhook and what actually changed (audited as ``webhook.updated`` with an
        ``actor``, when something did)."""
        webhook = self.get(webhook_id)
        changes = _checked_changes(changes)
        with self._lock:
            changed = {name: value for name, value in changes.items() if getattr(webhook, name) != value}
            for name, value in changed.items():
                if name != "status":
                    setattr(webhook, name, value)
            if "url" in changed:
                webhook.app = None
        if "status" in changed:
            self._set_status(webhook, changed["status"])
        if changed:
            self._audit(actor, "webhook.updated", webhook, {"changes": changed})
        return webhook, changed

    def _set_status(self, webhook: Webhook, status: str) -> None:
        if status == "disabled":
            self._disable(webhook, "disabled through the API")
            return
        with self._lock:  # turned back on: both failure counters start again
            webhook.status, webhook.disabled_reason = "active", None
            webhook.failure_count = webhook.failed_deliveries_in_a_row = 0

    def delete(self, webhook_id: str, actor: Actor | None = None) -> Webhook:
        """Remove a webhook and give up its pending retries (``webhook.deleted`` with an ``actor``)."""
        with self._lock:
            webhook = self.get(webhook_id)
            del self._webhooks[webhook_id]
        self.engine.cancel(lambda d: d.webhook_id == webhook_id, "webhook deleted")
        self._audit(actor, "webhook.deleted", webhook, {"url": webhook.url})
        return webhook

    def _audit(self, actor: Actor | None, action: str, webhook: Webhook, metadata: dict[str, Any]) -> None:
        if actor is not None:
            self.account.record(action, actor, "webhook", webhook.id, metadata)

    def rotate_secret(self, webhook_id: str, expires_old_secret_in: int = 0,
                      actor: Actor | None = None) -> tuple[Webhook, str]:
        """A new current secret; the old ones keep signing for ``expires_old_secret_in`` seconds
        (audited as ``webhook.secret_rotated`` with an ``actor``)."""
        webhook = self.get(webhook_id)
        now = self.account.clock.now()
        secret = self._new_secret()
        with self._lock:
            kept: list[_Secret] = []
            for old in webhook._secrets:
                if old.expires_at is not None and old.expires_at <= now:
                    continue
                if expires_old_secret_in <= 0:
                    continue
                limit = now + timedelta(seconds=expires_old_secret_in)
                kept.append(_Secret(old.value, limit if old.expires_at is None else min(old.expires_at, limit)))
            webhook._secrets = [_Secret(secret), *kept]
        self._audit(actor, "webhook.secret_rotated", webhook, {"expires_old_secret_in": expires_old_secret_in})
        return webhook, secret

    # -- delivering -----------------------------------------------------------------------------
    def on_event(self, event: Event) -> None:
        """The account listener: deliver ``event`` (see :meth:`deliver_event`)."""
        self.deliver_event(event)

    def deliver_event(self, event: Event) -> list[Delivery]:
        """Deliver an account event to every webhook that receives its type (synchronously)."""
        targets = [webhook for webhook in self.all() if webhook.receives(event.type)]
        if not targets:  # the common case: serialise nothing
            return []
        body = serialize_payload(v1_event(event))
        with self.engine.batch():  # every webhook's first attempt at once
            return [self.deliver(webhook, body, event.id, event.type) for webhook in targets]

    def send_test(self, webhook_id: str, event_type: str) -> Delivery:
        """Deliver one sample ``event_type`` now (attempted once, never retried)."""
        webhook = self.get(webhook_id)
        if event_type not in EVENT_TYPES:
            raise InvalidParameter(f"'{event_type[:100]}' is not a webhook event type; use one of "
                                   f"{', '.join(EVENT_TYPES)}", param="event_type")
        account = self.account
        event = sample_event(event_type, account.entropy, account.clock.now())
        return self.deliver(webhook, serialize_payload(event), event["id"], event_type, max_attempts=1)

    def retry(self, webhook_id: str, delivery_id: str) -> Delivery:
        """Re-send a delivery now."""
        delivery = self.delivery(webhook_id, delivery_id)
        self.engine.retry(delivery)
        return delivery

    def deliver(self, webhook: Webhook, body: bytes, event_id: str, event_type: str, *,
                max_attempts: int | None = None) -> Delivery:
        """Sign and send ``body`` to ``webhook``; retries follow the engine's schedule."""
        if webhook.app is not None:
            address = webhook.remote_addr or self.account.entropy.choice(LETTR_WEBHOOK_ADDRESSES)
            target: str | AppTarget = app_target(webhook.app, webhook.url, address)
        else:
            target = webhook.url

        def headers(attempt: AttemptContext) -> dict[str, str]:
            return v1_delivery_headers(body, webhook.live_secrets(attempt.moment), attempt.moment,
                                       event_id, event_type)

        return self.engine.deliver(target, body, headers, event_id=event_id, event_type=event_type,
                                   webhook_id=webhook.id, max_attempts=max_attempts,
                                   on_attempt=self._after_attempt, on_gone=self._gone,
                                   tags={"store": self})

    # -- bookkeeping ----------------------------------------------------------------------------
    def _after_attempt(self, delivery: Delivery, attempt: Attempt) -> None:
        webhook = self._webhooks.get(delivery.webhook_id or "")
        if webhook is None:
            return
        with self._lock:
            webhook.last_delivery_at = attempt.attempted_at
            webhook.last_delivery_status = attempt.status
            exhausted = self._count_success(webhook) if attempt.succeeded else \
                self._count_failure(webhook, delivery, attempt)
        if exhausted and webhook.status != "disabled":
            self._disable(webhook, f"{DISABLE_AFTER_FAILED_DELIVERIES} deliveries in a row failed")

    @staticmethod
    def _count_success(webhook: Webhook) -> bool:
        webhook.failure_count = webhook.failed_deliveries_in_a_row = 0
        if webhook.status == "failing":
            webhook.status = "active"
        return False

    @staticmethod
    def _count_failure(webhook: Webhook, delivery: Delivery, attempt: Attempt) -> bool:
        """Count a failed attempt (and a delivery that ran out of attempts); whether the webhook
        has now failed :data:`DISABLE_AFTER_FAILED_DELIVERIES` deliveries in a row."""
        webhook.failure_count += 1
        if webhook.status == "active":
            webhook.status = "failing"
        if delivery.status != "failed" or attempt.gone or delivery.tags.get("counted"):
            return False
        delivery.tags["counted"] = True
        webhook.failed_deliveries_in_a_row += 1
        return webhook.failed_deliveries_in_a_row >= DISABLE_AFTER_FAILED_DELIVERIES

    def _gone(self, delivery: Delivery) -> None:
        webhook = self._webhooks.get(delivery.webhook_id or "")
        if webhook is not None:
            self._disable(webhook, "the endpoint answered 410 Gone")

    def _disable(self, webhook: Webhook, reason: str) -> None:
        with self._lock:
            webhook.status, webhook.disabled_reason = "disabled", reason
        self.engine.cancel(lambda d: d.webhook_id == webhook.id, f"webhook disabled: {reason}")
