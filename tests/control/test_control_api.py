"""Every control endpoint through the wire: accounts, reset, clock, keys, outbox, events,
deliveries, faults, the OpenAPI document and the control token."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta

import httpx
import pytest
from support import Receiver, assert_v1_error

from pytest_lettr import LettrServer
from pytest_lettr.control.api import _ROUTES

from .conftest import NewAccount, bearer

SEND = {"from": "app@example.com", "to": ["ada@example.com"], "subject": "Hi", "html": "<p>Hi</p>"}


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _v1(server: LettrServer, key: str) -> httpx.Client:
    return httpx.Client(base_url=server.v1_url, headers=bearer(key))


def test_a_created_account_sends_and_reads_its_own_outbox(lettr_server: LettrServer, control: httpx.Client,
                                                          new_account: NewAccount) -> None:
    account = new_account(plan="pro")
    assert account["id"].startswith("acct_") and account["admin_key"].startswith("le_")
    body = {**SEND, "text": "plain", "attachments": [{"filename": "a.txt", "content": "aGk="}]}
    sent = _v1(lettr_server, account["admin_key"]).post("/emails", json=body)
    assert sent.status_code == 200, sent.text
    listed = control.get("/emails", headers=bearer(account["admin_key"])).json()
    assert listed["count"] == 1
    [email] = listed["data"]
    assert (email["id"], email["html"], email["text"]) == (sent.json()["id"], "<p>Hi</p>", "plain")
    assert base64.b64decode(email["attachments"][0]["content_base64"]) == b"hi"
    assert lettr_server.emails == []  # the default account is another one


def test_account_options_are_checked(control: httpx.Client) -> None:
    assert_v1_error(control.post("/accounts", json={"plan": "platinum"}), 400, "invalid_parameter", param="plan")
    assert_v1_error(control.post("/accounts", json={"colour": "red"}), 400, "invalid_parameter", param="colour")
    assert_v1_error(control.post("/accounts", content=b"{", headers={"Content-Type": "application/json"}),
                    400, "invalid_json")
    created = control.post("/accounts", json={"plan": "free", "domains": ["mail.example.org"]})
    assert created.status_code == 201 and created.json()["plan"] == "free"


def test_control_calls_need_a_full_access_key(lettr_server: LettrServer, control: httpx.Client,
                                              new_account: NewAccount) -> None:
    account = new_account()
    assert_v1_error(control.get("/emails"), 401, "unauthorized")
    assert_v1_error(control.get("/emails", headers=bearer("le_" + "x" * 40)), 401, "unauthorized")
    sender = control.post("/keys", json={"permissions": ["emails:send"]}, headers=bearer(account["admin_key"]))
    assert_v1_error(control.get("/emails", headers=bearer(sender.json()["key"])), 403, "forbidden")
    assert control.get("/emails", headers=bearer(lettr_server.admin_key)).status_code == 200  # the default one
    assert_v1_error(control.get("/nothing", headers=bearer(account["admin_key"])), 404, "not_found")
    assert_v1_error(control.put("/emails", headers=bearer(account["admin_key"])), 405, "method_not_allowed")


def test_reset_empties_the_account_and_keeps_its_id_and_admin_key(lettr_server: LettrServer, control: httpx.Client,
                                                                  new_account: NewAccount) -> None:
    account = new_account()
    admin = bearer(account["admin_key"])
    child = control.post("/keys", json={"name": "child"}, headers=admin).json()["key"]
    assert _v1(lettr_server, child).post("/emails", json=SEND).status_code == 200
    reset = control.post("/reset", headers=admin)
    assert reset.status_code == 200
    assert (reset.json()["id"], reset.json()["admin_key"]) == (account["id"], account["admin_key"])
    assert control.get("/emails", headers=admin).json()["count"] == 0
    assert_v1_error(_v1(lettr_server, child).get("/emails"), 401, "unauthorized")  # its keys went with it


def test_the_clock_moves_by_seconds_or_to_a_moment(lettr_server: LettrServer, control: httpx.Client,
                                                   new_account: NewAccount) -> None:
    admin = bearer(new_account()["admin_key"])
    before = _when(control.get("/clock", headers=admin).json()["now"])
    moved = _when(control.post("/clock", json={"advance_seconds": 3600}, headers=admin).json()["now"])
    assert moved - before == timedelta(hours=1)
    there = control.post("/clock", json={"now": "2030-01-02T03:04:05Z"}, headers=admin).json()["now"]
    assert there == "2030-01-02T03:04:05Z"
    assert_v1_error(control.post("/clock", json={"advance_seconds": -5}, headers=admin), 400, "invalid_parameter")
    assert_v1_error(control.post("/clock", json={"advance_seconds": "x"}, headers=admin), 400, "invalid_parameter")
    assert_v1_error(control.post("/clock", json={"now": "soon"}, headers=admin), 400, "invalid_parameter")
    assert_v1_error(control.post("/clock", json={}, headers=admin), 400, "missing_parameter")
    default = _when(control.get("/clock", headers=bearer(lettr_server.admin_key)).json()["now"])
    assert default.year != 2030  # each account has its own clock


def test_moving_the_clock_releases_scheduled_mail(lettr_server: LettrServer, control: httpx.Client,
                                                  new_account: NewAccount) -> None:
    account = new_account()
    admin = bearer(account["admin_key"])
    now = _when(control.get("/clock", headers=admin).json()["now"])
    later = (now + timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    sent = _v1(lettr_server, account["admin_key"]).post("/emails", json={**SEND, "scheduledAt": later})
    assert sent.status_code == 200, sent.text
    assert control.get("/emails", headers=admin).json()["data"][0]["status"] == "scheduled"
    control.post("/clock", json={"advance_seconds": 1800}, headers=admin)
    assert control.get("/emails", headers=admin).json()["data"][0]["status"] == "sent"


@pytest.mark.parametrize(("mode", "prefix"), [("v1", "le_"), ("test", "le_test_"), ("api", "lttr_"),
                                              ("sandbox", "lttr_sandbox_")])
def test_keys_of_every_mode(lettr_server: LettrServer, control: httpx.Client, new_account: NewAccount,
                            mode: str, prefix: str) -> None:
    admin = bearer(new_account()["admin_key"])
    created = control.post("/keys", json={"name": "k", "mode": mode, "permissions": ["emails:read"]}, headers=admin)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["key"].startswith(prefix) and body["id"].startswith("key_") and body["permissions"] == ["emails:read"]
    if mode in ("v1", "test"):
        client = _v1(lettr_server, body["key"])
        assert client.get("/emails").status_code == 200
        assert_v1_error(client.post("/emails", json=SEND), 403, "forbidden")


def test_bad_key_requests_are_400(control: httpx.Client, new_account: NewAccount) -> None:
    admin = bearer(new_account()["admin_key"])
    assert_v1_error(control.post("/keys", json={"mode": "root"}, headers=admin), 400, "invalid_parameter", param="mode")
    assert_v1_error(control.post("/keys", json={"permissions": "x"}, headers=admin), 400, "invalid_parameter")
    assert control.post("/keys", json={"permissions": ["nope:nope"]}, headers=admin).status_code == 400
    assert_v1_error(control.post("/keys", json={"name": 5}, headers=admin), 400, "invalid_parameter", param="name")


def test_emails_are_deleted_one_or_all(lettr_server: LettrServer, control: httpx.Client,
                                       new_account: NewAccount) -> None:
    account = new_account()
    admin = bearer(account["admin_key"])
    v1 = _v1(lettr_server, account["admin_key"])
    ids = [v1.post("/emails", json={**SEND, "to": [f"u{i}@example.com"]}).json()["id"] for i in range(3)]
    assert control.delete(f"/emails/{ids[1]}", headers=admin).status_code == 204
    assert_v1_error(control.get(f"/emails/{ids[1]}", headers=admin), 404, "not_found")
    assert_v1_error(v1.get(f"/emails/{ids[1]}"), 404, "not_found")
    assert [e["id"] for e in control.get("/emails", headers=admin).json()["data"]] == [ids[0], ids[2]]
    assert v1.get("/emails", params={"to": "u2@example.com"}).json()["data"][0]["id"] == ids[2]  # indexes follow
    assert control.delete("/emails", headers=admin).json() == {"deleted": 2}
    assert control.get("/emails", headers=admin).json()["count"] == 0
    actions = [e.action for e in lettr_server.accounts.get(account["id"]).audit]
    assert actions.count("email.deleted") == 1 and actions.count("outbox.cleared") == 1


def test_events_happen_to_emails(lettr_server: LettrServer, control: httpx.Client, new_account: NewAccount) -> None:
    account = new_account()
    admin = bearer(account["admin_key"])
    email_id = _v1(lettr_server, account["admin_key"]).post("/emails", json=SEND).json()["id"]
    happened = control.post(f"/emails/{email_id}/events", json={"type": "bounce", "bounce_type": "soft"}, headers=admin)
    assert happened.status_code == 201, happened.text
    assert happened.json()["email_id"] == email_id and happened.json()["data"]["bounce_type"] == "soft"
    assert control.get(f"/emails/{email_id}", headers=admin).json()["status"] == "bounced"
    assert_v1_error(control.post(f"/emails/{email_id}/events", json={"type": "teleport"}, headers=admin),
                    400, "invalid_parameter")
    assert_v1_error(control.post(f"/emails/{email_id}/events", json={}, headers=admin), 400, "missing_parameter")
    assert_v1_error(control.post("/emails/email_nope/events", json={"type": "delivery"}, headers=admin),
                    404, "not_found")


def test_deliveries_show_each_attempt_with_its_answer(lettr_server: LettrServer, control: httpx.Client,
                                                      new_account: NewAccount) -> None:
    account = new_account()
    admin = bearer(account["admin_key"])
    v1 = _v1(lettr_server, account["admin_key"])
    with Receiver() as receiver:
        receiver.script = [500]
        assert v1.post("/webhooks", json={"url": receiver.url, "events": ["email.sent"]}).status_code == 201
        v1.post("/emails", json=SEND)
        [delivery] = control.get("/deliveries", headers=admin).json()["data"]
    assert delivery["event_type"] == "email.sent" and delivery["url"] == receiver.url
    assert '"email.sent"' in delivery["request"]["body"]["text"]
    [attempt] = delivery["attempts"]
    assert attempt["response"]["status"] == 500 and attempt["status"] == "failed"
    assert "whsec_" not in str(delivery) and lettr_server.webhook_deliveries == []


def test_faults_through_the_control_api(lettr_server: LettrServer, control: httpx.Client,
                                        new_account: NewAccount) -> None:
    account = new_account()
    admin = bearer(account["admin_key"])
    v1 = _v1(lettr_server, account["admin_key"])
    added = control.post("/faults", json={"path": "/v1/emails", "method": "POST", "status": 503, "times": 1},
                         headers=admin)
    assert added.status_code == 201, added.text
    assert v1.post("/emails", json=SEND).status_code == 503
    assert v1.post("/emails", json=SEND).status_code == 200
    [shown] = control.get("/faults", headers=admin).json()["data"]
    assert (shown["hits"], shown["active"]) == (1, False)
    everything = control.post("/faults", json={"drop": True}, headers=admin).json()  # even this spares /_lettr
    assert control.get("/faults", headers=admin).json()["count"] == 2
    assert control.delete(f"/faults/{everything['id']}", headers=admin).status_code == 204
    assert control.delete("/faults", headers=admin).json() == {"deleted": 1}
    assert_v1_error(control.post("/faults", json={"status": 418}, headers=admin), 400, "invalid_parameter")
    assert_v1_error(control.post("/faults", json={"status": True}, headers=admin), 400, "invalid_parameter")
    assert_v1_error(control.post("/faults", json={"boom": 1}, headers=admin), 400, "invalid_parameter")
    assert_v1_error(control.delete("/faults/99", headers=admin), 404, "not_found")


def test_a_created_account_can_be_deleted(lettr_server: LettrServer, control: httpx.Client,
                                          new_account: NewAccount) -> None:
    account = new_account()
    admin = bearer(account["admin_key"])
    assert control.get("/account", headers=admin).json()["id"] == account["id"]
    assert control.delete("/account", headers=admin).status_code == 204
    assert_v1_error(control.get("/account", headers=admin), 401, "unauthorized")
    assert_v1_error(control.delete("/account", headers=bearer(lettr_server.admin_key)), 400, "invalid_parameter")


def test_the_openapi_document_lists_every_route(control: httpx.Client) -> None:
    answer = control.get("/openapi.json")
    assert answer.status_code == 200
    document = answer.json()
    assert document["openapi"].startswith("3.1")
    for rule in _ROUTES.iter_rules():
        path = rule.rule.replace("<int:fault_id>", "{fault_id}").replace("<email_id>", "{email_id}")
        for method in rule.methods or ():
            if method not in ("HEAD", "OPTIONS"):
                assert method.lower() in document["paths"][path], (method, path)


def test_a_control_token_guards_every_control_call() -> None:
    with LettrServer(control_token="s3cret-token", smtp=False) as server, \
            httpx.Client(base_url=server.url + "/_lettr") as client:
        assert_v1_error(client.post("/accounts"), 401, "unauthorized")
        assert_v1_error(client.get("/emails", headers=bearer(server.admin_key)), 401, "unauthorized")
        assert_v1_error(client.post("/accounts", headers={"X-Lettr-Control-Token": "wrong"}), 401, "unauthorized")
        good = {"X-Lettr-Control-Token": "s3cret-token"}
        assert client.post("/accounts", headers=good).status_code == 201
        assert client.get("/emails", headers=good | bearer(server.admin_key)).status_code == 200
        assert "s3cret-token" not in repr(server) + repr(server.control.__dict__.get("accounts"))
