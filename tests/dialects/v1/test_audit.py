"""v1 audit log (§6) through the wire: what is recorded, what never is, filters, pagination."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest

from pytest_lettr import LettrServer

DAY = datetime(2024, 5, 20, tzinfo=timezone.utc)


@pytest.fixture
def client(v1: Callable[..., httpx.Client]) -> httpx.Client:
    return v1(headers={"User-Agent": "audit-tests/1.0"})


def logs(client: httpx.Client, **params: Any) -> dict[str, Any]:
    response = client.get("/audit-logs", params=params)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def actions(client: httpx.Client, **params: Any) -> list[str]:
    return [entry["action"] for entry in logs(client, limit=100, **params)["data"]]


def test_entry_shape(client: httpx.Client, lettr_server: LettrServer) -> None:
    created = client.post("/api-keys", json={"name": "ci", "permissions": ["emails:send"]}).json()
    entry = logs(client)["data"][0]
    assert entry["id"].startswith("log_") and entry["object"] == "audit_log"
    assert entry == {
        "id": entry["id"], "object": "audit_log", "action": "api_key.created",
        "actorId": lettr_server.account.admin_key.id, "actorType": "api_key", "actorEmail": None,
        "resource": {"type": "api_key", "id": created["id"]},
        "ipAddress": "127.0.0.1", "userAgent": "audit-tests/1.0",
        "metadata": {"name": "ci", "keyPrefix": created["keyPrefix"], "permissions": ["emails:send"]},
        "createdAt": entry["createdAt"],
    }
    assert entry["createdAt"].endswith("Z")


def test_python_sees_the_same_entries_oldest_first(client: httpx.Client, lettr_server: LettrServer) -> None:
    client.post("/domains", json={"name": "example.com"})
    client.post("/team/members", json={"email": "grace@example.com", "role": "admin"})
    listed = [e["id"] for e in logs(client)["data"]]
    assert listed == [e.id for e in reversed(lettr_server.audit_log)]
    assert lettr_server.account.audit.actions() == ["domain.created", "team.invited"]


def test_every_key_action_is_recorded_and_no_secret_is(client: httpx.Client, lettr_server: LettrServer) -> None:
    created = client.post("/api-keys", json={"name": "ci", "permissions": ["emails:send"]}).json()
    client.patch(f"/api-keys/{created['id']}", json={"name": "ci-2", "ipRestrictions": ["10.0.0.0/8"]})
    rotated = client.post(f"/api-keys/{created['id']}/rotate", json={"gracePeriodSeconds": 60}).json()
    client.delete(f"/api-keys/{rotated['id']}")
    assert actions(client) == ["api_key.deleted", "api_key.rotated", "api_key.updated", "api_key.created"]
    updated = logs(client, action="api_key.updated")["data"][0]
    assert updated["metadata"] == {"changes": {"name": "ci-2", "ipRestrictions": ["10.0.0.0/8"]}}
    everything = json.dumps(logs(client, limit=100))
    for secret in (created["key"], rotated["key"], lettr_server.admin_key):
        assert secret not in everything
        assert secret[:12] not in everything


def test_webhook_secrets_are_never_recorded(client: httpx.Client, lettr_server: LettrServer) -> None:
    created = client.post("/webhooks", json={"url": "http://127.0.0.1:9/hooks", "events": ["email.sent"]}).json()
    rotated = client.post(f"/webhooks/{created['id']}/rotate-secret").json()
    everything = json.dumps(logs(client, limit=100))
    assert created["secret"] not in everything and rotated["secret"] not in everything
    assert "whsec_" not in everything


def test_a_failed_authentication_records_the_prefix_tried(lettr_server: LettrServer) -> None:
    wrong = "le_" + "Z" * 36
    httpx.get(lettr_server.v1_url + "/emails", headers={"Authorization": f"Bearer {wrong}",
                                                        "User-Agent": "intruder/0.1"})
    entry = lettr_server.audit_log[-1]
    assert entry.action == "auth.failed" and entry.actor_id is None and entry.actor_type == "api_key"
    assert (entry.ip_address, entry.user_agent) == ("127.0.0.1", "intruder/0.1")
    assert entry.metadata == {"reason": "unauthorized", "key_prefix": "le_ZZZZ", "method": "GET", "path": "/v1/emails"}


@pytest.mark.parametrize(("headers", "prefix"), [
    ({}, None),
    ({"Authorization": "Bearer hunter2"}, None),              # short: may be a password, never recorded
    ({"Authorization": "Bearer sk_live_" + "a" * 30}, "sk_live"),
    ({"Authorization": "Basic dXNlcjpwYXNz"}, None),
])
def test_auth_failed_never_records_a_short_token(lettr_server: LettrServer, headers: dict[str, str],
                                                 prefix: str | None) -> None:
    assert httpx.get(lettr_server.v1_url + "/stats", headers=headers).status_code == 401
    entry = lettr_server.audit_log[-1]
    assert entry.action == "auth.failed" and entry.metadata["key_prefix"] == prefix
    assert "hunter2" not in json.dumps(entry.metadata)


def test_expired_and_deleted_keys_are_auth_failed(client: httpx.Client, lettr_server: LettrServer) -> None:
    short_lived = lettr_server.create_key("temp", expires_at=lettr_server.clock.now() + timedelta(hours=1))
    doomed = lettr_server.create_key("doomed")
    client.delete(f"/api-keys/{doomed.id}")
    lettr_server.clock.advance(hours=2)
    for key in (short_lived, doomed):
        httpx.get(lettr_server.v1_url + "/stats", headers={"Authorization": f"Bearer {key.key}"})
    failed = [e for e in lettr_server.audit_log if e.action == "auth.failed"]
    assert [(e.metadata["reason"], e.metadata["key_prefix"]) for e in failed] == [
        ("key_expired", short_lived.api_key.key_prefix), ("unauthorized", doomed.api_key.key_prefix)]


def test_a_missing_permission_is_auth_forbidden(lettr_server: LettrServer) -> None:
    key = lettr_server.create_key("sender", permissions=["emails:send"])
    httpx.post(lettr_server.v1_url + "/domains", json={"name": "example.com"},
               headers={"Authorization": f"Bearer {key.key}"})
    entry = lettr_server.audit_log[-1]
    assert (entry.action, entry.actor_id, entry.resource_id) == ("auth.forbidden", key.id, key.id)
    assert entry.metadata == {"method": "POST", "path": "/v1/domains", "required_permission": "domains:create"}


def test_an_ip_restriction_is_auth_forbidden(lettr_server: LettrServer) -> None:
    key = lettr_server.create_key("office", ip_restrictions=["10.0.0.0/8"])
    response = httpx.get(lettr_server.v1_url + "/stats", headers={"Authorization": f"Bearer {key.key}"})
    assert response.status_code == 403
    entry = lettr_server.audit_log[-1]
    assert entry.action == "auth.forbidden" and entry.metadata["restriction"] == "ip"
    assert "required_permission" not in entry.metadata and entry.ip_address == "127.0.0.1"


def test_a_domain_restriction_is_auth_forbidden(lettr_server: LettrServer) -> None:
    key = lettr_server.create_key("brand", domain_restrictions=["brand.example"])
    response = httpx.post(lettr_server.v1_url + "/emails", headers={"Authorization": f"Bearer {key.key}"},
                          json={"from": "a@other.example", "to": "b@example.com", "subject": "s", "text": "t"})
    assert response.status_code == 403
    entry = lettr_server.audit_log[-1]
    assert (entry.action, entry.metadata["restriction"]) == ("auth.forbidden", "domain")


def test_reads_are_not_recorded(client: httpx.Client, lettr_server: LettrServer) -> None:
    for path in ("/team/members", "/team/settings", "/domains", "/api-keys", "/stats", "/analytics", "/audit-logs"):
        assert client.get(path).status_code == 200
    assert lettr_server.audit_log == []


def test_the_audit_log_needs_its_permission(lettr_server: LettrServer) -> None:
    key = lettr_server.create_key("no-audit", permissions=["team:*", "analytics:read"])
    response = httpx.get(lettr_server.v1_url + "/audit-logs", headers={"Authorization": f"Bearer {key.key}"})
    assert response.status_code == 403 and response.json()["error"]["requiredPermission"] == "audit-logs:read"


# -- filters ------------------------------------------------------------------------------------
@pytest.fixture
def three_days(client: httpx.Client, lettr_server: LettrServer) -> list[str]:
    """One domain created on each of 2024-05-18, -19 (at 23:59:59) and -20."""
    ids = []
    for moment in (DAY - timedelta(days=2) + timedelta(hours=9), DAY - timedelta(seconds=1),
                   DAY + timedelta(hours=9)):
        lettr_server.clock.set(moment, frozen=True)
        ids.append(client.post("/domains", json={"name": f"d{len(ids)}.example.com"}).json()["id"])
    return ids


def resources(body: dict[str, Any]) -> list[str]:
    return [e["resource"]["id"] for e in body["data"]]


def test_a_bare_end_date_includes_the_whole_day(client: httpx.Client, three_days: list[str]) -> None:
    assert resources(logs(client, endDate="2024-05-19")) == [three_days[1], three_days[0]]
    assert resources(logs(client, startDate="2024-05-19", endDate="2024-05-19")) == [three_days[1]]
    assert resources(logs(client, startDate="2024-05-20")) == [three_days[2]]


def test_timestamps_filter_to_the_second(client: httpx.Client, three_days: list[str]) -> None:
    assert resources(logs(client, startDate="2024-05-19T23:59:59Z")) == [three_days[2], three_days[1]]
    assert resources(logs(client, endDate="2024-05-19T23:59:58Z")) == [three_days[0]]
    assert resources(logs(client, startDate="2024-05-20T01:00:00+02:00", endDate="2024-05-20T10:00:00Z")) == \
        [three_days[2], three_days[1]]


@pytest.mark.parametrize(("params", "param"), [
    ({"startDate": "2024-05-20", "endDate": "2024-05-19"}, "startDate"),
    ({"startDate": "2024-13-01"}, "startDate"),
    ({"endDate": "last week"}, "endDate"),
    ({"startDate": ""}, "startDate"),
    ({"action": "DROP TABLE"}, "action"),
    ({"action": "team*"}, "action"),
    ({"actorId": "x" * 201}, "actorId"),
    ({"limit": "0"}, "limit"),
    ({"limit": "101"}, "limit"),
    ({"starting_after": "log_unknown"}, "starting_after"),
])
def test_filter_validation(client: httpx.Client, params: dict[str, str], param: str) -> None:
    response = client.get("/audit-logs", params=params)
    assert response.status_code == 400
    assert (response.json()["error"]["code"], response.json()["error"]["param"]) == ("invalid_parameter", param)


def test_action_actor_and_resource_type_filters(client: httpx.Client, lettr_server: LettrServer,
                                                 v1: Callable[..., httpx.Client]) -> None:
    other = lettr_server.create_key("team-admin", permissions=["team:*", "api-keys:*"])
    client.post("/domains", json={"name": "example.com"})
    member = client.post("/team/members", json={"email": "grace@example.com", "role": "admin"}).json()
    second = v1(other.key)
    second.patch(f"/team/members/{member['id']}", json={"role": "developer"})
    second.post("/api-keys", json={"name": "child", "permissions": ["team:read"]})
    assert actions(client, action="team.invited") == ["team.invited"]
    assert actions(client, action="team.*") == ["team.member_updated", "team.invited"]
    assert actions(client, actorId=other.id) == ["api_key.created", "team.member_updated"]
    assert actions(client, resourceType="team_member") == ["team.member_updated", "team.invited"]
    assert actions(client, resourceType="domain", actorId=other.id) == []
    assert actions(client, action="webhook.created") == []


def test_pagination_newest_first_with_filters(client: httpx.Client, lettr_server: LettrServer) -> None:
    for i in range(5):
        client.post("/domains", json={"name": f"d{i}.example.com"})
        client.post("/team/members", json={"email": f"u{i}@example.com", "role": "analyst"})
    first = logs(client, resourceType="domain", limit=2)
    assert [e["metadata"]["name"] for e in first["data"]] == ["d4.example.com", "d3.example.com"]
    assert first["hasMore"] is True and first["totalCount"] == 5
    second = logs(client, resourceType="domain", limit=2, starting_after=first["data"][-1]["id"])
    assert [e["metadata"]["name"] for e in second["data"]] == ["d2.example.com", "d1.example.com"]
    back = logs(client, resourceType="domain", limit=2, ending_before=second["data"][0]["id"])
    assert [e["metadata"]["name"] for e in back["data"]] == ["d4.example.com", "d3.example.com"]
    # A cursor may be an entry the filter leaves out: it still marks a position.
    team_entry = logs(client, resourceType="team_member", limit=1)["data"][0]
    after_team = logs(client, resourceType="domain", starting_after=team_entry["id"])
    assert after_team["data"][0]["metadata"]["name"] == "d4.example.com"
    assert logs(client)["totalCount"] == 10 and len(logs(client)["data"]) == 10
