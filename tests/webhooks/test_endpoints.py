"""v1 webhooks through the wire (§9): CRUD, rotation, test events, deliveries, retries, statuses."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Callable, Iterable, Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from werkzeug.wrappers import Request, Response

from pytest_lettr import LettrServer
from pytest_lettr.webhooks.delivery import LETTR_WEBHOOK_ADDRESSES
from pytest_lettr.webhooks.events import EVENT_TYPES

from .conftest import Receiver

SECRET_RE = re.compile(r"^whsec_[A-Za-z0-9]{32}$")
ID_RE = re.compile(r"^{}[A-Za-z0-9]{{24}}$")


def id_like(prefix: str, value: str) -> bool:
    return re.fullmatch(re.escape(prefix) + r"[A-Za-z0-9]{24}", value) is not None


def v1_of(secret: str, t: str, body: bytes) -> str:
    """The expected signature, computed here independently of the package."""
    return hmac.new(secret.encode("utf-8"), t.encode("ascii") + b"." + body, hashlib.sha256).hexdigest()


def split_signature(header: str) -> tuple[str, list[str]]:
    entries = [entry.split("=", 1) for entry in header.split(",")]
    times = [value for key, value in entries if key == "t"]
    assert len(times) == 1, header
    return times[0], [value for key, value in entries if key == "v1"]


class Hook:
    """A WSGI receiver answering with scripted statuses (then 200)."""

    def __init__(self, *statuses: int) -> None:
        self.script = list(statuses)
        self.received: list[tuple[dict[str, str], bytes, str | None]] = []

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        self.received.append((dict(request.headers.items()), request.get_data(), request.remote_addr))
        status = self.script.pop(0) if self.script else 200
        return Response("ok", status=status)(environ, start_response)

    @property
    def events(self) -> list[dict[str, Any]]:
        return [json.loads(body) for _, body, _ in self.received]


@pytest.fixture
def api(lettr_server: LettrServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=lettr_server.v1_url,
                      headers={"Authorization": f"Bearer {lettr_server.admin_key}"}) as client:
        yield client


def create(api: httpx.Client, url: str, events: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    response = api.post("/webhooks", json={"url": url, "events": events or ["*"], **extra})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def send_email(api: httpx.Client, **extra: Any) -> dict[str, Any]:
    response = api.post("/emails", json={"from": "shop@example.com", "to": ["ada@example.com"],
                                         "subject": "Your order", "text": "Thanks!", **extra})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


# --- create, read, list -------------------------------------------------------------------------


def test_create_returns_the_webhook_with_its_secret_once(api: httpx.Client, lettr_server: LettrServer) -> None:
    response = api.post("/webhooks", json={"url": "https://shop.example.com/hooks/lettr",
                                           "events": ["email.sent", "email.bounced"],
                                           "description": "orders"})
    assert response.status_code == 201
    body = response.json()
    secret = body.pop("secret")
    assert SECRET_RE.match(secret)
    assert id_like("wh_", body.pop("id"))
    created_at = body.pop("createdAt")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", created_at)
    assert body == {"object": "webhook", "url": "https://shop.example.com/hooks/lettr",
                    "events": ["email.sent", "email.bounced"], "description": "orders", "status": "active",
                    "lastDeliveryAt": None, "lastDeliveryStatus": None, "failureCount": 0}
    webhook_id = response.json()["id"]
    again = api.get(f"/webhooks/{webhook_id}").json()
    assert "secret" not in again and again["id"] == webhook_id
    listed = api.get("/webhooks").json()
    assert secret not in json.dumps(listed) and secret not in json.dumps(again)
    entry = lettr_server.audit_log[-1]
    assert (entry.action, entry.resource_id) == ("webhook.created", webhook_id)
    assert entry.metadata["url"] == "https://shop.example.com/hooks/lettr"
    assert secret not in repr(entry) and secret not in repr(lettr_server.webhooks.get(webhook_id))


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:9/hooks", "http://localhost/hooks", "http://127.8.9.10:8080/", "http://[::1]:8443/x",
    "https://example.com/hooks", "https://10.0.0.1/hooks", "https://localhost:8443/",
])
def test_accepted_urls(api: httpx.Client, url: str) -> None:
    assert create(api, url)["url"] == url


@pytest.mark.parametrize(("body", "code", "param"), [
    ({"events": ["*"]}, "missing_parameter", "url"),
    ({"url": "http://example.com/hooks", "events": ["*"]}, "invalid_parameter", "url"),
    ({"url": "http://10.0.0.1/hooks", "events": ["*"]}, "invalid_parameter", "url"),
    ({"url": "ftp://127.0.0.1/hooks", "events": ["*"]}, "invalid_parameter", "url"),
    ({"url": "https://user:pw@example.com/hooks", "events": ["*"]}, "invalid_parameter", "url"),
    ({"url": "https://", "events": ["*"]}, "invalid_parameter", "url"),
    ({"url": "https://example.com:99999/", "events": ["*"]}, "invalid_parameter", "url"),
    ({"url": "https://exa mple.com/", "events": ["*"]}, "invalid_parameter", "url"),
    ({"url": 42, "events": ["*"]}, "invalid_parameter", "url"),
    ({"url": "https://example.com/" + "a" * 2100, "events": ["*"]}, "invalid_parameter", "url"),
    ({"url": "https://example.com/hooks"}, "missing_parameter", "events"),
    ({"url": "https://example.com/hooks", "events": []}, "invalid_parameter", "events"),
    ({"url": "https://example.com/hooks", "events": "email.sent"}, "invalid_parameter", "events"),
    ({"url": "https://example.com/hooks", "events": ["email.sent", "email.nope"]}, "invalid_parameter",
     "events.1"),
    ({"url": "https://example.com/hooks", "events": ["message.delivery"]}, "invalid_parameter", "events.0"),
    ({"url": "https://example.com/hooks", "events": [3]}, "invalid_parameter", "events.0"),
    ({"url": "https://example.com/hooks", "events": ["*"], "description": 5}, "invalid_parameter",
     "description"),
    ({"url": "https://example.com/hooks", "events": ["*"], "description": "d" * 501}, "invalid_parameter",
     "description"),
])
def test_create_validation(api: httpx.Client, body: dict[str, Any], code: str, param: str) -> None:
    response = api.post("/webhooks", json=body)
    assert response.status_code == 400
    assert response.json() == {"error": {"code": code, "message": response.json()["error"]["message"],
                                         "param": param}}


def test_create_needs_json(api: httpx.Client) -> None:
    response = api.post("/webhooks", content=b"url=x", headers={"Content-Type": "text/plain"})
    assert response.status_code == 415
    assert api.post("/webhooks", content=b"{", headers={"Content-Type": "application/json"}).status_code == 400


def test_events_are_deduplicated_in_order(api: httpx.Client) -> None:
    body = create(api, "https://example.com/h", ["email.*", "email.sent", "email.*", "*"])
    assert body["events"] == ["email.*", "email.sent", "*"]


def test_list_is_newest_first_with_status_filter_and_pages(api: httpx.Client, lettr_server: LettrServer) -> None:
    ids = [create(api, f"https://example.com/h{i}")["id"] for i in range(3)]
    page = api.get("/webhooks", params={"limit": 2}).json()
    assert [w["id"] for w in page["data"]] == [ids[2], ids[1]]
    assert page["hasMore"] is True and page["totalCount"] == 3 and page["object"] == "list"
    rest = api.get("/webhooks", params={"limit": 2, "starting_after": ids[1]}).json()
    assert [w["id"] for w in rest["data"]] == [ids[0]] and rest["hasMore"] is False
    api.patch(f"/webhooks/{ids[1]}", json={"status": "disabled"})
    disabled = api.get("/webhooks", params={"status": "disabled"}).json()
    assert [w["id"] for w in disabled["data"]] == [ids[1]] and disabled["totalCount"] == 1
    assert api.get("/webhooks", params={"status": "active"}).json()["totalCount"] == 2
    bad = api.get("/webhooks", params={"status": "paused"})
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "status"
    assert api.get("/webhooks", params={"limit": 0}).status_code == 400


def test_unknown_ids_are_404(api: httpx.Client) -> None:
    known = create(api, "https://example.com/h")["id"]
    for method, path, body in [
        ("GET", "/webhooks/wh_nope", None), ("PATCH", "/webhooks/wh_nope", {"description": "x"}),
        ("DELETE", "/webhooks/wh_nope", None), ("POST", "/webhooks/wh_nope/rotate-secret", {}),
        ("POST", "/webhooks/wh_nope/test", {"eventType": "email.sent"}),
        ("GET", "/webhooks/wh_nope/deliveries", None),
        ("POST", "/webhooks/wh_nope/deliveries/del_x/retry", None),
        ("POST", f"/webhooks/{known}/deliveries/del_nope/retry", None),
    ]:
        response = api.request(method, path, json=body)
        assert response.status_code == 404, (method, path)
        assert response.json()["error"]["code"] == "not_found"
    assert api.put(f"/webhooks/{known}", json={}).status_code == 405


# --- update, delete, rotate ---------------------------------------------------------------------


def test_patch_changes_fields_and_audits_only_changes(api: httpx.Client, lettr_server: LettrServer) -> None:
    webhook = create(api, "https://example.com/a", ["email.sent"], description="first")
    response = api.patch(f"/webhooks/{webhook['id']}", json={
        "url": "https://example.com/b", "events": ["email.*"], "description": "second"})
    assert response.status_code == 200
    body = response.json()
    assert (body["url"], body["events"], body["description"]) == ("https://example.com/b", ["email.*"], "second")
    assert "secret" not in body
    entry = lettr_server.audit_log[-1]
    assert entry.action == "webhook.updated"
    assert entry.metadata == {"changes": {"url": "https://example.com/b", "events": ["email.*"],
                                          "description": "second"}}
    count = len(lettr_server.audit_log)
    assert api.patch(f"/webhooks/{webhook['id']}", json={"description": "second"}).status_code == 200
    assert len(lettr_server.audit_log) == count
    cleared = api.patch(f"/webhooks/{webhook['id']}", json={"description": None}).json()
    assert cleared["description"] is None


@pytest.mark.parametrize(("body", "param"), [
    ({"url": "http://example.com/x"}, "url"), ({"events": []}, "events"), ({"events": ["nope"]}, "events.0"),
    ({"status": "failing"}, "status"), ({"status": True}, "status"), ({"description": []}, "description"),
])
def test_patch_validation(api: httpx.Client, body: dict[str, Any], param: str) -> None:
    webhook = create(api, "https://example.com/a")
    response = api.patch(f"/webhooks/{webhook['id']}", json=body)
    assert response.status_code == 400 and response.json()["error"]["param"] == param
    assert api.get(f"/webhooks/{webhook['id']}").json()["url"] == "https://example.com/a"


def test_delete(api: httpx.Client, lettr_server: LettrServer) -> None:
    webhook = create(api, "https://example.com/a")
    response = api.delete(f"/webhooks/{webhook['id']}")
    assert response.status_code == 200
    assert response.json() == {"id": webhook["id"], "object": "webhook", "deleted": True}
    assert api.get(f"/webhooks/{webhook['id']}").status_code == 404
    entry = lettr_server.audit_log[-1]
    assert (entry.action, entry.resource_id) == ("webhook.deleted", webhook["id"])


def test_rotate_secret_returns_a_new_secret_and_audits_without_it(api: httpx.Client,
                                                                  lettr_server: LettrServer) -> None:
    webhook = create(api, "https://example.com/a")
    response = api.post(f"/webhooks/{webhook['id']}/rotate-secret", json={"expiresOldSecretIn": 3600})
    assert response.status_code == 200
    body = response.json()
    assert SECRET_RE.match(body["secret"]) and body["secret"] != webhook["secret"]
    assert body["id"] == webhook["id"] and body["object"] == "webhook"
    entry = lettr_server.audit_log[-1]
    assert entry.action == "webhook.secret_rotated" and entry.metadata == {"expires_old_secret_in": 3600}
    text = repr(lettr_server.audit_log) + repr(lettr_server.webhooks.all())
    assert webhook["secret"] not in text and body["secret"] not in text
    no_body = api.post(f"/webhooks/{webhook['id']}/rotate-secret")
    assert no_body.status_code == 200 and no_body.json()["secret"] != body["secret"]


@pytest.mark.parametrize("value", [-1, "60", 1.5, 30 * 24 * 3600 + 1, True])
def test_rotate_secret_validation(api: httpx.Client, value: Any) -> None:
    webhook = create(api, "https://example.com/a")
    response = api.post(f"/webhooks/{webhook['id']}/rotate-secret", json={"expiresOldSecretIn": value})
    assert response.status_code == 400 and response.json()["error"]["param"] == "expiresOldSecretIn"


# --- permissions --------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path", "needed"), [
    ("POST", "/webhooks", "webhooks:create"),
    ("GET", "/webhooks", "webhooks:read"),
    ("GET", "/webhooks/{id}", "webhooks:read"),
    ("PATCH", "/webhooks/{id}", "webhooks:update"),
    ("DELETE", "/webhooks/{id}", "webhooks:delete"),
    ("POST", "/webhooks/{id}/rotate-secret", "webhooks:update"),
    ("POST", "/webhooks/{id}/test", "webhooks:update"),
    ("GET", "/webhooks/{id}/deliveries", "webhooks:read"),
    ("POST", "/webhooks/{id}/deliveries/del_x/retry", "webhooks:update"),
])
def test_each_endpoint_needs_its_permission(api: httpx.Client, lettr_server: LettrServer, method: str,
                                            path: str, needed: str) -> None:
    webhook = create(api, "https://example.com/a")
    others = [p for p in ("webhooks:create", "webhooks:read", "webhooks:update", "webhooks:delete")
              if p != needed]
    key = lettr_server.create_key("narrow", others)
    response = httpx.request(method, lettr_server.v1_url + path.format(id=webhook["id"]),
                             json={"url": "https://example.com/b", "events": ["*"], "eventType": "email.sent"},
                             headers={"Authorization": f"Bearer {key.key}"})
    assert response.status_code == 403
    assert response.json()["error"]["requiredPermission"] == needed
    allowed = lettr_server.create_key("exact", [needed])
    response = httpx.request(method, lettr_server.v1_url + path.format(id=webhook["id"]),
                             json={"url": "https://example.com/b", "events": ["*"], "eventType": "email.sent"},
                             headers={"Authorization": f"Bearer {allowed.key}"})
    assert response.status_code != 403


def test_webhooks_wildcard_permission(api: httpx.Client, lettr_server: LettrServer) -> None:
    key = lettr_server.create_key("hooks", ["webhooks:*"])
    response = httpx.post(lettr_server.v1_url + "/webhooks", json={"url": "https://example.com/a", "events": ["*"]},
                          headers={"Authorization": f"Bearer {key.key}"})
    assert response.status_code == 201


# --- deliveries ---------------------------------------------------------------------------------


def test_a_send_is_delivered_signed_to_a_live_receiver_before_the_call_returns(
        api: httpx.Client, receiver: Receiver, lettr_server: LettrServer) -> None:
    webhook = create(api, receiver.url + "/lettr", ["email.sent"])
    email = send_email(api, metadata={"orderId": "1234"})
    assert len(receiver.requests) == 1
    got = receiver.requests[0]
    assert got.path == "/lettr"
    assert got.headers["Content-Type"] == "application/json"
    assert got.headers["User-Agent"] == "Lettr-Webhooks/1.0"
    event = json.loads(got.body)
    assert got.headers["Lettr-Event-Id"] == event["id"] and id_like("evt_", event["id"])
    assert got.headers["Lettr-Event-Type"] == event["type"] == "email.sent"
    assert list(event) == ["id", "type", "createdAt", "data"]
    assert event["data"] == {"emailId": email["id"], "from": "shop@example.com", "to": ["ada@example.com"],
                             "subject": "Your order", "sentAt": event["data"]["sentAt"],
                             "metadata": {"orderId": "1234"}}
    t, signatures = split_signature(got.headers["Lettr-Signature"])
    assert signatures == [v1_of(webhook["secret"], t, got.body)]
    assert abs(int(t) - lettr_server.clock.timestamp()) <= 5
    deliveries = api.get(f"/webhooks/{webhook['id']}/deliveries").json()
    assert deliveries["totalCount"] == 1
    delivery = deliveries["data"][0]
    assert id_like("del_", delivery.pop("id"))
    assert delivery.pop("createdAt") == event["createdAt"]
    assert delivery == {"object": "webhook_delivery", "eventId": event["id"], "eventType": "email.sent",
                        "status": "succeeded", "attempts": 1, "responseCode": 200, "nextRetryAt": None}
    after = api.get(f"/webhooks/{webhook['id']}").json()
    assert after["lastDeliveryStatus"] == "succeeded" and after["lastDeliveryAt"] is not None


def test_subscriptions_select_the_events(api: httpx.Client, lettr_server: LettrServer) -> None:
    hooks = {name: Hook() for name in ("all", "email", "sent", "bounced")}
    lettr_server.add_webhook(hooks["all"], ["*"])
    lettr_server.add_webhook(hooks["email"], ["email.*"])
    lettr_server.add_webhook(hooks["sent"], ["email.sent"])
    lettr_server.add_webhook(hooks["bounced"], ["email.bounced", "email.complained"])
    send_email(api)
    lettr_server.account.emit("email.bounced", None, {"email_id": "email_x", "to": "ada@example.com"})
    lettr_server.account.emit("email.opened", None, {"email_id": "email_x"})
    types = {name: [e["type"] for e in hook.events] for name, hook in hooks.items()}
    assert types == {"all": ["email.sent", "email.bounced", "email.opened"],
                     "email": ["email.sent", "email.bounced", "email.opened"],
                     "sent": ["email.sent"], "bounced": ["email.bounced"]}
    assert len(lettr_server.webhook_deliveries) == 8


def test_lifecycle_events_carry_the_email_metadata(api: httpx.Client, lettr_server: LettrServer) -> None:
    hook = Hook()
    lettr_server.add_webhook(hook, ["email.delivered"])
    email = send_email(api, metadata={"userId": "u_42"})
    stored = lettr_server.account.outbox.get(email["id"])
    lettr_server.account.emit("email.delivered", stored, {"email_id": email["id"], "to": "ada@example.com",
                                                          "delivered_at": "2024-01-15T10:30:00Z"})
    assert hook.events[0]["data"] == {"emailId": email["id"], "to": "ada@example.com",
                                      "deliveredAt": "2024-01-15T10:30:00Z", "metadata": {"userId": "u_42"}}


def test_wsgi_webhooks_get_lettr_addresses_or_a_chosen_one(lettr_server: LettrServer) -> None:
    default, chosen = Hook(), Hook()
    lettr_server.add_webhook(default, ["*"], url="https://shop.example.test/hooks")
    lettr_server.add_webhook(chosen, ["*"], remote_addr="198.51.100.7")
    for _ in range(6):
        lettr_server.account.emit("email.opened", None, {"email_id": "email_x"})
    assert {addr for _, _, addr in default.received} <= set(LETTR_WEBHOOK_ADDRESSES)
    assert {addr for _, _, addr in chosen.received} == {"198.51.100.7"}
    assert lettr_server.webhook_deliveries[0].url == "https://shop.example.test/hooks"


def test_a_fixed_secret_signs_deliveries(lettr_server: LettrServer) -> None:
    hook = Hook()
    webhook, secret = lettr_server.add_webhook(hook, ["*"], secret="whsec_configured_in_my_app")
    assert secret == "whsec_configured_in_my_app"
    lettr_server.account.emit("email.sent", None, {"email_id": "email_x"})
    headers, body, _ = hook.received[0]
    t, signatures = split_signature(headers["Lettr-Signature"])
    assert signatures == [v1_of("whsec_configured_in_my_app", t, body)]
    assert "whsec_configured_in_my_app" not in repr(webhook)


def test_rotation_window_signs_with_both_secrets_until_the_old_one_expires(
        api: httpx.Client, lettr_server: LettrServer) -> None:
    hook = Hook()
    webhook, old = lettr_server.add_webhook(hook, ["email.sent"])
    lettr_server.clock.freeze()
    new = api.post(f"/webhooks/{webhook.id}/rotate-secret", json={"expiresOldSecretIn": 600}).json()["secret"]

    def last_signatures() -> list[str]:
        headers, body, _ = hook.received[-1]
        t, signatures = split_signature(headers["Lettr-Signature"])
        assert int(t) == lettr_server.clock.timestamp()
        assert signatures == [v1_of(s, t, body) for s in (new, old)][:len(signatures)]
        return signatures

    send_email(api)
    assert len(last_signatures()) == 2
    lettr_server.clock.advance(seconds=599)
    send_email(api)
    assert len(last_signatures()) == 2
    lettr_server.clock.advance(seconds=1)
    send_email(api)
    assert len(last_signatures()) == 1


def test_rotation_without_overlap_drops_the_old_secret_at_once(api: httpx.Client,
                                                               lettr_server: LettrServer) -> None:
    hook = Hook()
    webhook, old = lettr_server.add_webhook(hook, ["email.sent"])
    new = api.post(f"/webhooks/{webhook.id}/rotate-secret", json={}).json()["secret"]
    send_email(api)
    headers, body, _ = hook.received[-1]
    t, signatures = split_signature(headers["Lettr-Signature"])
    assert signatures == [v1_of(new, t, body)] and new != old


def test_a_retry_is_signed_afresh_at_its_own_time(lettr_server: LettrServer) -> None:
    hook = Hook(500)
    _, secret = lettr_server.add_webhook(hook, ["*"])
    lettr_server.clock.freeze()
    lettr_server.account.emit("email.sent", None, {"email_id": "email_x"})
    lettr_server.clock.advance(minutes=1)
    (h1, b1, _), (h2, b2, _) = hook.received
    t1, _ = split_signature(h1["Lettr-Signature"])
    t2, sig2 = split_signature(h2["Lettr-Signature"])
    assert b1 == b2 and int(t2) - int(t1) == 60 and sig2 == [v1_of(secret, t2, b2)]
    assert h1["Lettr-Event-Id"] == h2["Lettr-Event-Id"]


@pytest.mark.parametrize("event_type", EVENT_TYPES)
def test_the_test_endpoint_delivers_a_sample_of_each_type(api: httpx.Client, lettr_server: LettrServer,
                                                         event_type: str) -> None:
    hook = Hook()
    webhook, secret = lettr_server.add_webhook(hook, ["email.sent"])  # a test ignores subscriptions
    response = api.post(f"/webhooks/{webhook.id}/test", json={"eventType": event_type})
    assert response.status_code == 200
    delivery = response.json()
    event = hook.events[0]
    assert delivery["object"] == "webhook_delivery" and delivery["status"] == "succeeded"
    assert (delivery["eventId"], delivery["eventType"]) == (event["id"], event_type)
    assert delivery["attempts"] == 1 and delivery["responseCode"] == 200
    assert event["type"] == event_type and isinstance(event["data"], dict) and event["data"]
    headers, body, _ = hook.received[0]
    t, signatures = split_signature(headers["Lettr-Signature"])
    assert signatures == [v1_of(secret, t, body)]
    assert lettr_server.account.events == []  # a sample is not an account event


def test_the_test_endpoint_validates_the_event_type(api: httpx.Client) -> None:
    webhook = create(api, "https://example.com/a")
    for body, code in [({}, "missing_parameter"), ({"eventType": "email.nope"}, "invalid_parameter"),
                       ({"eventType": 7}, "invalid_parameter"), ({"eventType": "*"}, "invalid_parameter")]:
        response = api.post(f"/webhooks/{webhook['id']}/test", json=body)
        assert response.status_code == 400
        assert response.json()["error"] == {"code": code, "message": response.json()["error"]["message"],
                                            "param": "eventType"}


def test_retrying_an_unknown_delivery_names_delivery_id(api: httpx.Client) -> None:
    webhook = create(api, "https://example.com/a")
    response = api.post(f"/webhooks/{webhook['id']}/deliveries/del_unknown/retry")
    assert response.status_code == 404
    assert response.json()["error"]["param"] == "deliveryId"


def test_a_failed_test_delivery_is_not_retried(api: httpx.Client, lettr_server: LettrServer) -> None:
    hook = Hook(500)
    webhook, _ = lettr_server.add_webhook(hook, ["*"])
    delivery = api.post(f"/webhooks/{webhook.id}/test", json={"eventType": "email.opened"}).json()
    assert delivery["status"] == "failed" and delivery["nextRetryAt"] is None
    assert delivery["responseCode"] == 500
    lettr_server.clock.advance(days=2)
    assert len(hook.received) == 1


def test_failures_retries_and_manual_retry_through_the_api(api: httpx.Client, lettr_server: LettrServer) -> None:
    hook = Hook(503, 503, 503)
    webhook, _ = lettr_server.add_webhook(hook, ["email.sent"])
    lettr_server.clock.freeze()
    sent_at = lettr_server.clock.now()
    send_email(api)
    listed = api.get(f"/webhooks/{webhook.id}/deliveries").json()["data"][0]
    assert listed["status"] == "pending" and listed["attempts"] == 1 and listed["responseCode"] == 503
    assert listed["nextRetryAt"] == (sent_at + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    state = api.get(f"/webhooks/{webhook.id}").json()
    assert (state["status"], state["failureCount"], state["lastDeliveryStatus"]) == ("failing", 1, "failed")
    lettr_server.clock.advance(minutes=1)
    assert api.get(f"/webhooks/{webhook.id}").json()["failureCount"] == 2
    retried = api.post(f"/webhooks/{webhook.id}/deliveries/{listed['id']}/retry")
    assert retried.status_code == 200
    assert retried.json()["attempts"] == 3 and retried.json()["status"] == "pending"
    retried = api.post(f"/webhooks/{webhook.id}/deliveries/{listed['id']}/retry").json()
    assert retried["status"] == "succeeded" and retried["responseCode"] == 200 and retried["nextRetryAt"] is None
    state = api.get(f"/webhooks/{webhook.id}").json()
    assert (state["status"], state["failureCount"], state["lastDeliveryStatus"]) == ("active", 0, "succeeded")
    lettr_server.clock.advance(days=2)
    assert len(hook.received) == 4


def test_a_delivery_of_another_webhook_cannot_be_retried_through_this_one(api: httpx.Client,
                                                                          lettr_server: LettrServer) -> None:
    first, _ = lettr_server.add_webhook(Hook(), ["*"])
    second, _ = lettr_server.add_webhook(Hook(), ["email.opened"])
    lettr_server.account.emit("email.sent", None, {"email_id": "email_x"})
    delivery = lettr_server.webhooks.deliveries(first.id)[0]
    response = api.post(f"/webhooks/{second.id}/deliveries/{delivery.id}/retry")
    assert response.status_code == 404
    assert api.get(f"/webhooks/{second.id}/deliveries").json()["totalCount"] == 0


def test_410_disables_the_webhook_at_once(api: httpx.Client, lettr_server: LettrServer) -> None:
    hook = Hook(410)
    webhook, _ = lettr_server.add_webhook(hook, ["*"])
    send_email(api)
    state = api.get(f"/webhooks/{webhook.id}").json()
    assert state["status"] == "disabled" and state["failureCount"] == 1
    delivery = api.get(f"/webhooks/{webhook.id}/deliveries").json()["data"][0]
    assert (delivery["status"], delivery["responseCode"], delivery["nextRetryAt"]) == ("failed", 410, None)
    send_email(api)
    lettr_server.clock.advance(days=2)
    assert len(hook.received) == 1
    assert api.get("/webhooks", params={"status": "disabled"}).json()["totalCount"] == 1


def test_seven_failed_deliveries_in_a_row_disable_the_webhook(api: httpx.Client, lettr_server: LettrServer) -> None:
    hook = Hook(*[500] * 100)
    webhook, _ = lettr_server.add_webhook(hook, ["email.sent"])
    for _ in range(7):
        send_email(api)
    assert api.get(f"/webhooks/{webhook.id}").json()["status"] == "failing"
    lettr_server.clock.advance(days=1)
    state = api.get(f"/webhooks/{webhook.id}").json()
    assert state["status"] == "failing" and state["failureCount"] == 6 * 7
    lettr_server.clock.advance(days=1)
    state = api.get(f"/webhooks/{webhook.id}").json()
    assert state["status"] == "disabled" and state["failureCount"] == 7 * 7
    statuses = {d["status"] for d in api.get(f"/webhooks/{webhook.id}/deliveries").json()["data"]}
    assert statuses == {"failed"}
    assert lettr_server.webhooks.get(webhook.id).disabled_reason == "7 deliveries in a row failed"


def test_a_success_resets_the_run_of_failed_deliveries(lettr_server: LettrServer) -> None:
    hook = Hook(*[500] * 42, 200, *[500] * 100)
    webhook, _ = lettr_server.add_webhook(hook, ["*"], )
    for _ in range(6):
        lettr_server.account.emit("email.sent", None, {"email_id": "email_x"})
    lettr_server.clock.advance(days=2)  # six deliveries fail for good
    assert webhook.status == "failing" and webhook.failed_deliveries_in_a_row == 6
    lettr_server.account.emit("email.sent", None, {"email_id": "email_y"})  # answered 200
    assert webhook.status == "active" and webhook.failure_count == 0
    lettr_server.account.emit("email.sent", None, {"email_id": "email_z"})
    lettr_server.clock.advance(days=2)
    assert webhook.status == "failing" and webhook.failed_deliveries_in_a_row == 1


def test_disabling_drops_pending_retries_and_stops_events(api: httpx.Client, lettr_server: LettrServer) -> None:
    hook = Hook(500)
    webhook, _ = lettr_server.add_webhook(hook, ["*"])
    send_email(api)
    assert api.patch(f"/webhooks/{webhook.id}", json={"status": "disabled"}).json()["status"] == "disabled"
    delivery = api.get(f"/webhooks/{webhook.id}/deliveries").json()["data"][0]
    assert delivery["status"] == "failed" and delivery["nextRetryAt"] is None
    lettr_server.clock.advance(days=1)
    send_email(api)
    assert len(hook.received) == 1
    enabled = api.patch(f"/webhooks/{webhook.id}", json={"status": "active"}).json()
    assert enabled["status"] == "active" and enabled["failureCount"] == 0
    send_email(api)
    assert len(hook.received) == 2


def test_deleting_a_webhook_drops_its_pending_retries(api: httpx.Client, lettr_server: LettrServer) -> None:
    hook = Hook(500)
    webhook, _ = lettr_server.add_webhook(hook, ["*"])
    send_email(api)
    api.delete(f"/webhooks/{webhook.id}")
    lettr_server.clock.advance(days=2)
    assert len(hook.received) == 1
    assert lettr_server.webhook_deliveries[0].cancelled == "webhook deleted"


def test_deliveries_list_is_newest_first_and_paginated(api: httpx.Client, lettr_server: LettrServer) -> None:
    webhook, _ = lettr_server.add_webhook(Hook(), ["*"])
    for _ in range(3):
        send_email(api)
    ids = [d.id for d in lettr_server.webhooks.deliveries(webhook.id)]
    page = api.get(f"/webhooks/{webhook.id}/deliveries", params={"limit": 2}).json()
    assert [d["id"] for d in page["data"]] == ids[::-1][:2] and page["hasMore"] is True
    assert page["totalCount"] == 3


def test_a_receiver_may_call_back_into_the_api_during_a_delivery(lettr_server: LettrServer) -> None:
    seen: list[int] = []

    def calling_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        listed = httpx.get(lettr_server.v1_url + "/webhooks",
                           headers={"Authorization": f"Bearer {lettr_server.admin_key}"})
        seen.append(listed.status_code)
        return Response("ok")(environ, start_response)

    lettr_server.add_webhook(calling_app, ["email.sent"])
    with httpx.Client(base_url=lettr_server.v1_url,
                      headers={"Authorization": f"Bearer {lettr_server.admin_key}"}) as client:
        send_email(client)
    assert seen == [200]


def test_a_store_is_made_once_per_account(lettr_server: LettrServer) -> None:
    assert lettr_server.account.webhooks is lettr_server.webhooks
    assert lettr_server.account.event_listeners.count(lettr_server.webhooks.on_event) == 1
