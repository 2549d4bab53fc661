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
API does not deliver are skipped). This store keeps the webhooks, their credentials and who
receives what; the OAuth2 client-credentials grant, its token cache (reused until ``expires_in``
runs out on the account clock, fetched again after a delivery is answered 401) and the request
headers are :mod:`pytest_lettr.webhooks.oauth`'s.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..errors import Conflict, InvalidParameter, NotFound
from ..randomness import LOWER_ALNUM
from ..webhooks.delivery import Attempt, AttemptCallback, AttemptContext, Delivery
from ..webhooks.oauth import ClientCredentials, OAuthTokenError, TokenCache, basic_authorization, delivery_headers
from ..webhooks.payloads import api_delivery
from ..webhooks.transport import Deadline
from .webhooks import check_url

if TYPE_CHECKING:
    from .account import Account, Event
    from .audit import Actor

__all__ = ["AUTH_TYPES", "CREDENTIALS_OF", "EVENT_TYPES", "RESUPPLIED_ON_MOVE", "ApiWebhook", "ApiWebhookStore",
           "OAuthTokenError", "credentials_to_resupply", "normalise_event",
           "resupply_message"]

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


#: Credentials of each auth type, and those a webhook must be given again when its target moves.
CREDENTIALS_OF = {"basic": ("auth_username", "auth_password"),
                  "oauth2": ("oauth_client_id", "oauth_client_secret", "oauth_token_url")}
RESUPPLIED_ON_MOVE = {"basic": ("auth_username", "auth_password"),
                      "oauth2": ("oauth_client_id", "oauth_client_secret")}


def credentials_to_resupply(webhook: ApiWebhook, *, url: str | None, auth_type: str | None,
                            given: dict[str, str | None]) -> list[str]:
    """The stored credentials an update must give again because it moves where they go.

    Re-pointing ``url`` (where Basic credentials or an OAuth2 bearer token are sent) or
    ``oauth_token_url`` (where the client secret is sent) of a webhook that keeps its auth type
    would hand the stored secret to whoever chose the new target; a key that may update but not
    read webhooks must not learn it that way. So the update must carry the type's credentials
    (:data:`RESUPPLIED_ON_MOVE`) itself. A new auth type brings all of its credentials anyway.
    """
    kept_type = auth_type in (None, webhook.auth_type)
    names = RESUPPLIED_ON_MOVE.get(webhook.auth_type, ())
    token_url = given.get("oauth_token_url")
    moved = (url is not None and url != webhook.url) or \
        (token_url is not None and token_url != webhook.oauth_token_url)
    if not (kept_type and moved):
        return []
    return [name for name in names if given.get(name) is None]


def resupply_message(name: str) -> str:
    """Why an update must carry the credential ``name`` again."""
    return f"The {name.replace('_', ' ')} field is required when the url or the token url changes."


def _checked_token_url(credentials: dict[str, str | None]) -> dict[str, str | None]:
    token_url = credentials.get("oauth_token_url")
    if token_url is None:
        return credentials
    return {**credentials, "oauth_token_url": check_url(token_url, param="oauth_token_url")}


def _apply(webhook: ApiWebhook, fields: dict[str, Any]) -> None:
    """Set the given (not ``None``) fields; turning a webhook on or off sets why it is off."""
    for attribute, value in fields.items():
        if value is not None:
            setattr(webhook, attribute, value)
    if fields.get("enabled") is not None:
        webhook.disabled_reason = None if webhook.enabled else "disabled through the API"


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

    @property
    def client_credentials(self) -> ClientCredentials:
        return ClientCredentials(self.oauth_token_url, self.oauth_client_id, self.oauth_client_secret)

    def receives(self, event_type: str) -> bool:
        return self.enabled and (self.event_types is None or event_type in self.event_types)


