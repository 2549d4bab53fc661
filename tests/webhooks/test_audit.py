"""Webhook audit entries are written by the store operations (``actor=``), in snake_case, the
same whichever intake called; ``/v1/audit-logs`` renders their metadata in camelCase."""

from __future__ import annotations

from support import client_for

from pytest_lettr import LettrServer
from pytest_lettr.state.audit import Actor

ACTOR = Actor(id="key_1", type="api_key", ip_address="127.0.0.1")


def webhook_entries(server: LettrServer) -> list[tuple[str, dict[str, object]]]:
    return [(e.action, dict(e.metadata)) for e in server.audit_log if e.action.startswith("webhook.")]


def test_v1_store_operations_audit_with_an_actor(lettr_server: LettrServer) -> None:
    store = lettr_server.webhooks
    webhook, _ = store.create("http://127.0.0.1:9/a", ["email.sent"], "orders", actor=ACTOR)
    store.update(webhook.id, actor=ACTOR, events=["email.sent"])  # nothing changed: no entry
    store.update(webhook.id, actor=ACTOR, url="http://127.0.0.1:9/b", status="disabled")
    store.rotate_secret(webhook.id, 60, actor=ACTOR)
    store.delete(webhook.id, actor=ACTOR)
    assert webhook_entries(lettr_server) == [
        ("webhook.created", {"url": "http://127.0.0.1:9/a", "events": ["email.sent"], "description": "orders"}),
        ("webhook.updated", {"changes": {"url": "http://127.0.0.1:9/b", "status": "disabled"}}),
        ("webhook.secret_rotated", {"expires_old_secret_in": 60}),
        ("webhook.deleted", {"url": "http://127.0.0.1:9/b"}),
    ]
    assert {e.actor_id for e in lettr_server.audit_log if e.action.startswith("webhook.")} == {"key_1"}


def test_without_an_actor_nothing_is_audited(lettr_server: LettrServer) -> None:
    webhook, _ = lettr_server.add_webhook("http://127.0.0.1:9/a")
    lettr_server.webhooks.update(webhook.id, description="x")
    hook = lettr_server.api_webhooks.create("n", "http://127.0.0.1:9/api")
    lettr_server.api_webhooks.update(hook.id, name="m")
    lettr_server.api_webhooks.delete(hook.id)
    assert webhook_entries(lettr_server) == []


def test_api_store_operations_audit_in_snake_case(lettr_server: LettrServer) -> None:
    store = lettr_server.api_webhooks
    hook = store.create("n", "http://127.0.0.1:9/api", auth_type="basic", auth_username="u", auth_password="pw",
                        event_types=["message.delivery"], actor=ACTOR)
    store.update(hook.id, name="m", auth_password="pw2", actor=ACTOR)
    store.delete(hook.id, actor=ACTOR)
    assert webhook_entries(lettr_server) == [
        ("webhook.created", {"url": "http://127.0.0.1:9/api", "auth_type": "basic",
                             "event_types": ["message.delivery"]}),
        ("webhook.updated", {"changed": ["name", "credentials"]}),
        ("webhook.deleted", {"url": "http://127.0.0.1:9/api"}),
    ]
    assert "pw" not in repr(lettr_server.audit_log)


def test_the_v1_audit_log_shows_webhook_metadata_in_camel_case(lettr_server: LettrServer) -> None:
    key = lettr_server.create_key("api", mode="api").key
    with client_for(lettr_server, key, dialect="api") as api:
        created = api.post("/webhooks", json={"name": "n", "url": "http://127.0.0.1:9/x", "auth_type": "none",
                                              "events_mode": "selected", "events": ["delivery"]})
        assert created.status_code == 201, created.text
    with client_for(lettr_server) as v1:
        hook = v1.post("/webhooks", json={"url": "http://127.0.0.1:9/v1", "events": ["*"]}).json()
        v1.post(f"/webhooks/{hook['id']}/rotate-secret", json={"expiresOldSecretIn": 5})
        entries = v1.get("/audit-logs", params={"action": "webhook.*"}).json()["data"]
    by_action = {e["action"]: e["metadata"] for e in entries}
    assert by_action["webhook.secret_rotated"] == {"expiresOldSecretIn": 5}
    api_created = [e["metadata"] for e in entries if e["metadata"].get("authType") == "none"]
    assert api_created == [{"url": "http://127.0.0.1:9/x", "authType": "none", "eventTypes": ["message.delivery"]}]
