"""Audit entries for the edges: an expired key names itself, a cancelled email is recorded."""

from __future__ import annotations

from datetime import timedelta

from pytest_lettr import LettrServer

from . import V1, email


def test_an_expired_key_is_named_as_actor_of_its_auth_failed(v1: V1, lettr_server: LettrServer) -> None:
    short_lived = lettr_server.create_key("temp", expires_at=lettr_server.clock.now() + timedelta(hours=1))
    lettr_server.clock.advance(hours=2)
    assert v1(short_lived.key).get("/emails").status_code == 401
    entry = lettr_server.audit_log[-1]
    assert (entry.action, entry.actor_id, entry.resource_id) == ("auth.failed", short_lived.id, short_lived.id)
    assert entry.metadata["reason"] == "key_expired"


def test_an_unknown_key_has_no_actor(v1: V1, lettr_server: LettrServer) -> None:
    assert v1("le_" + "x" * 36).get("/emails").status_code == 401
    entry = lettr_server.audit_log[-1]
    assert (entry.action, entry.actor_id, entry.resource_id) == ("auth.failed", None, None)


def test_cancelling_a_scheduled_email_is_audited(v1: V1, lettr_server: LettrServer) -> None:
    client = v1()
    later = (lettr_server.clock.now() + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    sent = client.post("/emails", json=email(scheduledAt=later)).json()
    assert client.delete(f"/emails/{sent['id']}").json()["status"] == "cancelled"
    entry = lettr_server.audit_log[-1]
    assert (entry.action, entry.resource_type, entry.resource_id) == ("email.cancelled", "email", sent["id"])
    assert entry.actor_id == lettr_server.account.admin_key.id
    request_id = lettr_server.emails[-1].request_id
    assert entry.metadata == {"request_id": request_id, "scheduled_at": later}
    shown = client.get("/audit-logs", params={"action": "email.cancelled"}).json()["data"][0]
    assert shown["metadata"] == {"requestId": request_id, "scheduledAt": later}  # v1 shows camelCase
    assert client.get("/audit-logs", params={"action": "email.cancelled"}).json()["totalCount"] == 1
