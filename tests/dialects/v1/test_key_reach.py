"""What a key may do to keys beyond the escalation rules: a key whose revocation is scheduled (a
rotated key in its grace period) manages no keys, rotation never postpones a revocation, and a
``le_test_`` key reaches only ``le_test_`` keys."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_lettr import LettrServer

from . import V1, assert_v1_error, email

THIRTY_DAYS = 30 * 24 * 3600
MANAGER = ["api-keys:*", "emails:send"]


def _rotate(v1: V1, caller: str | None, key_id: str, grace: int = 0) -> Any:
    return v1(caller).post(f"/api-keys/{key_id}/rotate", json={"gracePeriodSeconds": grace})


def _key_ids(lettr_server: LettrServer) -> list[str]:
    return [k.id for k in lettr_server.account.keys]


# -- a key whose revocation is scheduled ----------------------------------------------------------

def test_a_key_in_its_grace_period_cannot_rotate_itself_to_outlive_the_rotation(v1: V1,
                                                                                lettr_server: LettrServer) -> None:
    leaked = lettr_server.create_key("leaked", permissions=MANAGER)
    assert _rotate(v1, None, leaked.id, grace=3600).status_code == 201  # the admin rotates the leaked key
    stored = _key_ids(lettr_server)

    refused = _rotate(v1, leaked.key, leaked.id, grace=THIRTY_DAYS)
    error = assert_v1_error(refused, 403, "forbidden")
    assert "revocation is scheduled" in error["message"]
    assert _key_ids(lettr_server) == stored
    forbidden = [e for e in lettr_server.audit_log if e.action == "auth.forbidden"]
    assert forbidden[-1].metadata["restriction"] == "revocation_scheduled"

    lettr_server.clock.advance(hours=1)
    assert_v1_error(v1(leaked.key).get("/emails"), 401, "unauthorized")


@pytest.mark.parametrize(("method", "path", "body"), [
    ("POST", "/api-keys", {"name": "successor", "permissions": MANAGER}),
    ("PATCH", "/api-keys/{self}", {"name": "renamed"}),
    ("PATCH", "/api-keys/{other}", {"name": "renamed"}),
    ("POST", "/api-keys/{other}/rotate", {"gracePeriodSeconds": THIRTY_DAYS}),
    ("DELETE", "/api-keys/{other}", None),
], ids=["create a successor", "update itself", "update another key", "rotate another key", "delete another key"])
def test_a_key_in_its_grace_period_manages_no_keys(v1: V1, lettr_server: LettrServer, method: str, path: str,
                                                   body: dict[str, Any] | None) -> None:
    leaked = lettr_server.create_key("leaked", permissions=MANAGER)
    other = lettr_server.create_key("other", permissions=["emails:send"])
    assert _rotate(v1, None, leaked.id, grace=3600).status_code == 201
    before = [(k.id, k.name, k.revoked_at, k.revokes_at) for k in lettr_server.account.keys]

    response = v1(leaked.key).request(method, path.format(self=leaked.id, other=other.id), json=body)
    assert_v1_error(response, 403, "forbidden")
    assert [(k.id, k.name, k.revoked_at, k.revokes_at) for k in lettr_server.account.keys] == before
    assert v1(leaked.key).post("/emails", json=email()).status_code == 200  # it still sends until the end


def test_rotating_a_key_again_never_postpones_its_revocation(v1: V1, lettr_server: LettrServer) -> None:
    old = lettr_server.create_key("svc", permissions=["emails:send"])
    assert _rotate(v1, None, old.id, grace=3600).status_code == 201
    again = _rotate(v1, None, old.id, grace=THIRTY_DAYS)
    assert again.status_code == 201
    lettr_server.clock.advance(hours=1)
    assert_v1_error(v1(old.key).get("/emails"), 401, "unauthorized")
    assert v1(again.json()["key"]).post("/emails", json=email()).status_code == 200


def test_rotating_a_key_again_may_bring_its_revocation_forward(v1: V1, lettr_server: LettrServer) -> None:
    old = lettr_server.create_key("svc", permissions=["emails:send"])
    assert _rotate(v1, None, old.id, grace=THIRTY_DAYS).status_code == 201
    assert _rotate(v1, None, old.id, grace=0).status_code == 201
    assert_v1_error(v1(old.key).get("/emails"), 401, "unauthorized")


# -- test keys reach test keys only ---------------------------------------------------------------

def test_a_test_key_cannot_rotate_a_live_key(v1: V1, lettr_server: LettrServer) -> None:
    tester = lettr_server.create_key("tester", MANAGER, mode="test")
    live = lettr_server.create_key("live", ["emails:send"])
    stored = _key_ids(lettr_server)
    error = assert_v1_error(_rotate(v1, tester.key, live.id), 403, "forbidden")
    assert "le_test_" in error["message"]
    assert _key_ids(lettr_server) == stored
    assert v1(live.key).post("/emails", json=email()).status_code == 200  # not revoked either


def test_a_test_key_cannot_update_a_live_key(v1: V1, lettr_server: LettrServer) -> None:
    tester = lettr_server.create_key("tester", MANAGER, mode="test")
    live = lettr_server.create_key("live", ["emails:send"])
    assert_v1_error(v1(tester.key).patch(f"/api-keys/{live.id}", json={"name": "mine now"}), 403, "forbidden")
    assert lettr_server.account.keys.get(live.id).name == "live"


def test_a_test_key_rotates_and_creates_test_keys_only(v1: V1, lettr_server: LettrServer) -> None:
    tester = lettr_server.create_key("tester", MANAGER, mode="test")
    other = lettr_server.create_key("other test key", ["emails:send"], mode="test")
    rotated = _rotate(v1, tester.key, other.id)
    assert rotated.status_code == 201 and rotated.json()["key"].startswith("le_test_")
    created = v1(tester.key).post("/api-keys", json={"name": "new", "permissions": ["emails:send"]})
    assert created.status_code == 201 and created.json()["key"].startswith("le_test_")


def test_a_rotated_key_keeps_the_mode_of_the_key_rotated(v1: V1, lettr_server: LettrServer) -> None:
    """The caller's mode never leaks into the new key: a live admin rotating a test key gets a test key."""
    tester = lettr_server.create_key("tester", ["emails:send"], mode="test")
    current = lettr_server.create_key("current", ["emails:send"], mode="api")
    assert _rotate(v1, None, tester.id).json()["key"].startswith("le_test_")
    assert _rotate(v1, None, current.id).json()["key"].startswith("lttr_")