class ApiWebhookStore:
    """The current API's webhooks of one account and their deliveries."""

    def __init__(self, account: Account) -> None:
        self.account = account
        self.engine = account.delivery_engine
        self._lock = threading.RLock()
        self._webhooks: dict[str, ApiWebhook] = {}
        self.tokens = TokenCache(self.engine)
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
               actor: Actor | None = None, **credentials: str | None) -> ApiWebhook:
        """Add a webhook (409 if one already targets ``url``); ``webhook.created`` with an ``actor``."""
        url = check_url(url)
        credentials = _checked_token_url(credentials)
        now = self.account.clock.now()
        with self._lock:
            self._check_url_free(url)
            ident = "webhook-" + self.account.entropy.stream("id:webhook-").token(24, LOWER_ALNUM)
            webhook = ApiWebhook(id=ident, name=name, url=url,
                                 created_at=now, event_types=event_types)
            self._set_auth(webhook, auth_type, credentials)
            self._webhooks[webhook.id] = webhook
        self._audit(actor, "webhook.created", webhook,
                    {"url": webhook.url, "auth_type": webhook.auth_type, "event_types": webhook.event_types})
        return webhook

    def update(self, webhook_id: str, *, name: str | None = None, url: str | None = None,
               auth_type: str | None = None, event_types: list[str] | None = None, enabled: bool | None = None,
               actor: Actor | None = None, **credentials: str | None) -> ApiWebhook:
        """Change only what is given; a new ``auth_type`` replaces every stored credential, and a
        new target for stored credentials needs them again (:func:`credentials_to_resupply`)."""
        url = None if url is None else check_url(url)
        credentials = _checked_token_url(credentials)
        fields = {"name": name, "url": url, "event_types": event_types, "enabled": enabled}
        with self._lock:
            webhook = self.get(webhook_id)
            self._check_move(webhook, url, auth_type, credentials)
            self._change_auth(webhook, auth_type, credentials)
            _apply(webhook, fields)
            self.tokens.forget(webhook.id)
        if enabled is False:
            self.engine.cancel(lambda d: d.webhook_id == webhook_id, "webhook disabled")
        changed = sorted(k for k, v in {**fields, "auth_type": auth_type}.items() if v is not None)
        if any(v is not None for v in credentials.values()):
            changed.append("credentials")
        self._audit(actor, "webhook.updated", webhook, {"changed": changed})
        return webhook

    def _check_move(self, webhook: ApiWebhook, url: str | None, auth_type: str | None,
                    credentials: dict[str, str | None]) -> None:
        """A new URL must be free, and stored credentials must be given again to follow it."""
        if url is not None and url != webhook.url:
            self._check_url_free(url)
        missing = credentials_to_resupply(webhook, url=url, auth_type=auth_type, given=credentials)
        if missing:
            raise InvalidParameter(resupply_message(missing[0]), param=missing[0])

    def _change_auth(self, webhook: ApiWebhook, auth_type: str | None, given: dict[str, str | None]) -> None:
        """A new ``auth_type`` replaces every credential; given credentials alone update the type's."""
        if auth_type is not None or any(v is not None for v in given.values()):
            self._set_auth(webhook, auth_type or webhook.auth_type, given,
                           keep=auth_type in (None, webhook.auth_type))

    def _audit(self, actor: Actor | None, action: str, webhook: ApiWebhook, metadata: dict[str, Any]) -> None:
        if actor is not None:
            self.account.record(action, actor, "webhook", webhook.id, metadata)

    def _check_url_free(self, url: str) -> None:
        if any(w.url == url for w in self._webhooks.values()):
            raise Conflict("A webhook with this target URL already exists.", param="url")

    def delete(self, webhook_id: str, actor: Actor | None = None) -> ApiWebhook:
        """Remove a webhook and give up its pending retries (``webhook.deleted`` with an ``actor``)."""
        with self._lock:
            webhook = self.get(webhook_id)
            del self._webhooks[webhook_id]
            self.tokens.forget(webhook_id)
        self.engine.cancel(lambda d: d.webhook_id == webhook_id, "webhook deleted")
        self._audit(actor, "webhook.deleted", webhook, {"url": webhook.url})
        return webhook

    @staticmethod
    def _set_auth(webhook: ApiWebhook, auth_type: str, given: dict[str, str | None], keep: bool = False) -> None:
        names = CREDENTIALS_OF
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
        with self.engine.batch():  # every webhook's first attempt at once
            for webhook in webhooks:
                if webhook.receives(event_type):
                    self.deliver(webhook, body, event.id, event_type)

    def deliver(self, webhook: ApiWebhook, body: bytes, event_id: str, event_type: str, *,
                on_attempt: AttemptCallback | None = None) -> Delivery:
        """POST ``body`` to the webhook with its credentials; retries follow the engine.
        ``on_attempt`` (e.g. inbound mail's relay events) hears every attempt after the store does."""

        def headers(attempt: AttemptContext) -> dict[str, str]:
            return delivery_headers(event_id, event_type,
                                    self.authorization(webhook, attempt.moment, attempt.deadline))

        def after(delivery: Delivery, attempt: Attempt) -> None:
            self._after_attempt(delivery, attempt)
            if on_attempt is not None:
                on_attempt(delivery, attempt)

        return self.engine.deliver(webhook.url, body, headers, event_id=event_id, event_type=event_type,
                                   webhook_id=webhook.id, on_attempt=after, on_gone=self._gone,
                                   tags={"store": self})

    def authorization(self, webhook: ApiWebhook, now: datetime, deadline: Deadline | None = None) -> str | None:
        """The ``Authorization`` value for one delivery attempt (fetching an OAuth2 token if due,
        within the attempt's ``deadline``; a failed fetch raises :class:`OAuthTokenError`, which
        fails the attempt)."""
        if webhook.auth_type == "basic":
            return basic_authorization(webhook.auth_username, webhook.auth_password)
        if webhook.auth_type == "oauth2":
            return "Bearer " + self.tokens.get(webhook.id, webhook.client_credentials, now, deadline)
        return None

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
                    self.tokens.forget(webhook.id)  # fetch a fresh token for the next attempt

    def _gone(self, delivery: Delivery) -> None:
        webhook = self._webhooks.get(delivery.webhook_id or "")
        if webhook is not None:
            with self._lock:
                webhook.enabled, webhook.disabled_reason = False, "the endpoint answered 410 Gone"
            self.engine.cancel(lambda d: d.webhook_id == webhook.id, "webhook disabled: 410 Gone")
