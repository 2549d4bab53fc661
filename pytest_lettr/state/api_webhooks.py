"""Webhooks of the current API: event subscriptions with HTTP Basic or OAuth2 credentials.

They are not the v1 webhooks (no signing secret; namespaced event types such as
``message.delivery``), but they share the account's delivery engine, its retry schedule and its
clock. The account makes its store with it, and the store hears every account event::

    store = account.api_webhooks
    hook = store.create("Orders", "http://127.0.0.1:8000/hooks", auth_type="oauth2",
                        oauth_client_id="id", oauth_client_secret="s",
                        oauth_token_url="http://127.0.0.1:8000/token")
    account.emit("email.delivered", email, {...})       # POSTed with "Authorization: Bearer <token>"

Each event is rendered by :func:`~pytest_lettr.webhooks.payloads.api_delivery` (events the current
API does not deliver are skipped). OAuth2 is the client-credentials grant: a form POST of
``grant_type=client_credentials``, ``client_id`` and ``client_secret`` to the token URL; the
``access_token`` is reused until ``expires_in`` (default 3600 s) runs out on the account clock,
and fetched again after a delivery is answered 401.
"""

from __future__ import annotations

import base64
import json
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from ..errors import Conflict, InvalidParameter, NotFound
from ..randomness import LOWER_ALNUM
from ..webhooks.delivery import USER_AGENT, Attempt, AttemptContext, Delivery, send
from ..webhooks.payloads import api_delivery

if TYPE_CHECKING:
    from .account import Account, Event

__all__ = ["AUTH_TYPES", "EVENT_TYPES", "ApiWebhook", "ApiWebhookStore", "OAuthTokenError", "normalise_event"]

AUTH_TYPES = ("none", "basic", "oauth2")
EVENT_TYPES: tuple[str, ...] = (
    "message.injection", "message.delivery", "message.bounce", "message.delay", "message.out_of_band",
    "message.spam_complaint", "message.policy_rejection", "engagement.click", "engagement.open",
    "engagement.initial_open", "engagement.amp_click", "engagement.amp_open", "engagement.amp_initial_open",
    "generation.generation_failure", "generation.generation_rejection", "unsubscribe.list_unsubscribe",
    "unsubscribe.link_unsubscribe", "relay.relay_injection", "relay.relay_rejection", "relay.relay_delivery",
    "relay.relay_tempfail", "relay.relay_permfail",
)
_BY_SHORT_NAME = {name.partition(".")[2]: name for name in EVENT_TYPES}
TOKEN_SKEW = timedelta(seconds=30)


def normalise_event(name: str) -> str | None:
    """The canonical event type for a name the API accepts, else ``None``.

    >>> [normalise_event(n) for n in ("delivery", "engagament.click", "message.bounce", "nope")]
    ['message.delivery', 'engagement.click', 'message.bounce', None]
    """
    name = name.strip()
    if name.startswith("engagament."):
        name = "engagement." + name.partition(".")[2]
    if name in EVENT_TYPES:
        return name
    return _BY_SHORT_NAME.get(name)


class OAuthTokenError(Exception):
    """The token URL did not hand out a usable access token (the delivery attempt fails)."""


@dataclass(eq=False)
class ApiWebhook:
    """One webhook. Credentials are kept for delivering and never shown (``repr`` masks them)."""

    id: str
    name: str
    url: str
    created_at: datetime
    event_types: list[str] | None = None  # None: every event
    enabled: bool = True
    auth_type: str = "none"
    auth_username: str | None = None
    auth_password: str | None = field(default=None, repr=False)
    oauth_client_id: str | None = None
    oauth_client_secret: str | None = field(default=None, repr=False)
    oauth_token_url: str | None = None
    last_successful_at: datetime | None = None
    last_failure_at: datetime | None = None
    last_status: str | None = None
    disabled_reason: str | None = None

    @property
    def has_auth_credentials(self) -> bool:
        if self.auth_type == "basic":
            return bool(self.auth_username and self.auth_password)
        if self.auth_type == "oauth2":
            return bool(self.oauth_client_id and self.oauth_client_secret and self.oauth_token_url)
        return False

    def receives(self, event_type: str) -> bool:
        return self.enabled and (self.event_types is None or event_type in self.event_types)


@dataclass
class _Token:
    value: str = field(repr=False)
    expires_at: datetime
    source: tuple[str | None, str | None, str | None]


