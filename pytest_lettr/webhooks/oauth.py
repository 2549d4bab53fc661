"""OAuth2 for webhook deliveries: the client-credentials grant, its token cache, the headers.

The current API's webhooks may authenticate with OAuth2: before a delivery attempt the engine's
sender POSTs ``grant_type=client_credentials``, ``client_id`` and ``client_secret`` (a form) to the
token URL, and the ``access_token`` is reused until ``expires_in`` (default 3600 s) minus
:data:`TOKEN_SKEW` runs out on the account clock::

    tokens = TokenCache(engine)
    tokens.get("webhook-1", ClientCredentials(url, "id", "secret"), now)   # fetched, then cached
    tokens.forget("webhook-1")                                              # after a 401

A failed fetch raises :class:`OAuthTokenError`; raised while the engine builds an attempt's
headers, it makes that attempt fail (and be retried) — it never reaches the request that caused
the event. Neither a token nor a client secret appears in any ``repr``.
"""

from __future__ import annotations

import base64
import json
import re
import ssl
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from .delivery import USER_AGENT, DeliveryResponse, send
from .transport import Deadline, Inflight

if TYPE_CHECKING:
    from .delivery import DeliveryEngine

__all__ = ["DEFAULT_LIFETIME", "TOKEN_SKEW", "ClientCredentials", "OAuthTokenError", "Token", "TokenCache",
           "basic_authorization", "delivery_headers", "request_token"]

#: A token is fetched again this long before it expires.
TOKEN_SKEW = timedelta(seconds=30)
#: Seconds a token lives when the token URL gives no (integer) ``expires_in``.
DEFAULT_LIFETIME = 3600
#: The longest a token is cached, whatever ``expires_in`` says (a year).
MAX_LIFETIME = 365 * 24 * 3600
#: What an access token may hold to go in a header (RFC 6749's VSCHAR, less the space).
_TOKEN_CHARACTERS = re.compile(r"[\x21-\x7e]+")


class OAuthTokenError(Exception):
    """The token URL did not hand out a usable access token (the delivery attempt fails)."""


@dataclass(frozen=True)
class ClientCredentials:
    """Where and as whom to ask for a token; the secret never shows in a ``repr``."""

    token_url: str | None
    client_id: str | None
    client_secret: str | None = field(repr=False)

    @property
    def complete(self) -> bool:
        return bool(self.token_url and self.client_id and self.client_secret)


@dataclass(frozen=True)
class Token:
    """An access token, until when it may be used, and the credentials it was granted to."""

    value: str = field(repr=False)
    expires_at: datetime
    credentials: ClientCredentials = field(repr=False)

    def usable(self, credentials: ClientCredentials, now: datetime) -> bool:
        """Granted to these very credentials and not within :data:`TOKEN_SKEW` of expiring."""
        return self.credentials == credentials and now < self.expires_at - TOKEN_SKEW


def _grant(response: DeliveryResponse) -> tuple[str, int]:
    """``(access_token, lifetime in seconds)`` from the token URL's answer."""
    if not response.ok:
        shown = response.error or f"HTTP {response.status_code}"
        raise OAuthTokenError(f"the token URL refused the client credentials ({shown})")
    payload = _json_object(response.body)
    value = payload.get("access_token")
    if not isinstance(value, str) or not value or str(payload.get("token_type", "bearer")).lower() != "bearer":
        raise OAuthTokenError("the token URL answered no bearer access_token")
    if not _TOKEN_CHARACTERS.fullmatch(value):
        raise OAuthTokenError("the token URL answered an access_token with characters a header cannot carry "
                              "(only visible ASCII is allowed: no CR, LF, spaces or non-ASCII)")
    return value, _lifetime(payload.get("expires_in", DEFAULT_LIFETIME))


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        payload: Any = json.loads(body)
    except (ValueError, RecursionError):
        raise OAuthTokenError("the token URL did not answer JSON") from None
    if not isinstance(payload, dict):
        raise OAuthTokenError("the token URL answered no bearer access_token")
    return payload


def _lifetime(expires_in: Any) -> int:
    """Seconds to cache a token: an integer ``expires_in`` kept within 0 and :data:`MAX_LIFETIME`."""
    valid = isinstance(expires_in, int) and not isinstance(expires_in, bool)
    return min(max(expires_in if valid else DEFAULT_LIFETIME, 0), MAX_LIFETIME)


def request_token(credentials: ClientCredentials, now: datetime, *, timeout: float,
                  ssl_context: ssl.SSLContext | None = None, deadline: Deadline | None = None,
                  inflight: Inflight | None = None) -> Token:
    """Run the client-credentials grant against ``credentials.token_url`` at ``now``, within
    ``deadline`` (the delivery attempt's) or else ``timeout`` seconds."""
    if not credentials.complete or credentials.token_url is None:
        raise OAuthTokenError("the webhook has no complete OAuth2 client credentials")
    body = urlencode({"grant_type": "client_credentials", "client_id": credentials.client_id,
                      "client_secret": credentials.client_secret}).encode()
    response = send(credentials.token_url, body,
                    {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json",
                     "User-Agent": USER_AGENT}, timeout=timeout, ssl_context=ssl_context,
                    deadline=deadline, inflight=inflight)
    value, lifetime = _grant(response)
    return Token(value, now + timedelta(seconds=lifetime), credentials)


class TokenCache:
    """Tokens by owner (a webhook id), fetched with the delivery engine's timeout and TLS context."""

    def __init__(self, engine: DeliveryEngine) -> None:
        self.engine = engine
        self._lock = threading.Lock()
        self._tokens: dict[str, Token] = {}

    def __repr__(self) -> str:
        return f"<TokenCache tokens={len(self._tokens)}>"

    def __contains__(self, owner: str) -> bool:
        return owner in self._tokens

    def get(self, owner: str, credentials: ClientCredentials, now: datetime, deadline: Deadline | None = None) -> str:
        """A usable access token for ``owner``: the cached one, or one granted within ``deadline``."""
        with self._lock:
            cached = self._tokens.get(owner)
        if cached is not None and cached.usable(credentials, now):
            return cached.value
        token = request_token(credentials, now, timeout=self.engine.timeout, ssl_context=self.engine.ssl_context,
                              deadline=deadline, inflight=self.engine.inflight)
        with self._lock:
            self._tokens[owner] = token
        return token.value

    def forget(self, owner: str) -> None:
        """Drop ``owner``'s token (its credentials changed, or a delivery was answered 401)."""
        with self._lock:
            self._tokens.pop(owner, None)


def basic_authorization(username: str | None, password: str | None) -> str:
    """The ``Authorization`` value of HTTP Basic credentials."""
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def delivery_headers(event_id: str, event_type: str, authorization: str | None) -> dict[str, str]:
    """The request headers of one current-API webhook delivery attempt."""
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT,
               "Lettr-Event-Id": event_id, "Lettr-Event-Type": event_type}
    if authorization:
        headers["Authorization"] = authorization
    return headers
