"""v1 team (§5) through the wire: members, owner rules, ownership transfer, settings, audit entries."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from pytest_lettr import LettrServer
from pytest_lettr.state.team import ROLE_MATRIX, permissions_for

from . import error_body as error


def active_member(server: LettrServer, email: str, role: str) -> str:
    member = server.team.invite(email, role)
    server.team.accept(member.id)
    return member.id


# -- members ------------------------------------------------------------------------------------
def test_a_fresh_team_has_one_active_owner(client: httpx.Client, lettr_server: LettrServer) -> None:
    body = client.get("/team/members").json()
    assert body["object"] == "list" and body["totalCount"] == 1 and body["hasMore"] is False
    owner = body["data"][0]
    assert owner["object"] == "team_member" and owner["id"].startswith("mem_") and len(owner["id"]) == 28
    assert (owner["role"], owner["status"]) == ("owner", "active")
    assert owner["email"] == lettr_server.team.owner.email
    assert set(owner) == {"id", "object", "email", "name", "role", "status", "twoFactorEnabled", "lastLoginAt",
                          "createdAt", "invitedBy"}


def test_invite_creates_a_pending_member_invited_by_the_keys_owner(
        client: httpx.Client, lettr_server: LettrServer) -> None:
    response = client.post("/team/members", json={"email": "grace@example.com", "role": "developer"})
    assert response.status_code == 201
    member = response.json()
    assert (member["email"], member["role"], member["status"]) == ("grace@example.com", "developer", "pending")
    assert member["invitedBy"] == lettr_server.team.owner.id
    assert client.get(f"/team/members/{member['id']}").json() == member


def test_invite_records_an_audit_entry_with_actor_ip_and_user_agent(
        client: httpx.Client, lettr_server: LettrServer) -> None:
    member = client.post("/team/members", json={"email": "grace@example.com", "role": "analyst"},
                         headers={"User-Agent": "team-admin/2.0"}).json()
    entry = lettr_server.audit_log[-1]
    assert entry.action == "team.invited"
    assert (entry.resource_type, entry.resource_id) == ("team_member", member["id"])
    assert entry.actor_id == lettr_server.account.admin_key.id and entry.actor_type == "api_key"
    assert entry.ip_address == "127.0.0.1" and entry.user_agent == "team-admin/2.0"
    assert entry.metadata == {"email": "grace@example.com", "role": "analyst"}


def test_inviting_an_existing_address_is_a_conflict_whatever_its_case(client: httpx.Client) -> None:
    assert client.post("/team/members", json={"email": "grace@example.com", "role": "developer"}).status_code == 201
    response = client.post("/team/members", json={"email": "Grace@Example.com", "role": "admin"})
    assert response.status_code == 409
    assert error(response) == {"code": "conflict", "param": "email",
                               "message": "'Grace@Example.com' is already a member of this team"}


@pytest.mark.parametrize(("body", "status", "code", "param"), [
    ({"email": "grace@example.com", "role": "owner"}, 400, "invalid_parameter", "role"),
    ({"email": "grace@example.com", "role": "superuser"}, 400, "invalid_parameter", "role"),
    ({"email": "grace@example.com", "role": 3}, 400, "invalid_parameter", "role"),
    ({"email": "grace@example.com"}, 400, "missing_parameter", "role"),
    ({"role": "admin"}, 400, "missing_parameter", "email"),
    ({"email": "not an address", "role": "admin"}, 400, "invalid_parameter", "email"),
    ({"email": ["grace@example.com"], "role": "admin"}, 400, "invalid_parameter", "email"),
    ({"email": "grace@example.com", "role": "admin", "permissions": ["*"]}, 400, "invalid_parameter",
     "permissions"),
])
def test_invite_validation(client: httpx.Client, lettr_server: LettrServer, body: dict[str, Any], status: int,
                           code: str, param: str) -> None:
    response = client.post("/team/members", json=body)
    assert response.status_code == status
    assert (error(response)["code"], error(response)["param"]) == (code, param)
    assert len(lettr_server.team) == 1
    assert "team.invited" not in lettr_server.account.audit.actions()


def test_inviting_the_owner_role_points_at_transfer(client: httpx.Client) -> None:
    response = client.post("/team/members", json={"email": "grace@example.com", "role": "owner"})
    assert "transfer-ownership" in error(response)["message"]


def test_list_filters_by_role_and_status(client: httpx.Client, lettr_server: LettrServer) -> None:
    active_member(lettr_server, "ada@example.com", "admin")
    lettr_server.team.invite("grace@example.com", "admin")
    lettr_server.team.invite("linus@example.com", "developer")
    admins = client.get("/team/members", params={"role": "admin"}).json()
    assert sorted(m["email"] for m in admins["data"]) == ["ada@example.com", "grace@example.com"]
    pending_admins = client.get("/team/members", params={"role": "admin", "status": "pending"}).json()
    assert [m["email"] for m in pending_admins["data"]] == ["grace@example.com"]
    assert pending_admins["totalCount"] == 1
    for name, value in (("role", "root"), ("status", "invited")):
        response = client.get("/team/members", params={name: value})
        assert response.status_code == 400 and error(response)["param"] == name


def test_list_is_paginated_newest_first(client: httpx.Client, lettr_server: LettrServer) -> None:
    for i in range(4):
        lettr_server.team.invite(f"user{i}@example.com", "analyst")
    first = client.get("/team/members", params={"limit": 2}).json()
    assert [m["email"] for m in first["data"]] == ["user3@example.com", "user2@example.com"]
    assert first["hasMore"] is True and first["totalCount"] == 5
    rest = client.get("/team/members", params={"limit": 10, "starting_after": first["data"][-1]["id"]}).json()
    assert [m["email"] for m in rest["data"]] == ["user1@example.com", "user0@example.com",
                                                  lettr_server.team.owner.email]
    assert rest["hasMore"] is False


def test_unknown_member_is_not_found(client: httpx.Client) -> None:
    for response in (client.get("/team/members/mem_missing"),
                     client.patch("/team/members/mem_missing", json={"role": "admin"}),
                     client.delete("/team/members/mem_missing")):
        assert response.status_code == 404 and error(response)["code"] == "not_found"


def test_changing_a_role_is_audited_with_from_and_to(client: httpx.Client, lettr_server: LettrServer) -> None:
    member_id = active_member(lettr_server, "grace@example.com", "developer")
    response = client.patch(f"/team/members/{member_id}", json={"role": "admin"})
    assert response.status_code == 200 and response.json()["role"] == "admin"
    entry = lettr_server.audit_log[-1]
    assert entry.action == "team.member_updated" and entry.resource_id == member_id
    assert entry.metadata == {"email": "grace@example.com", "changes": {"role": {"from": "developer", "to": "admin"}}}
    before = len(lettr_server.audit_log)
    assert client.patch(f"/team/members/{member_id}", json={"role": "admin"}).status_code == 200
    assert len(lettr_server.audit_log) == before  # nothing changed, nothing recorded


def test_the_owners_role_cannot_be_changed(client: httpx.Client, lettr_server: LettrServer) -> None:
    owner = lettr_server.team.owner
    response = client.patch(f"/team/members/{owner.id}", json={"role": "developer"})
    assert response.status_code == 400
    assert error(response)["code"] == "cannot_modify_owner"
    assert owner.role == "owner"


@pytest.mark.parametrize(("body", "code"), [
    ({"role": "owner"}, "invalid_parameter"),
    ({"role": "god"}, "invalid_parameter"),
    ({}, "missing_parameter"),
    ({"role": "admin", "email": "x@example.com"}, "invalid_parameter"),
])
def test_role_change_validation(client: httpx.Client, lettr_server: LettrServer, body: dict[str, Any],
                                code: str) -> None:
    member_id = active_member(lettr_server, "grace@example.com", "developer")
    response = client.patch(f"/team/members/{member_id}", json=body)
    assert response.status_code == 400 and error(response)["code"] == code
    assert lettr_server.team.get(member_id).role == "developer"


def test_removing_a_member(client: httpx.Client, lettr_server: LettrServer) -> None:
    member_id = active_member(lettr_server, "grace@example.com", "billing")
    response = client.delete(f"/team/members/{member_id}")
    assert response.status_code == 200
    assert response.json() == {"id": member_id, "object": "team_member", "deleted": True}
    assert client.get(f"/team/members/{member_id}").status_code == 404
    entry = lettr_server.audit_log[-1]
    assert (entry.action, entry.resource_id) == ("team.member_removed", member_id)
    assert entry.metadata == {"email": "grace@example.com", "role": "billing"}
    # The address may be invited again once removed.
    assert client.post("/team/members", json={"email": "grace@example.com", "role": "billing"}).status_code == 201


def test_the_owner_cannot_be_removed(client: httpx.Client, lettr_server: LettrServer) -> None:
    response = client.delete(f"/team/members/{lettr_server.team.owner.id}")
    assert response.status_code == 400 and error(response)["code"] == "cannot_remove_owner"
    assert len(lettr_server.team) == 1


# -- ownership ----------------------------------------------------------------------------------
def test_transfer_ownership_to_an_active_admin(client: httpx.Client, lettr_server: LettrServer) -> None:
    old_owner = lettr_server.team.owner
    admin_id = active_member(lettr_server, "ada@example.com", "admin")
    response = client.post("/team/transfer-ownership", json={"newOwnerId": admin_id})
    assert response.status_code == 200
    assert response.json()["id"] == admin_id and response.json()["role"] == "owner"
    assert lettr_server.team.owner.id == admin_id
    assert client.get(f"/team/members/{old_owner.id}").json()["role"] == "admin"
    entry = lettr_server.audit_log[-1]
    assert entry.action == "team.ownership_transferred" and entry.resource_id == admin_id
    assert entry.metadata == {"previous_owner_id": old_owner.id, "previous_owner_email": old_owner.email,
                              "new_owner_id": admin_id, "new_owner_email": "ada@example.com"}
    shown = client.get("/audit-logs", params={"action": "team.ownership_transferred"}).json()["data"][0]
    assert shown["metadata"]["previousOwnerId"] == old_owner.id  # v1 shows camelCase
    # The former owner is an ordinary admin now: its role may change, and it may be removed.
    assert client.patch(f"/team/members/{old_owner.id}", json={"role": "developer"}).status_code == 200
    assert client.delete(f"/team/members/{admin_id}").status_code == 400


@pytest.mark.parametrize("target", ["pending admin", "active developer", "unknown", "the owner"])
def test_transfer_needs_an_active_admin(client: httpx.Client, lettr_server: LettrServer, target: str) -> None:
    ids = {
        "pending admin": lettr_server.team.invite("grace@example.com", "admin").id,
        "active developer": active_member(lettr_server, "linus@example.com", "developer"),
        "unknown": "mem_" + "x" * 24,
        "the owner": lettr_server.team.owner.id,
    }
    owner_id = lettr_server.team.owner.id
    response = client.post("/team/transfer-ownership", json={"newOwnerId": ids[target]})
    assert response.status_code == 400
    assert (error(response)["code"], error(response)["param"]) == ("invalid_parameter", "newOwnerId")
    assert lettr_server.team.owner.id == owner_id


def test_transfer_needs_new_owner_id(client: httpx.Client) -> None:
    response = client.post("/team/transfer-ownership", json={})
    assert response.status_code == 400
    assert (error(response)["code"], error(response)["param"]) == ("missing_parameter", "newOwnerId")


# -- settings -----------------------------------------------------------------------------------
def test_settings_default(client: httpx.Client) -> None:
    assert client.get("/team/settings").json() == {"object": "team_settings", "require2FA": False,
                                                   "ssoEnabled": False, "ssoProvider": None, "plan": "pro"}


def test_requiring_2fa_is_audited(client: httpx.Client, lettr_server: LettrServer) -> None:
    response = client.patch("/team/settings", json={"require2FA": True})
    assert response.status_code == 200 and response.json()["require2FA"] is True
    entry = lettr_server.audit_log[-1]
    assert (entry.action, entry.resource_type) == ("team.settings_updated", "team_settings")
    assert entry.metadata == {"changes": {"require_2fa": {"from": False, "to": True}}}
    assert lettr_server.team.settings.require_2fa is True
    logged = client.get("/audit-logs", params={"action": "team.settings_updated"}).json()["data"]
    assert logged[0]["metadata"] == {"changes": {"require2FA": {"from": False, "to": True}}}


@pytest.mark.parametrize("body", [{"ssoEnabled": True, "ssoProvider": "okta"}, {"ssoEnabled": True},
                                  {"ssoProvider": "saml"}])
@pytest.mark.parametrize("plan", [pytest.param("free", marks=pytest.mark.lettr(plan="free")), "pro"])
def test_sso_needs_the_enterprise_plan(client: httpx.Client, lettr_server: LettrServer, body: dict[str, Any],
                                       plan: str) -> None:
    assert lettr_server.team.settings.plan == plan
    response = client.patch("/team/settings", json=body)
    assert response.status_code == 403
    assert error(response)["code"] == "plan_required" and f"on '{plan}'" in error(response)["message"]
    assert client.get("/team/settings").json()["ssoEnabled"] is False
    assert "team.settings_updated" not in lettr_server.account.audit.actions()


@pytest.mark.lettr(plan="enterprise")
def test_sso_on_enterprise(client: httpx.Client, lettr_server: LettrServer) -> None:
    response = client.patch("/team/settings", json={"ssoEnabled": True, "ssoProvider": "azure_ad"})
    assert response.status_code == 200
    assert response.json() == {"object": "team_settings", "require2FA": False, "ssoEnabled": True,
                               "ssoProvider": "azure_ad", "plan": "enterprise"}
    assert lettr_server.audit_log[-1].metadata == {"changes": {"sso_enabled": {"from": False, "to": True},
                                                               "sso_provider": {"from": None, "to": "azure_ad"}}}
    logged = client.get("/audit-logs", params={"action": "team.settings_updated"}).json()["data"]
    assert logged[0]["metadata"] == {"changes": {"ssoEnabled": {"from": False, "to": True},
                                                 "ssoProvider": {"from": None, "to": "azure_ad"}}}
    off = client.patch("/team/settings", json={"ssoEnabled": False})
    assert off.json()["ssoEnabled"] is False and off.json()["ssoProvider"] == "azure_ad"


@pytest.mark.lettr(plan="enterprise")
@pytest.mark.parametrize(("body", "param"), [
    ({"ssoEnabled": True}, "ssoProvider"),
    ({"ssoEnabled": True, "ssoProvider": "ldap"}, "ssoProvider"),
    ({"ssoEnabled": "yes"}, "ssoEnabled"),
    ({"require2FA": 1}, "require2FA"),
    ({"plan": "free"}, "plan"),
    ({"theme": "dark"}, "theme"),
])
def test_settings_validation(client: httpx.Client, body: dict[str, Any], param: str) -> None:
    response = client.patch("/team/settings", json=body)
    assert response.status_code == 400
    assert (error(response)["code"], error(response)["param"]) == ("invalid_parameter", param)


def test_turning_sso_off_is_allowed_on_any_plan(client: httpx.Client, lettr_server: LettrServer) -> None:
    response = client.patch("/team/settings", json={"ssoEnabled": False, "ssoProvider": None})
    assert response.status_code == 200
    assert "team.settings_updated" not in lettr_server.account.audit.actions()  # nothing changed


# -- permissions and the role matrix -----------------------------------------------------------
def test_team_endpoints_need_team_permissions(lettr_server: LettrServer, v1: Callable[..., httpx.Client]) -> None:
    reader = lettr_server.create_key("reader", permissions=["team:read"])
    client = v1(reader.key)
    assert client.get("/team/members").status_code == 200
    assert client.get("/team/settings").status_code == 200
    for response in (client.post("/team/members", json={"email": "g@example.com", "role": "admin"}),
                     client.patch("/team/settings", json={"require2FA": True}),
                     client.post("/team/transfer-ownership", json={"newOwnerId": "mem_x"})):
        assert response.status_code == 403
        assert error(response)["requiredPermission"] == "team:write"
    refused = [e for e in lettr_server.audit_log if e.action == "auth.forbidden"]
    assert len(refused) == 3 and {e.metadata["required_permission"] for e in refused} == {"team:write"}
    assert lettr_server.permissions_used(reader.id) == {"team:read"}


@pytest.mark.parametrize(("role", "capability", "allowed"), [
    ("owner", "billing:manage", True),
    ("owner", "account:delete", True),
    ("admin", "team:write", True),
    ("admin", "billing:manage", False),
    ("admin", "account:delete", False),
    ("developer", "emails:send", True),
    ("developer", "domains:create", True),
    ("developer", "api-keys:create", True),
    ("developer", "webhooks:update", True),
    ("developer", "analytics:read", True),
    ("developer", "team:write", False),
    ("developer", "audit-logs:read", False),
    ("analyst", "analytics:read", True),
    ("analyst", "audit-logs:read", True),
    ("analyst", "emails:send", False),
    ("analyst", "domains:create", False),
    ("billing", "billing:manage", True),
    ("billing", "analytics:read", False),
])
def test_role_matrix(lettr_server: LettrServer, role: str, capability: str, allowed: bool) -> None:
    assert lettr_server.team.can(role, capability) is allowed
    assert (capability in lettr_server.team.matrix[role]) is allowed


def test_role_matrix_rejects_unknown_names(lettr_server: LettrServer) -> None:
    with pytest.raises(ValueError, match="unknown role"):
        lettr_server.team.can("root", "emails:send")
    with pytest.raises(ValueError, match="unknown capability"):
        lettr_server.team.can("admin", "emails:teleport")


def test_member_roles_check_against_the_matrix(lettr_server: LettrServer) -> None:
    member = lettr_server.team.get(active_member(lettr_server, "ada@example.com", "analyst"))
    assert lettr_server.team.can(member, "analytics:read") and not lettr_server.team.can(member, "team:write")
    assert ROLE_MATRIX["owner"] > ROLE_MATRIX["admin"] > ROLE_MATRIX["developer"]


def test_a_key_made_for_a_role_gets_what_the_role_may_do(lettr_server: LettrServer, v1: Callable[..., httpx.Client]
                                                          ) -> None:
    client = v1(lettr_server.create_key("analyst", permissions=permissions_for("analyst")).key)
    assert client.get("/stats").status_code == 200
    assert client.get("/audit-logs").status_code == 200
    assert client.post("/domains", json={"name": "example.com"}).status_code == 403
    assert client.post("/emails", json={"from": "a@example.com", "to": "b@example.com", "subject": "s",
                                        "text": "t"}).status_code == 403


def test_accept_makes_an_invite_active(lettr_server: LettrServer) -> None:
    member = lettr_server.team.invite("grace@example.com", "developer")
    lettr_server.team.accept(member.id, name="Grace Hopper", two_factor=True)
    assert (member.status, member.name, member.two_factor_enabled) == ("active", "Grace Hopper", True)
    assert member.last_login_at is not None
