"""Stored webhook credentials never follow a re-pointed webhook (issue 10, defect 7).

A key with only ``webhooks:update`` cannot read a webhook (403), so it must not be able to learn
its Basic password or OAuth2 client secret (or a bearer token granted with them) by moving the
URL or the token URL to its own receiver: such an update must carry the credentials itself.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator

import httpx
import pytest
from support import Receiver, assert_api_error, client_for

from pytest_lettr import LettrServer
from pytest_lettr.errors import InvalidParameter

PASSWORD, CLIENT_SECRET = "owner-basic-password", "owner-client-secret"
SEND = {"from_email": "app@example.com", "to": ["ada@example.com"], "subject": "Hi", "html": "<p>Hi</p>"}


@pytest.fixture
def owners() -> Iterator[dict[str, Receiver]]:
    """The owner's receivers: one checking Basic credentials, one handing out and checking tokens."""
    with Receiver(username="owner", password=PASSWORD) as basic, \
            Receiver(client_id="owner-id", client_secret=CLIENT_SECRET) as oauth2:
        yield {"basic": basic, "oauth2": oauth2}


@pytest.fixture
def attacker() -> Iterator[Receiver]:
    with Receiver() as r:
        yield r


@pytest.fixture
def admin(lettr_server: LettrServer) -> Iterator[httpx.Client]:
    with client_for(lettr_server, lettr_server.create_key("admin", mode="api").key, dialect="api") as client:
        yield client


@pytest.fixture
def updater(lettr_server: LettrServer) -> Iterator[httpx.Client]:
    key = lettr_server.create_key("update only", ["webhooks:update"], mode="api").key
    with client_for(lettr_server, key, dialect="api") as client:
        yield client


def create(admin: httpx.Client, owners: dict[str, Receiver], auth_type: str) -> str:
    owner = owners[auth_type]
    body = {"name": auth_type, "url": owner.url + f"/{auth_type}", "auth_type": auth_type, "events_mode": "all"}
    if auth_type == "basic":
        body |= {"auth_username": "owner", "auth_password": PASSWORD}
    else:
        body |= {"oauth_client_id": "owner-id", "oauth_client_secret": CLIENT_SECRET,
                 "oauth_token_url": owner.url + "/token"}
    created = admin.post("/webhooks", json=body)
    assert created.status_code == 201, created.text
    return str(created.json()["data"]["id"])


def everything_received(receiver: Receiver) -> str:
    return repr([(r.path, r.headers, r.body) for r in [*receiver.requests, *receiver.tokens]])


MOVES = {
    "basic url": ("basic", lambda attacker: {"url": attacker.url + "/steal"}, ["auth_username", "auth_password"]),
    "basic target": ("basic", lambda attacker: {"target": attacker.url + "/steal"},
                     ["auth_username", "auth_password"]),
    "oauth2 url": ("oauth2", lambda attacker: {"url": attacker.url + "/steal"},
                   ["oauth_client_id", "oauth_client_secret"]),
    "oauth2 token url": ("oauth2", lambda attacker: {"oauth_token_url": attacker.url + "/token"},
                         ["oauth_client_id", "oauth_client_secret"]),
    "oauth2 both, same type named": ("oauth2", lambda attacker: {
        "url": attacker.url + "/steal", "oauth_token_url": attacker.url + "/token", "auth_type": "oauth2"},
        ["oauth_client_id", "oauth_client_secret"]),
}


@pytest.mark.parametrize("move", MOVES)
def test_an_update_only_key_cannot_redirect_stored_credentials(
        lettr_server: LettrServer, admin: httpx.Client, updater: httpx.Client, owners: dict[str, Receiver],
        attacker: Receiver, move: str) -> None:
    auth_type, change, required = MOVES[move]
    webhook_id = create(admin, owners, auth_type)
    assert_api_error(updater.get(f"/webhooks/{webhook_id}"), 403, "insufficient_scope")
    refused = updater.put(f"/webhooks/{webhook_id}", json=change(attacker))
    assert_api_error(refused, 422, "validation_error")
    assert sorted(refused.json()["errors"]) == sorted(required)
    assert admin.post("/emails", json={**SEND, "from": SEND["from_email"]}).status_code in (200, 201)
    hook, owner = lettr_server.api_webhooks.get(webhook_id), owners[auth_type]
    assert hook.url == owner.url + f"/{auth_type}" and hook.oauth_token_url in (None, owner.url + "/token")
    received = everything_received(attacker)
    assert attacker.requests == [] and PASSWORD not in received and CLIENT_SECRET not in received
    assert [d.status for d in lettr_server.api_webhooks.deliveries(webhook_id)] == ["succeeded"]


def test_moving_with_new_credentials_sends_only_those(lettr_server: LettrServer, admin: httpx.Client,
                                                      updater: httpx.Client, owners: dict[str, Receiver],
                                                      attacker: Receiver) -> None:
    webhook_id = create(admin, owners, "basic")
    moved = updater.put(f"/webhooks/{webhook_id}", json={"url": attacker.url + "/mine", "auth_username": "me",
                                                         "auth_password": "my-own"})
    assert moved.status_code == 200, moved.text
    assert admin.post("/emails", json={**SEND, "from": SEND["from_email"]}).status_code in (200, 201)
    (got,) = attacker.requests
    assert got.headers["Authorization"] == "Basic " + base64.b64encode(b"me:my-own").decode()
    assert PASSWORD not in everything_received(attacker)


def test_moving_to_no_auth_is_allowed_and_sends_nothing_secret(lettr_server: LettrServer, admin: httpx.Client,
                                                               updater: httpx.Client, owners: dict[str, Receiver],
                                                               attacker: Receiver) -> None:
    webhook_id = create(admin, owners, "oauth2")
    moved = updater.put(f"/webhooks/{webhook_id}", json={"url": attacker.url + "/open", "auth_type": "none"})
    assert moved.status_code == 200, moved.text
    admin.post("/emails", json={**SEND, "from": SEND["from_email"]})
    (got,) = attacker.requests
    assert "Authorization" not in got.headers and owners["oauth2"].tokens == []


def test_changes_that_keep_the_target_need_no_credentials(admin: httpx.Client, updater: httpx.Client,
                                                          owners: dict[str, Receiver]) -> None:
    webhook_id = create(admin, owners, "basic")
    same = updater.put(f"/webhooks/{webhook_id}", json={"url": owners["basic"].url + "/basic", "name": "renamed",
                                                        "active": False})
    assert same.status_code == 200, same.text


def test_the_store_keeps_the_same_rule(lettr_server: LettrServer, owners: dict[str, Receiver],
                                       attacker: Receiver) -> None:
    store = lettr_server.api_webhooks
    hook = store.create("n", owners["basic"].url + "/s", auth_type="basic", auth_username="owner",
                        auth_password=PASSWORD)
    with pytest.raises(InvalidParameter) as refused:
        store.update(hook.id, url=attacker.url + "/steal")
    assert refused.value.param == "auth_username"
    store.update(hook.id, url=attacker.url + "/mine", auth_username="me", auth_password="mine")
    assert (hook.url, hook.auth_password) == (attacker.url + "/mine", "mine")
