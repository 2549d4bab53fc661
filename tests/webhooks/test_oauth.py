"""webhooks/oauth.py: the client-credentials grant and its token cache, without a network.

``send`` is replaced by a fake token URL; tests/dialects/api/test_webhooks.py covers the real POSTs.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qsl

import pytest

from pytest_lettr.clock import Clock
from pytest_lettr.state.account import Account
from pytest_lettr.webhooks import oauth
from pytest_lettr.webhooks.delivery import DeliveryEngine, DeliveryResponse
from pytest_lettr.webhooks.oauth import (
    TOKEN_SKEW,
    ClientCredentials,
    OAuthTokenError,
    Token,
    TokenCache,
    basic_authorization,
    delivery_headers,
)

NOW = datetime(2024, 1, 15, 10, 30, tzinfo=timezone.utc)
CREDENTIALS = ClientCredentials("https://auth.example/token", "hooks-client", "client-secret-value")


class FakeTokenURL:
    """Answers each grant with the next of ``answers`` (the last one repeats); records requests."""

    def __init__(self) -> None:
        self.answers: list[DeliveryResponse] = [self.token("tok-1")]
        self.requests: list[tuple[str, dict[str, str], dict[str, str]]] = []

    @staticmethod
    def token(value: str, **extra: Any) -> DeliveryResponse:
        return DeliveryResponse(200, body=json.dumps({"access_token": value, "token_type": "Bearer",
                                                      **extra}).encode())

    def __call__(self, target: Any, body: bytes, headers: dict[str, str], **_: Any) -> DeliveryResponse:
        self.requests.append((target, dict(parse_qsl(body.decode())), dict(headers)))
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


@pytest.fixture
def token_url(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeTokenURL]:
    fake = FakeTokenURL()
    monkeypatch.setattr(oauth, "send", fake)
    yield fake


@pytest.fixture
def cache() -> TokenCache:
    return TokenCache(DeliveryEngine(Clock(), lambda: "del_1", timeout=2.5))


def test_the_grant_is_a_form_post(token_url: FakeTokenURL, cache: TokenCache) -> None:
    assert cache.get("wh_1", CREDENTIALS, NOW) == "tok-1"
    ((url, form, headers),) = token_url.requests
    assert url == "https://auth.example/token"
    assert form == {"grant_type": "client_credentials", "client_id": "hooks-client",
                    "client_secret": "client-secret-value"}
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert headers["Accept"] == "application/json"


def test_a_token_is_reused_until_expires_in_minus_the_skew(token_url: FakeTokenURL, cache: TokenCache) -> None:
    token_url.answers = [token_url.token("tok-1", expires_in=120), token_url.token("tok-2")]
    assert cache.get("wh_1", CREDENTIALS, NOW) == "tok-1"
    almost = NOW + timedelta(seconds=120) - TOKEN_SKEW - timedelta(microseconds=1)
    assert cache.get("wh_1", CREDENTIALS, almost) == "tok-1"
    assert len(token_url.requests) == 1
    assert cache.get("wh_1", CREDENTIALS, almost + timedelta(microseconds=1)) == "tok-2"
    assert len(token_url.requests) == 2


@pytest.mark.parametrize("expires_in", [None, "60", True, 1.5])
def test_without_an_integer_expires_in_a_token_lives_an_hour(token_url: FakeTokenURL, cache: TokenCache,
                                                             expires_in: Any) -> None:
    extra = {} if expires_in is None else {"expires_in": expires_in}
    token_url.answers = [token_url.token("tok-1", **extra), token_url.token("tok-2")]
    cache.get("wh_1", CREDENTIALS, NOW)
    assert cache.get("wh_1", CREDENTIALS, NOW + timedelta(seconds=3600) - TOKEN_SKEW - timedelta(seconds=1)) == "tok-1"
    assert cache.get("wh_1", CREDENTIALS, NOW + timedelta(seconds=3600) - TOKEN_SKEW) == "tok-2"


def test_tokens_are_per_owner_and_per_credentials(token_url: FakeTokenURL, cache: TokenCache) -> None:
    token_url.answers = [token_url.token(f"tok-{i}") for i in range(1, 5)]
    assert cache.get("wh_1", CREDENTIALS, NOW) == "tok-1"
    assert cache.get("wh_2", CREDENTIALS, NOW) == "tok-2"
    other = ClientCredentials(CREDENTIALS.token_url, CREDENTIALS.client_id, "rotated-secret")
    assert cache.get("wh_1", other, NOW) == "tok-3"  # new credentials: the old token is not theirs
    assert cache.get("wh_1", other, NOW) == "tok-3"


def test_forget_fetches_again(token_url: FakeTokenURL, cache: TokenCache) -> None:
    token_url.answers = [token_url.token("tok-1"), token_url.token("tok-2")]
    cache.get("wh_1", CREDENTIALS, NOW)
    assert "wh_1" in cache
    cache.forget("wh_1")
    cache.forget("wh_unknown")
    assert "wh_1" not in cache
    assert cache.get("wh_1", CREDENTIALS, NOW) == "tok-2"


@pytest.mark.parametrize(("answer", "message"), [
    (DeliveryResponse(401, body=b"no"), "refused the client credentials (HTTP 401)"),
    (DeliveryResponse(None, error="connection refused"), "refused the client credentials (connection refused)"),
    (DeliveryResponse(200, body=b"<html>"), "did not answer JSON"),
    (DeliveryResponse(200, body=b"[]"), "no bearer access_token"),
    (DeliveryResponse(200, body=b'{"token_type": "bearer"}'), "no bearer access_token"),
    (DeliveryResponse(200, body=b'{"access_token": "", "token_type": "bearer"}'), "no bearer access_token"),
    (DeliveryResponse(200, body=b'{"access_token": "t", "token_type": "mac"}'), "no bearer access_token"),
])
def test_a_failed_grant_raises_and_caches_nothing(token_url: FakeTokenURL, cache: TokenCache,
                                                  answer: DeliveryResponse, message: str) -> None:
    token_url.answers = [answer]
    with pytest.raises(OAuthTokenError, match=message.replace("(", r"\(").replace(")", r"\)")):
        cache.get("wh_1", CREDENTIALS, NOW)
    assert "wh_1" not in cache


@pytest.mark.parametrize("credentials", [ClientCredentials(None, "id", "s"), ClientCredentials("u", "", "s"),
                                         ClientCredentials("u", "id", None)])
def test_incomplete_credentials_are_never_sent(token_url: FakeTokenURL, cache: TokenCache,
                                               credentials: ClientCredentials) -> None:
    with pytest.raises(OAuthTokenError, match="no complete OAuth2 client credentials"):
        cache.get("wh_1", credentials, NOW)
    assert token_url.requests == []


def test_no_repr_shows_a_token_or_a_client_secret(token_url: FakeTokenURL, cache: TokenCache) -> None:
    token_url.answers = [token_url.token("tok-very-secret-access-token")]
    cache.get("wh_1", CREDENTIALS, NOW)
    token = Token("tok-very-secret-access-token", NOW, CREDENTIALS)
    for shown in (repr(token), str(token), repr(CREDENTIALS), repr(cache), repr(cache._tokens)):
        assert "tok-very-secret-access-token" not in shown and "client-secret-value" not in shown, shown
    assert "hooks-client" in repr(CREDENTIALS)  # the client id is not a secret


def test_headers() -> None:
    assert basic_authorization("ada", "pw") == "Basic YWRhOnB3"
    assert delivery_headers("evt_1", "message.delivery", None) == {
        "Content-Type": "application/json", "User-Agent": oauth.USER_AGENT, "Lettr-Event-Id": "evt_1",
        "Lettr-Event-Type": "message.delivery"}
    assert delivery_headers("evt_1", "message.delivery", "Bearer t")["Authorization"] == "Bearer t"


def test_the_store_fetches_through_its_cache_on_the_account_clock(token_url: FakeTokenURL) -> None:
    clock = Clock()
    clock.set(NOW, frozen=True)
    account = Account(seed="oauth", clock=clock)
    store = account.api_webhooks
    hook = store.create("OAuth", "https://hooks.example/h", auth_type="oauth2", oauth_client_id="hooks-client",
                        oauth_client_secret="client-secret-value", oauth_token_url="https://auth.example/token")
    assert store.tokens.engine is account.delivery_engine
    assert store.authorization(hook, clock.now()) == "Bearer tok-1"
    store.update(hook.id, name="Renamed")  # any change drops the cached token
    assert hook.id not in store.tokens
    assert "client-secret-value" not in repr(hook)