class ApiWebhookStore:
    """The current API's webhooks of one account and their deliveries."""

    def __init__(self, account: Account) -> None:
        self.account = account
        self.engine = account.delivery_engine
        self._lock = threading.RLock()
        self._webhooks: dict[str, ApiWebhook] = {}
        self._tokens: dict[str, _Token] = {}
        account.event_listeners.append(self.on_event)

    # -- reading -----------------------------------------------------------------------------
    def all(self) -> list[ApiWebhook]:
        with self._lock:
            return list(self._webhooks.values())

    def get(self, webhook_id: str) -> ApiWebhook:
        webhook = self._webhooks.get(webhook_id)
        if webhook is None:
            raise NotFound("Webhook not found.")
        return webhook

    def deliveries(self, webhook_id: str | None = None) -> list[Delivery]:
        """Deliveries of one webhook (or all of this store's), oldest first."""
        return [d for d in self.engine.deliveries
                if d.tags.get("store") is self and (webhook_id is None or d.webhook_id == webhook_id)]

    # -- writing -----------------------------------------------------------------------------
    def create(self, name: str, url: str, *, auth_type: str = "none", event_types: list[str] | None = None,
               **credentials: str | None) -> ApiWebhook:
        """Add a webhook (409 if one already targets ``url``)."""
        now = self.account.clock.now()
        with self._lock:
            if any(w.url == url for w in self._webhooks.values()):
                raise Conflict("A webhook with this target URL already exists.", param="url")
            ident = "webhook-" + self.account.entropy.stream("id:webhook-").token(24, LOWER_ALNUM)
            webhook = ApiWebhook(id=ident, name=name, url=url,
                                 created_at=now, event_types=event_types)
            self._set_auth(webhook, auth_type, credentials)
            self._webhooks[webhook.id] = webhook
        return webhook

    def update(self, webhook_id: str, *, name: str | None = None, url: str | None = None,
               auth_type: str | None = None, event_types: list[str] | None = None, enabled: bool | None = None,
               **credentials: str | None) -> ApiWebhook:
        """Change only what is given; a new ``auth_type`` replaces every stored credential."""
        with self._lock:
            webhook = self.get(webhook_id)
            if url is not None and url != webhook.url and any(w.url == url for w in self._webhooks.values()):
                raise Conflict("A webhook with this target URL already exists.", param="url")
            if auth_type is not None or any(v is not None for v in credentials.values()):
                self._set_auth(webhook, auth_type or webhook.auth_type, credentials,
                               keep=auth_type is None or auth_type == webhook.auth_type)
            if name is not None:
                webhook.name = name
            if url is not None:
                webhook.url = url
            if event_types is not None:
                webhook.event_types = event_types
            if enabled is not None:
                webhook.enabled = enabled
                webhook.disabled_reason = None if enabled else "disabled through the API"
            self._tokens.pop(webhook.id, None)
        if enabled is False:
            self.engine.cancel(lambda d: d.webhook_id == webhook_id, "webhook disabled")
        return webhook

    def delete(self, webhook_id: str) -> ApiWebhook:
        with self._lock:
            webhook = self.get(webhook_id)
            del self._webhooks[webhook_id]
            self._tokens.pop(webhook_id, None)
        self.engine.cancel(lambda d: d.webhook_id == webhook_id, "webhook deleted")
        return webhook

    @staticmethod
    def _set_auth(webhook: ApiWebhook, auth_type: str, given: dict[str, str | None], keep: bool = False) -> None:
        names = {"basic": ("auth_username", "auth_password"),
                 "oauth2": ("oauth_client_id", "oauth_client_secret", "oauth_token_url")}
        if auth_type not in AUTH_TYPES:
            raise InvalidParameter(f"The auth type must be one of: {', '.join(AUTH_TYPES)}.", param="auth_type")
        values = {n: given.get(n) if given.get(n) is not None else (getattr(webhook, n) if keep else None)
                  for n in names.get(auth_type, ())}
        missing = [n for n, v in values.items() if not v]
        if missing:
            raise InvalidParameter(f"The {missing[0].replace('_', ' ')} field is required when auth type is "
                                   f"{auth_type}.", param=missing[0])
        for attribute in ("auth_username", "auth_password", "oauth_client_id", "oauth_client_secret",
                          "oauth_token_url"):
            setattr(webhook, attribute, values.get(attribute))
        webhook.auth_type = auth_type

    # -- delivering --------------------------------------------------------------------------
    def on_event(self, event: Event) -> None:
        """The account listener: send ``event`` to every enabled webhook subscribed to its type."""
        webhooks = [w for w in self.all() if w.enabled]
        if not webhooks:
            return
        rendered = api_delivery(self.account, event)
        if rendered is None:
            return
        event_type, body = rendered
        for webhook in webhooks:
            if webhook.receives(event_type):
                self.deliver(webhook, body, event.id, event_type)

    def deliver(self, webhook: ApiWebhook, body: bytes, event_id: str, event_type: str) -> Delivery:
        """POST ``body`` to the webhook with its credentials; retries follow the engine."""

        def headers(attempt: AttemptContext) -> dict[str, str]:
            result = {"Content-Type": "application/json", "User-Agent": USER_AGENT,
                      "Lettr-Event-Id": event_id, "Lettr-Event-Type": event_type}
            authorization = self.authorization(webhook, attempt.moment)
            if authorization:
                result["Authorization"] = authorization
            return result

        return self.engine.deliver(webhook.url, body, headers, event_id=event_id, event_type=event_type,
                                   webhook_id=webhook.id, on_attempt=self._after_attempt, on_gone=self._gone,
                                   tags={"store": self})

    def authorization(self, webhook: ApiWebhook, now: datetime) -> str | None:
        """The ``Authorization`` value for one delivery attempt (fetching an OAuth2 token if due)."""
        if webhook.auth_type == "basic":
            pair = f"{webhook.auth_username}:{webhook.auth_password}".encode()
            return "Basic " + base64.b64encode(pair).decode()
        if webhook.auth_type == "oauth2":
            return "Bearer " + self.token(webhook, now)
        return None

    def token(self, webhook: ApiWebhook, now: datetime) -> str:
        source = (webhook.oauth_token_url, webhook.oauth_client_id, webhook.oauth_client_secret)
        with self._lock:
            cached = self._tokens.get(webhook.id)
        if cached is not None and cached.source == source and now < cached.expires_at - TOKEN_SKEW:
            return cached.value
        url, client_id, secret = source
        if not url or not client_id or not secret:
            raise OAuthTokenError("the webhook has no complete OAuth2 client credentials")
        body = urlencode({"grant_type": "client_credentials", "client_id": client_id,
                          "client_secret": secret}).encode()
        response = send(url, body, {"Content-Type": "application/x-www-form-urlencoded",
                                    "Accept": "application/json", "User-Agent": USER_AGENT},
                        timeout=self.engine.timeout, ssl_context=self.engine.ssl_context)
        if not response.ok:
            shown = response.error or f"HTTP {response.status_code}"
            raise OAuthTokenError(f"the token URL refused the client credentials ({shown})")
        try:
            payload: Any = json.loads(response.body)
        except ValueError:
            raise OAuthTokenError("the token URL did not answer JSON") from None
        value = payload.get("access_token") if isinstance(payload, dict) else None
        token_type = payload.get("token_type", "bearer") if isinstance(payload, dict) else None
        if not isinstance(value, str) or not value or str(token_type).lower() != "bearer":
            raise OAuthTokenError("the token URL answered no bearer access_token")
        expires_in = payload.get("expires_in", 3600)
        lifetime = expires_in if isinstance(expires_in, int) and not isinstance(expires_in, bool) else 3600
        with self._lock:
            self._tokens[webhook.id] = _Token(value, now + timedelta(seconds=max(lifetime, 0)), source)
        return value

    def _after_attempt(self, delivery: Delivery, attempt: Attempt) -> None:
        webhook = self._webhooks.get(delivery.webhook_id or "")
        if webhook is None:
            return
        with self._lock:
            if attempt.succeeded:
                webhook.last_successful_at, webhook.last_status = attempt.attempted_at, "success"
            else:
                webhook.last_failure_at, webhook.last_status = attempt.attempted_at, "failure"
                if attempt.response_code == 401:
                    self._tokens.pop(webhook.id, None)  # fetch a fresh token for the next attempt

    def _gone(self, delivery: Delivery) -> None:
        webhook = self._webhooks.get(delivery.webhook_id or "")
        if webhook is not None:
            with self._lock:
                webhook.enabled, webhook.disabled_reason = False, "the endpoint answered 410 Gone"
            self.engine.cancel(lambda d: d.webhook_id == webhook.id, "webhook disabled: 410 Gone")
