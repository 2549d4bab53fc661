"""API keys (v1 §2): create, list, get, update, delete, rotate — shapes, validation and lifecycle."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from pytest_lettr import LettrServer

from . import V1, assert_v1_error, email

KEY_FIELDS = {"id", "object", "name", "keyPrefix", "permissions", "domainRestrictions", "ipRestrictions",
              "expiresAt", "rateLimit", "lastUsedAt", "createdAt", "rotationDueAt", "rotationDue"}
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def parse(stamp: str) -> datetime:
    assert TIMESTAMP.match(stamp), stamp
    return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


def create(v1: V1, **body: Any) -> dict[str, Any]:
    body.setdefault("name", "ci")
    response = v1().post("/api-keys", json=body)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


# -- create -------------------------------------------------------------------------------------

def test_create_returns_the_full_key_once_with_every_field(v1: V1, lettr_server: LettrServer) -> None:
    created = create(v1, name="deploy")
    assert set(created) == KEY_FIELDS | {"key"}
    assert created["object"] == "api_key" and created["name"] == "deploy"
    assert re.fullmatch(r"key_[A-Za-z0-9]{24}", created["id"])
    assert re.fullmatch(r"le_[A-Za-z0-9]{36}", created["key"])
    assert created["keyPrefix"] == created["key"][:7]
    assert created["permissions"] == ["*"]
    assert created["domainRestrictions"] == [] and created["ipRestrictions"] == []
    assert created["expiresAt"] is None and created["rateLimit"] is None and created["lastUsedAt"] is None
    assert parse(created["rotationDueAt"]) - parse(created["createdAt"]) == timedelta(days=90)
    assert created["rotationDue"] is False
    assert abs(parse(created["createdAt"]) - lettr_server.clock.now()) < timedelta(seconds=2)


def test_the_new_key_works_at_once(v1: V1) -> None:
    created = create(v1, permissions=["emails:send"])
    assert v1(created["key"]).post("/emails", json=email()).status_code == 200


def test_create_with_every_setting(v1: V1, lettr_server: LettrServer) -> None:
    expires = (lettr_server.clock.now() + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    created = create(v1, name="full", permissions=["emails:send", "emails:read"],
                     domainRestrictions=["Mail.Example.com"], ipRestrictions=["10.0.0.0/8", "::1"],
                     expiresAt=expires, rateLimit={"requests": 5, "period": "minute"})
    assert created["permissions"] == ["emails:send", "emails:read"]
    assert created["domainRestrictions"] == ["mail.example.com"]
    assert created["ipRestrictions"] == ["10.0.0.0/8", "::1"]
    assert created["expiresAt"] == expires
    assert created["rateLimit"] == {"requests": 5, "period": "minute"}
    fetched = v1().get(f"/api-keys/{created['id']}").json()
    assert fetched == {k: v for k, v in created.items() if k != "key"}


def test_duplicate_permissions_are_stored_once(v1: V1) -> None:
    assert create(v1, permissions=["emails:send", "emails:send"])["permissions"] == ["emails:send"]


def test_each_key_is_different(v1: V1) -> None:
    first, second = create(v1), create(v1)
    assert first["id"] != second["id"] and first["key"] != second["key"]


@pytest.mark.parametrize(("body", "code", "param"), [
    ({}, "missing_parameter", "name"),
    ({"name": None}, "missing_parameter", "name"),
    ({"name": ""}, "invalid_parameter", "name"),
    ({"name": "x" * 101}, "invalid_parameter", "name"),
    ({"name": 7}, "invalid_parameter", "name"),
    ({"name": "   "}, "invalid_parameter", "name"),
    ({"name": "k", "permisions": ["emails:send"]}, "invalid_parameter", "permisions"),
    ({"name": "k", "key": "le_" + "a" * 36}, "invalid_parameter", "key"),
    ({"name": "k", "permissions": "emails:send"}, "invalid_parameter", "permissions"),
    ({"name": "k", "permissions": []}, "invalid_parameter", "permissions"),
    ({"name": "k", "permissions": ["emails:send", "emails:fly"]}, "invalid_parameter", "permissions.1"),
    ({"name": "k", "permissions": ["EMAILS:SEND"]}, "invalid_parameter", "permissions.0"),
    ({"name": "k", "permissions": [1]}, "invalid_parameter", "permissions"),
    ({"name": "k", "ipRestrictions": ["10.0.0.300"]}, "invalid_parameter", "ipRestrictions.0"),
    ({"name": "k", "ipRestrictions": ["::1", "10.0.0.1/8"]}, "invalid_parameter", "ipRestrictions.1"),
    ({"name": "k", "ipRestrictions": ["10.0.0.0/33"]}, "invalid_parameter", "ipRestrictions.0"),
    ({"name": "k", "ipRestrictions": ["2001:db8::/129"]}, "invalid_parameter", "ipRestrictions.0"),
    ({"name": "k", "ipRestrictions": ["localhost"]}, "invalid_parameter", "ipRestrictions.0"),
    ({"name": "k", "ipRestrictions": "10.0.0.1"}, "invalid_parameter", "ipRestrictions"),
    ({"name": "k", "domainRestrictions": ["ada@example.com"]}, "invalid_parameter", "domainRestrictions.0"),
    ({"name": "k", "domainRestrictions": ["example"]}, "invalid_parameter", "domainRestrictions.0"),
    ({"name": "k", "domainRestrictions": "example.com"}, "invalid_parameter", "domainRestrictions"),
    ({"name": "k", "expiresAt": "2001-01-01T00:00:00Z"}, "invalid_parameter", "expiresAt"),
    ({"name": "k", "expiresAt": "next week"}, "invalid_parameter", "expiresAt"),
    ({"name": "k", "expiresAt": 1700000000}, "invalid_parameter", "expiresAt"),
    ({"name": "k", "expiresAt": "9999-12-31T23:59:59-01:00"}, "invalid_parameter", "expiresAt"),
    ({"name": "k", "rateLimit": {"requests": 0, "period": "second"}}, "invalid_parameter", "rateLimit.requests"),
    ({"name": "k", "rateLimit": {"requests": 5, "period": "day"}}, "invalid_parameter", "rateLimit.period"),
    ({"name": "k", "rateLimit": {"requests": 5}}, "invalid_parameter", "rateLimit.period"),
    ({"name": "k", "rateLimit": {"requests": "5", "period": "hour"}}, "invalid_parameter", "rateLimit.requests"),
    ({"name": "k", "rateLimit": {"requests": 5, "period": "hour", "burst": 2}}, "invalid_parameter",
     "rateLimit.burst"),
    ({"name": "k", "rateLimit": 5}, "invalid_parameter", "rateLimit"),
])
def test_create_validation(v1: V1, body: dict[str, Any], code: str, param: str) -> None:
    assert_v1_error(v1().post("/api-keys", json=body), 400, code, param=param)


def test_name_of_100_characters_is_fine(v1: V1) -> None:
    assert create(v1, name="x" * 100)["name"] == "x" * 100


def test_expires_at_with_an_offset_is_stored_in_utc(v1: V1, lettr_server: LettrServer) -> None:
    moment = (lettr_server.clock.now() + timedelta(days=2)).replace(microsecond=0)
    local = moment.astimezone(timezone(timedelta(hours=2))).isoformat()
    assert create(v1, expiresAt=local)["expiresAt"] == moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_validation_refuses_before_anything_is_stored(v1: V1, lettr_server: LettrServer) -> None:
    before = len(lettr_server.account.keys)
    v1().post("/api-keys", json={"name": "k", "permissions": ["nope"]})
    assert len(lettr_server.account.keys) == before


# -- list and get ---------------------------------------------------------------------------------

def test_list_and_get_never_show_the_key(v1: V1, lettr_server: LettrServer) -> None:
    created = create(v1)
    listing = v1().get("/api-keys", params={"limit": 100})
    assert listing.status_code == 200
    body = listing.json()
    assert body["object"] == "list" and body["totalCount"] == 2 and body["hasMore"] is False
    assert all(set(item) == KEY_FIELDS for item in body["data"])
    single = v1().get(f"/api-keys/{created['id']}")
    assert set(single.json()) == KEY_FIELDS
    for text in (listing.text, single.text):
        assert created["key"] not in text and lettr_server.admin_key not in text
        assert created["key"][7:] not in text


def test_list_is_newest_first_and_leaves_out_deleted_keys(v1: V1, lettr_server: LettrServer) -> None:
    a, b, c = create(v1, name="a"), create(v1, name="b"), create(v1, name="c")
    v1().delete(f"/api-keys/{b['id']}")
    names = [k["name"] for k in v1().get("/api-keys").json()["data"]]
    assert names == ["c", "a", "Admin key"]
    assert a["id"] != c["id"]


def test_get_unknown_or_deleted_key_is_404(v1: V1) -> None:
    assert_v1_error(v1().get("/api-keys/key_doesnotexist000000000000"), 404, "not_found")
    created = create(v1)
    v1().delete(f"/api-keys/{created['id']}")
    assert_v1_error(v1().get(f"/api-keys/{created['id']}"), 404, "not_found")


def test_last_used_at_follows_the_clock(v1: V1, lettr_server: LettrServer) -> None:
    created = create(v1)
    assert v1().get(f"/api-keys/{created['id']}").json()["lastUsedAt"] is None
    v1(created["key"]).get("/emails")
    first = parse(v1().get(f"/api-keys/{created['id']}").json()["lastUsedAt"])
    lettr_server.clock.advance(hours=3)
    v1(created["key"]).get("/emails")
    second = parse(v1().get(f"/api-keys/{created['id']}").json()["lastUsedAt"])
    assert second - first >= timedelta(hours=3) - timedelta(seconds=1)


def test_rotation_due_after_90_days(v1: V1, lettr_server: LettrServer) -> None:
    created = create(v1)
    lettr_server.clock.advance(days=89, hours=23)
    assert v1().get(f"/api-keys/{created['id']}").json()["rotationDue"] is False
    lettr_server.clock.advance(hours=1)
    fetched = v1().get(f"/api-keys/{created['id']}").json()
    assert fetched["rotationDue"] is True
    assert fetched["rotationDueAt"] == created["rotationDueAt"]
    assert all(k["rotationDue"] for k in v1().get("/api-keys").json()["data"])


# -- update ---------------------------------------------------------------------------------------

def test_update_changes_only_what_is_given(v1: V1) -> None:
    created = create(v1, permissions=["emails:send"], ipRestrictions=["127.0.0.1"])
    response = v1().patch(f"/api-keys/{created['id']}", json={"name": "renamed"})
    assert response.status_code == 200
    updated = response.json()
    assert set(updated) == KEY_FIELDS
    assert updated["name"] == "renamed"
    assert updated["permissions"] == ["emails:send"] and updated["ipRestrictions"] == ["127.0.0.1"]


def test_update_is_effective_at_once(v1: V1) -> None:
    created = create(v1, permissions=["emails:send", "emails:list"])
    client = v1(created["key"])
    assert client.get("/emails").status_code == 200
    v1().patch(f"/api-keys/{created['id']}", json={"permissions": ["emails:send"]})
    assert_v1_error(client.get("/emails"), 403, "forbidden")
    v1().patch(f"/api-keys/{created['id']}", json={"ipRestrictions": ["10.1.2.3"]})
    assert_v1_error(client.post("/emails", json=email()), 403, "forbidden")
    v1().patch(f"/api-keys/{created['id']}", json={"ipRestrictions": []})
    assert client.post("/emails", json=email()).status_code == 200


def test_update_clears_settings_with_null(v1: V1, lettr_server: LettrServer) -> None:
    expires = (lettr_server.clock.now() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    created = create(v1, expiresAt=expires, rateLimit={"requests": 1, "period": "hour"},
                     domainRestrictions=["example.com"], ipRestrictions=["127.0.0.1"])
    updated = v1().patch(f"/api-keys/{created['id']}", json={
        "expiresAt": None, "rateLimit": None, "domainRestrictions": None, "ipRestrictions": None}).json()
    assert updated["expiresAt"] is None and updated["rateLimit"] is None
    assert updated["domainRestrictions"] == [] and updated["ipRestrictions"] == []


def test_update_can_extend_an_expiry(v1: V1, lettr_server: LettrServer) -> None:
    created = create(v1, expiresAt=(lettr_server.clock.now() + timedelta(hours=1)).isoformat())
    later = (lettr_server.clock.now() + timedelta(days=7)).isoformat()
    assert v1().patch(f"/api-keys/{created['id']}", json={"expiresAt": later}).status_code == 200
    lettr_server.clock.advance(days=2)
    assert v1(created["key"]).get("/emails").status_code == 200


@pytest.mark.parametrize(("body", "code", "param"), [
    ({"name": ""}, "invalid_parameter", "name"),
    ({"name": None}, "missing_parameter", "name"),
    ({"permissions": ["emails:nope"]}, "invalid_parameter", "permissions.0"),
    ({"permissions": None}, "invalid_parameter", "permissions"),
    ({"ipRestrictions": ["300.0.0.1"]}, "invalid_parameter", "ipRestrictions.0"),
    ({"expiresAt": "2000-01-01T00:00:00Z"}, "invalid_parameter", "expiresAt"),
    ({"rateLimit": {"requests": -1, "period": "second"}}, "invalid_parameter", "rateLimit.requests"),
    ({"ipRestriction": ["10.0.0.1"]}, "invalid_parameter", "ipRestriction"),
    ({"id": "key_other"}, "invalid_parameter", "id"),
])
def test_update_validation(v1: V1, body: dict[str, Any], code: str, param: str) -> None:
    created = create(v1)
    assert_v1_error(v1().patch(f"/api-keys/{created['id']}", json=body), 400, code, param=param)
    unchanged = v1().get(f"/api-keys/{created['id']}").json()
    assert unchanged == {k: v for k, v in created.items() if k != "key"}


def test_update_unknown_key_is_404(v1: V1) -> None:
    assert_v1_error(v1().patch("/api-keys/key_unknown00000000000000000", json={"name": "x"}), 404, "not_found")


def test_update_is_audited_with_what_changed(v1: V1, lettr_server: LettrServer) -> None:
    created = create(v1)
    v1().patch(f"/api-keys/{created['id']}", json={"name": "renamed", "permissions": ["*"]})
    entries = [e for e in lettr_server.audit_log if e.action == "api_key.updated"]
    assert len(entries) == 1 and entries[0].resource_id == created["id"]
    assert entries[0].metadata["changes"] == {"name": "renamed"}


# -- delete ---------------------------------------------------------------------------------------

def test_delete(v1: V1, lettr_server: LettrServer) -> None:
    created = create(v1)
    response = v1().delete(f"/api-keys/{created['id']}")
    assert response.status_code == 200
    assert response.json() == {"id": created["id"], "object": "api_key", "deleted": True}
    assert_v1_error(v1().delete(f"/api-keys/{created['id']}"), 404, "not_found")
    assert [e.action for e in lettr_server.audit_log].count("api_key.deleted") == 1


def test_a_key_cannot_delete_itself(v1: V1, lettr_server: LettrServer) -> None:
    admin_id = lettr_server.account.admin_key.id
    assert_v1_error(v1().delete(f"/api-keys/{admin_id}"), 400, "cannot_delete_self", param="id")
    assert v1().get("/emails").status_code == 200


def test_delete_unknown_key_is_404(v1: V1) -> None:
    assert_v1_error(v1().delete("/api-keys/key_unknown00000000000000000"), 404, "not_found")


# -- rotate ---------------------------------------------------------------------------------------

def test_rotate_makes_a_new_key_with_the_same_settings(v1: V1, lettr_server: LettrServer) -> None:
    old = create(v1, name="svc", permissions=["emails:send"], ipRestrictions=["127.0.0.0/8"],
                 domainRestrictions=["example.com"], rateLimit={"requests": 50, "period": "minute"})
    lettr_server.clock.advance(days=100)
    response = v1().post(f"/api-keys/{old['id']}/rotate")
    assert response.status_code == 201, response.text
    new = response.json()
    assert set(new) == KEY_FIELDS | {"key"}
    assert new["id"] != old["id"] and new["key"] != old["key"]
    for field in ("name", "permissions", "ipRestrictions", "domainRestrictions", "rateLimit"):
        assert new[field] == old[field], field
    assert new["rotationDue"] is False
    assert parse(new["createdAt"]) - parse(old["createdAt"]) >= timedelta(days=100)
    assert v1(new["key"]).post("/emails", json=email()).status_code == 200
    assert_v1_error(v1(old["key"]).post("/emails", json=email()), 401, "unauthorized")
    assert_v1_error(v1().get(f"/api-keys/{old['id']}"), 404, "not_found")
    assert old["key"] not in v1().get("/api-keys").text and new["key"] not in v1().get("/api-keys").text


def test_rotate_with_a_grace_period(v1: V1, lettr_server: LettrServer) -> None:
    old = create(v1)
    response = v1().post(f"/api-keys/{old['id']}/rotate", json={"gracePeriodSeconds": 3600})
    new = response.json()
    lettr_server.clock.advance(minutes=59, seconds=59)
    assert v1(old["key"]).get("/emails").status_code == 200
    assert v1(new["key"]).get("/emails").status_code == 200
    assert {old["id"], new["id"]} <= {k["id"] for k in v1().get("/api-keys").json()["data"]}
    lettr_server.clock.advance(seconds=1)
    assert_v1_error(v1(old["key"]).get("/emails"), 401, "unauthorized")
    assert v1(new["key"]).get("/emails").status_code == 200
    assert old["id"] not in {k["id"] for k in v1().get("/api-keys").json()["data"]}


def test_a_key_can_rotate_itself(v1: V1, lettr_server: LettrServer) -> None:
    created = create(v1, permissions=["api-keys:create", "emails:send"])
    new = v1(created["key"]).post(f"/api-keys/{created['id']}/rotate", json={"gracePeriodSeconds": 60})
    assert new.status_code == 201
    assert v1(created["key"]).post("/emails", json=email()).status_code == 200
    lettr_server.clock.advance(seconds=60)
    assert_v1_error(v1(created["key"]).get("/emails"), 401, "unauthorized")
    assert v1(new.json()["key"]).post("/emails", json=email()).status_code == 200


def test_rotate_refuses_unknown_fields(v1: V1) -> None:
    old = create(v1)
    assert_v1_error(v1().post(f"/api-keys/{old['id']}/rotate", json={"grace": 60}), 400, "invalid_parameter",
             param="grace")
    assert v1(old["key"]).get("/emails").status_code == 200


@pytest.mark.parametrize("grace", [-1, "60", 1.5, True, 30 * 24 * 3600 + 1])
def test_rotate_validates_the_grace_period(v1: V1, grace: object) -> None:
    old = create(v1)
    response = v1().post(f"/api-keys/{old['id']}/rotate", json={"gracePeriodSeconds": grace})
    assert_v1_error(response, 400, "invalid_parameter", param="gracePeriodSeconds")
    assert v1(old["key"]).get("/emails").status_code == 200


def test_rotate_unknown_key_is_404(v1: V1) -> None:
    assert_v1_error(v1().post("/api-keys/key_unknown00000000000000000/rotate"), 404, "not_found")


def test_audit_entries_never_hold_a_key(v1: V1, lettr_server: LettrServer) -> None:
    old = create(v1)
    new = v1().post(f"/api-keys/{old['id']}/rotate", json={"gracePeriodSeconds": 10}).json()
    v1().delete(f"/api-keys/{new['id']}")
    actions = [e.action for e in lettr_server.audit_log]
    assert {"api_key.created", "api_key.rotated", "api_key.deleted"} <= set(actions)
    dump = repr(lettr_server.audit_log)
    for secret in (old["key"], new["key"], lettr_server.admin_key):
        assert secret not in dump and secret[7:] not in dump
