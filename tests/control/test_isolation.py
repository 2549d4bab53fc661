"""Several accounts on one server: every request acts on its key's account, and an id of another
account's resource is 404 — for every kind of resource, also while both accounts work at once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from email.message import EmailMessage
from typing import Any

import httpx
import pytest

from pytest_lettr import LettrServer
from pytest_lettr.smtp.inbound import received_mails

from .conftest import NewAccount

SEND = {"from": "app@example.com", "to": ["ada@example.com"], "subject": "Hi", "html": "<p>Hi</p>"}


def _clients(server: LettrServer, account: dict[str, Any]) -> tuple[httpx.Client, httpx.Client]:
    v1 = httpx.Client(base_url=server.v1_url, headers={"Authorization": f"Bearer {account['admin_key']}"})
    api = httpx.Client(base_url=server.api_url, headers={"Authorization": f"Bearer {account['api_key']}"})
    return v1, api


def _created(response: httpx.Response, *path: str) -> str:
    assert response.status_code in (200, 201), response.text
    value: Any = response.json()
    for part in path:
        value = value[part]
    return str(value)


def _resources(server: LettrServer, account_id: str, v1: httpx.Client, api: httpx.Client) -> dict[str, str]:
    """One resource of every kind in the account, by the path that reads it (v1 and /api)."""
    email = _created(v1.post("/emails", json=SEND), "id")
    request = _created(api.post("/emails", json=SEND), "data", "request_id")
    key = _created(v1.post("/api-keys", json={"name": "child", "permissions": ["emails:send"]}), "id")
    domain = _created(v1.post("/domains", json={"name": "mail.example.org"}), "id")
    hook = _created(v1.post("/webhooks", json={"url": "http://127.0.0.1:9/hooks", "events": ["email.sent"]}), "id")
    api_hook = _created(api.post("/webhooks", json={"name": "all", "url": "http://127.0.0.1:9/hook",
                                                    "auth_type": "none", "events_mode": "all"}), "data", "id")
    template = _created(api.post("/templates", json={"name": "Welcome", "html": "<p>Hi</p>"}), "data", "slug")
    contact = _created(api.post("/audience/contacts", json={"email": "bo@example.com"}), "data", "id")
    listed = _created(api.post("/audience/lists", json={"name": "VIP"}), "data", "id")
    campaign = server.accounts.get(account_id).campaigns.create(
        name="c", subject="s", from_email="a@example.com", html="<p>x</p>").id
    return {
        f"/v1/emails/{email}": "v1", f"/api/emails/{request}": "api", f"/v1/api-keys/{key}": "v1",
        f"/v1/domains/{domain}": "v1", f"/v1/webhooks/{hook}": "v1", f"/api/webhooks/{api_hook}": "api",
        f"/api/templates/{template}": "api", f"/api/audience/contacts/{contact}": "api",
        f"/api/audience/lists/{listed}": "api", f"/api/campaigns/{campaign}": "api",
        f"/_lettr/emails/{email}": "v1",
    }


def _get(server: LettrServer, v1: httpx.Client, api: httpx.Client, path: str, dialect: str) -> httpx.Response:
    client = v1 if dialect == "v1" else api
    return client.get(server.url + path)


def test_every_resource_of_another_account_is_404(lettr_server: LettrServer, new_account: NewAccount) -> None:
    alice, bob = new_account(), new_account()
    alice_v1, alice_api = _clients(lettr_server, alice)
    bob_v1, bob_api = _clients(lettr_server, bob)
    owned = _resources(lettr_server, alice["id"], alice_v1, alice_api)
    assert len(owned) == 11
    seen = {path: _get(lettr_server, alice_v1, alice_api, path, d).status_code for path, d in owned.items()}
    assert set(seen.values()) == {200}, seen
    leaked = {path: _get(lettr_server, bob_v1, bob_api, path, d).status_code for path, d in owned.items()}
    assert set(leaked.values()) == {404}, leaked
    assert lettr_server.handler_errors == []


def test_writes_to_another_accounts_ids_are_404_and_change_nothing(lettr_server: LettrServer,
                                                                   new_account: NewAccount) -> None:
    alice, bob = new_account(), new_account()
    alice_v1, alice_api = _clients(lettr_server, alice)
    bob_v1, bob_api = _clients(lettr_server, bob)
    owned = _resources(lettr_server, alice["id"], alice_v1, alice_api)
    writes = [(bob_v1, "DELETE", p) for p, d in owned.items() if d == "v1" and "/emails/" not in p]
    writes += [(bob_api, "DELETE", p) for p, d in owned.items() if d == "api" and "/emails/" not in p
               and "/campaigns/" not in p]
    writes += [(bob_v1, "DELETE", p) for p in owned if p.startswith("/_lettr/emails/")]
    answers = {(m, p): c.request(m, lettr_server.url + p).status_code for c, m, p in writes}
    assert len(answers) == 8 and set(answers.values()) == {404}, answers
    still = {path: _get(lettr_server, alice_v1, alice_api, path, d).status_code for path, d in owned.items()}
    assert set(still.values()) == {200}, still


def test_listings_show_only_the_callers_account(lettr_server: LettrServer, new_account: NewAccount) -> None:
    alice, bob = new_account(), new_account()
    alice_v1, alice_api = _clients(lettr_server, alice)
    bob_v1, bob_api = _clients(lettr_server, bob)
    _resources(lettr_server, alice["id"], alice_v1, alice_api)
    assert bob_v1.get("/emails").json()["data"] == []
    assert bob_v1.get("/domains").json()["data"] == []
    assert bob_v1.get("/webhooks").json()["data"] == []
    assert sorted(k["name"] for k in bob_v1.get("/api-keys").json()["data"]) == ["Admin key", "api"]
    assert bob_api.get("/audience/contacts").json()["data"]["contacts"] == []
    assert len(alice_v1.get("/emails").json()["data"]) == 2
    assert lettr_server.emails == []  # the default account saw nothing either


def test_inbound_mail_stays_in_its_account(lettr_server: LettrServer, new_account: NewAccount) -> None:
    alice, bob = new_account(), new_account()
    mine, theirs = lettr_server.accounts.get(alice["id"]), lettr_server.accounts.get(bob["id"])
    mine.inbound.add_domain("in.example.com")
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "x@example.net", "help@in.example.com", "Hi"
    message.set_content("body")
    message.add_attachment(b"%PDF-1.4 data", maintype="application", subtype="pdf", filename="a.pdf")
    mine.inbound.receive(received_mails(message))
    assert len(mine.inbound.messages) == 1
    assert theirs.inbound.messages == [] and not theirs.inbound.accepts("help@in.example.com")
    assert lettr_server.inbound.messages == []
    [url] = mine.inbound.messages[0].attachment_urls
    assert httpx.get(url).content == b"%PDF-1.4 data"  # its capability URL still works


@pytest.mark.parametrize("rounds", [20])
def test_accounts_used_at_once_stay_apart(lettr_server: LettrServer, new_account: NewAccount, rounds: int) -> None:
    accounts = [new_account() for _ in range(3)]

    def work(account: dict[str, Any]) -> list[str]:
        v1, _ = _clients(lettr_server, account)
        with v1:
            return [_created(v1.post("/emails", json={**SEND, "subject": account["id"]}), "id")
                    for _ in range(rounds)]

    with ThreadPoolExecutor(max_workers=3) as pool:
        sent = list(pool.map(work, accounts))
    for account, ids in zip(accounts, sent, strict=True):
        seen = httpx.get(lettr_server.url + "/_lettr/emails",
                         headers={"Authorization": f"Bearer {account['admin_key']}"}).json()["data"]
        assert sorted(e["id"] for e in seen) == sorted(ids)
        assert {e["subject"] for e in seen} == {account["id"]}
    assert lettr_server.handler_errors == []


def test_resetting_one_account_leaves_the_others_alone(lettr_server: LettrServer, new_account: NewAccount) -> None:
    busy, resetting = new_account(), new_account()

    def send_many() -> list[str]:
        v1, _ = _clients(lettr_server, busy)
        with v1:
            return [_created(v1.post("/emails", json=SEND), "id") for _ in range(15)]

    def reset_many() -> list[int]:
        with httpx.Client(base_url=lettr_server.url + "/_lettr",
                          headers={"Authorization": f"Bearer {resetting['admin_key']}"}) as control:
            return [control.post("/reset").status_code for _ in range(15)]

    with ThreadPoolExecutor(max_workers=2) as pool:
        sent, resets = pool.submit(send_many), pool.submit(reset_many)
        ids, statuses = sent.result(), resets.result()
    assert set(statuses) == {200}
    kept = [e.id for e in lettr_server.accounts.get(busy["id"]).outbox]
    assert kept == ids and len(set(ids)) == 15
    assert lettr_server.handler_errors == []


def test_smtp_mail_goes_to_the_account_of_its_auth_key(lettr_server: LettrServer, new_account: NewAccount) -> None:
    from support import message, smtp_client

    other = new_account()
    with smtp_client(lettr_server, other["api_key"]) as client:
        client.send_message(message("to the other account"))
    assert [e.subject for e in lettr_server.accounts.get(other["id"]).outbox] == ["to the other account"]
    assert len(lettr_server.emails) == 0  # the default account saw nothing
    with smtp_client(lettr_server) as client:  # the default account's own key
        client.send_message(message("to the default account"))
    assert [e.subject for e in lettr_server.emails] == ["to the default account"]
