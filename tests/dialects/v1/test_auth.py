"""Authentication (v1 §1, §2): ``Authorization: Bearer <key>``, 401 ``unauthorized`` and ``key_expired``."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from pytest_lettr import LettrServer

from . import V1, assert_v1_error, email

FOUNDATION_ENDPOINTS = [
    ("POST", "/api-keys"),
    ("GET", "/api-keys"),
    ("GET", "/api-keys/key_000000000000000000000000"),
    ("PATCH", "/api-keys/key_000000000000000000000000"),
    ("DELETE", "/api-keys/key_000000000000000000000000"),
    ("POST", "/api-keys/key_000000000000000000000000/rotate"),
    ("POST", "/emails"),
    ("POST", "/emails/batch"),
    ("GET", "/emails"),
    ("GET", "/emails/email_000000000000000000000000"),
    ("DELETE", "/emails/email_000000000000000000000000"),
]


@pytest.mark.parametrize(("method", "path"), FOUNDATION_ENDPOINTS)
def test_every_endpoint_needs_a_key(v1: V1, method: str, path: str) -> None:
    response = v1(auth=False).request(method, path, json={} if method in ("POST", "PATCH") else None)
    assert_v1_error(response, 401, "unauthorized")
    assert "X-RateLimit-Limit" not in response.headers


@pytest.mark.parametrize("header", [
    "Basic dXNlcjpwYXNz",
    "Bearer",
    "Token le_" + "a" * 36,
    "le_" + "a" * 36,
    "Bearer le_short",
    "Bearer le_" + "a" * 37,
    "Bearer le_" + "a" * 35 + "!",
    "Bearer lx_" + "a" * 36,
])
def test_malformed_authorization_is_401(v1: V1, header: str) -> None:
    response = v1(auth=False, headers={"Authorization": header}).get("/emails")
    assert_v1_error(response, 401, "unauthorized")


def test_unknown_well_formed_key_is_401(v1: V1) -> None:
    assert_v1_error(v1("le_" + "Z" * 36).get("/emails"), 401, "unauthorized")


def test_401_never_echoes_the_key(v1: V1) -> None:
    token = "le_" + "Q1w2E3r4T5" * 3 + "Y6u7I8"
    response = v1(token).get("/emails")
    assert_v1_error(response, 401, "unauthorized")
    assert token not in response.text and token[3:] not in response.text


def test_scheme_is_case_insensitive(v1: V1, lettr_server: LettrServer) -> None:
    client = v1(auth=False, headers={"Authorization": f"bearer {lettr_server.admin_key}"})
    assert client.get("/emails").status_code == 200


def test_two_authorization_headers_are_refused(lettr_server: LettrServer) -> None:
    headers = [("Authorization", f"Bearer {lettr_server.admin_key}"),
               ("Authorization", f"Bearer {lettr_server.admin_key}")]
    response = httpx.get(lettr_server.v1_url + "/emails", headers=headers)
    assert_v1_error(response, 401, "unauthorized")


def test_key_in_query_string_is_never_accepted(v1: V1, lettr_server: LettrServer) -> None:
    alone = v1(auth=False).get("/emails", params={"api_key": lettr_server.admin_key})
    assert_v1_error(alone, 401, "unauthorized")
    with_header_too = v1().get("/emails", params={"api_key": lettr_server.admin_key})
    assert_v1_error(with_header_too, 401, "unauthorized")
    assert lettr_server.admin_key not in alone.text


@pytest.mark.parametrize("name", ["apiKey", "key", "token", "access_token", "starting_after"])
def test_a_key_under_any_query_name_is_refused(v1: V1, lettr_server: LettrServer, name: str) -> None:
    response = v1().get("/emails", params={name: lettr_server.admin_key})
    error = assert_v1_error(response, 401, "unauthorized")
    assert "query string" in error["message"] and lettr_server.admin_key not in response.text


def test_live_and_test_mode_keys_both_work(v1: V1, lettr_server: LettrServer) -> None:
    live = lettr_server.create_key("live")
    test = lettr_server.create_key("test", mode="test")
    assert live.key.startswith("le_") and len(live.key) == 39
    assert test.key.startswith("le_test_") and len(test.key) == 44
    for key in (live.key, test.key):
        assert v1(key).post("/emails", json=email()).status_code == 200


def test_a_key_made_by_a_test_mode_key_is_a_test_mode_key(v1: V1, lettr_server: LettrServer) -> None:
    test = lettr_server.create_key("test", mode="test")
    created = v1(test.key).post("/api-keys", json={"name": "child"}).json()
    assert created["key"].startswith("le_test_") and created["keyPrefix"] == "le_test"


def test_deleted_key_gets_401_on_its_next_request(v1: V1, lettr_server: LettrServer) -> None:
    victim = lettr_server.create_key("victim")
    client = v1(victim.key)
    assert client.get("/emails").status_code == 200
    assert v1().delete(f"/api-keys/{victim.id}").status_code == 200
    assert_v1_error(client.get("/emails"), 401, "unauthorized")


def test_expired_key_gets_key_expired(v1: V1, lettr_server: LettrServer) -> None:
    expires = lettr_server.clock.now() + timedelta(hours=1)
    key = lettr_server.create_key("short-lived", expires_at=expires)
    client = v1(key.key)
    assert client.get("/emails").status_code == 200
    lettr_server.clock.advance(minutes=59)
    assert client.get("/emails").status_code == 200
    lettr_server.clock.advance(minutes=1)
    error = assert_v1_error(client.get("/emails"), 401, "key_expired")
    assert "expired" in error["message"].lower()


def test_revoked_key_past_its_expiry_is_unauthorized_not_expired(v1: V1, lettr_server: LettrServer) -> None:
    key = lettr_server.create_key("gone", expires_at=lettr_server.clock.now() + timedelta(minutes=1))
    v1().delete(f"/api-keys/{key.id}")
    lettr_server.clock.advance(minutes=2)
    assert_v1_error(v1(key.key).get("/emails"), 401, "unauthorized")


def test_refusals_are_audited_with_the_prefix_only(v1: V1, lettr_server: LettrServer) -> None:
    token = "le_" + "x" * 36
    v1(token).get("/emails")
    failed = [e for e in lettr_server.audit_log if e.action == "auth.failed"]
    assert len(failed) == 1
    assert failed[0].metadata["key_prefix"] == token[:7]
    assert failed[0].metadata["reason"] == "unauthorized"
    assert token not in repr(failed[0])


def test_sandbox_keys_are_refused_on_v1(v1: V1, lettr_server: LettrServer) -> None:
    sandbox = lettr_server.create_key("sandbox", mode="sandbox")
    client = v1(sandbox.key)
    error = assert_v1_error(client.post("/emails", json=email()), 403, "forbidden")
    assert "sandbox" in error["message"].lower()
    assert_v1_error(client.post("/api-keys", json={"name": "escape"}), 403, "forbidden")
    assert len(lettr_server.emails) == 0 and len(lettr_server.account.keys) == 2
    assert lettr_server.audit_log[-1].metadata["restriction"] == "sandbox"


def test_current_api_keys_work_on_v1(v1: V1, lettr_server: LettrServer) -> None:
    current = lettr_server.create_key("sdk", mode="api")
    assert v1(current.key).post("/emails", json=email()).status_code == 200
