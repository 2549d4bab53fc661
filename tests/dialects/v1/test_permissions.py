"""Permissions, restrictions and the check order (v1 §2, §3), through the wire.

The table below is v1.md §3 written out per endpoint; the first test holds the server to it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from pytest_lettr import LettrServer
from pytest_lettr.dialects.v1 import V1Dialect
from pytest_lettr.permissions import ATOMIC, RESOURCES, allows

from . import V1, assert_v1_error, email

#: (method, path, permission) of every v1 endpoint, as v1.md §3 assigns them.
TABLE: list[tuple[str, str, str]] = [
    ("POST", "/api-keys", "api-keys:create"),
    ("GET", "/api-keys", "api-keys:read"),
    ("GET", "/api-keys/<key_id>", "api-keys:read"),
    ("PATCH", "/api-keys/<key_id>", "api-keys:update"),
    ("DELETE", "/api-keys/<key_id>", "api-keys:delete"),
    ("POST", "/api-keys/<key_id>/rotate", "api-keys:create"),
    ("POST", "/emails", "emails:send"),
    ("POST", "/emails/batch", "emails:send"),
    ("GET", "/emails", "emails:list"),
    ("GET", "/emails/<email_id>", "emails:read"),
    ("DELETE", "/emails/<email_id>", "emails:delete"),
    ("POST", "/domains", "domains:create"),
    ("GET", "/domains", "domains:read"),
    ("GET", "/domains/<domain_id>", "domains:read"),
    ("POST", "/domains/<domain_id>/verify", "domains:update"),
    ("DELETE", "/domains/<domain_id>", "domains:delete"),
    ("POST", "/webhooks", "webhooks:create"),
    ("GET", "/webhooks", "webhooks:read"),
    ("GET", "/webhooks/<webhook_id>", "webhooks:read"),
    ("PATCH", "/webhooks/<webhook_id>", "webhooks:update"),
    ("DELETE", "/webhooks/<webhook_id>", "webhooks:delete"),
    ("POST", "/webhooks/<webhook_id>/rotate-secret", "webhooks:update"),
    ("POST", "/webhooks/<webhook_id>/test", "webhooks:update"),
    ("GET", "/webhooks/<webhook_id>/deliveries", "webhooks:read"),
    ("POST", "/webhooks/<webhook_id>/deliveries/<delivery_id>/retry", "webhooks:update"),
    ("GET", "/stats", "analytics:read"),
    ("GET", "/analytics", "analytics:read"),
    ("GET", "/team/members", "team:read"),
    ("POST", "/team/members", "team:write"),
    ("GET", "/team/members/<member_id>", "team:read"),
    ("PATCH", "/team/members/<member_id>", "team:write"),
    ("DELETE", "/team/members/<member_id>", "team:write"),
    ("POST", "/team/transfer-ownership", "team:write"),
    ("GET", "/team/settings", "team:read"),
    ("PATCH", "/team/settings", "team:write"),
    ("GET", "/audit-logs", "audit-logs:read"),
]
FOUNDATION = {"api-keys", "emails"}
IDS = {"<domain_id>": "dom_000000000000000000000000", "<webhook_id>": "wh_000000000000000000000000",
       "<delivery_id>": "del_000000000000000000000000", "<member_id>": "mem_000000000000000000000000"}


def holders(permission: str) -> list[str]:
    """Every permission string that grants ``permission``: itself, ``*``, ``res:*`` and aliases."""
    resource, action = permission.split(":")
    found = [permission, "*", f"{resource}:*"]
    if action in ("create", "update", "delete") and "create" in RESOURCES[resource]:
        found.append(f"{resource}:write")
    if permission == "emails:list":
        found.append("emails:read")
    return found


def request_for(server: LettrServer, method: str, path: str, permission: str) -> tuple[str, str, Any]:
    """A request to the endpoint that succeeds for a key holding just ``permission`` (foundation
    endpoints) or at least gets past the permission check (the rest: unknown ids, empty bodies)."""
    body: Any = {} if method in ("POST", "PATCH") else None
    if "<key_id>" in path:
        target = server.create_key("target", permissions=[permission])
        path = path.replace("<key_id>", target.id)
        body = {"name": "renamed"} if method == "PATCH" else body
    if "<email_id>" in path:
        scheduled = server.clock.now() + timedelta(days=1)
        body_sent = httpx.post(server.v1_url + "/emails", json=email(scheduledAt=scheduled.isoformat()),
                               headers={"Authorization": f"Bearer {server.admin_key}"}).json()
        path = path.replace("<email_id>", body_sent["id"])
    for placeholder, value in IDS.items():
        path = path.replace(placeholder, value)
    if (method, path) == ("POST", "/api-keys"):
        body = {"name": "child", "permissions": [permission]}
    elif path == "/emails":
        body = email() if method == "POST" else None
    elif path == "/emails/batch":
        body = {"emails": [email(), email(to="bob@example.com")]}
    return method, path, body


def test_the_server_assigns_the_documented_permission_to_every_endpoint() -> None:
    served = {(r.method, r.path, r.permission) for r in V1Dialect().routes}
    assert served == set(TABLE)


@pytest.mark.parametrize(("method", "path", "permission"), TABLE)
def test_missing_permission_is_403_naming_it(v1: V1, lettr_server: LettrServer, method: str, path: str,
                                             permission: str) -> None:
    everything_else = sorted(p for p in ATOMIC if not allows([p], permission))  # emails:read ⊇ emails:list
    key = lettr_server.create_key("almost", permissions=everything_else)
    method, url, body = request_for(lettr_server, method, path, permission)
    response = v1(key.key).request(method, url, json=body)
    error = assert_v1_error(response, 403, "forbidden")
    assert error["requiredPermission"] == permission
    assert error["message"] == f"API key lacks required permission: {permission}"
    entry = lettr_server.audit_log[-1]
    assert entry.action == "auth.forbidden" and entry.metadata["required_permission"] == permission
    assert entry.actor_id == key.id


@pytest.mark.parametrize(("method", "path", "permission", "holder"), [
    (method, path, permission, holder) for method, path, permission in TABLE for holder in holders(permission)
])
def test_each_permission_wildcard_and_alias_grants_the_endpoint(
        v1: V1, lettr_server: LettrServer, method: str, path: str, permission: str, holder: str) -> None:
    key = lettr_server.create_key("exact", permissions=[holder])
    method, url, body = request_for(lettr_server, method, path, permission)
    response = v1(key.key).request(method, url, json=body)
    if path.split("/")[1] in FOUNDATION:
        assert response.status_code in (200, 201), response.text
    else:
        assert response.status_code != 403 or response.json()["error"]["code"] != "forbidden", response.text
    assert lettr_server.permissions_used(key.id) == {permission}


@pytest.mark.parametrize(("holder", "refused"), [
    ("emails:*", "api-keys:read"),
    ("api-keys:*", "emails:send"),
    ("emails:send", "emails:list"),
    ("emails:list", "emails:read"),
    ("api-keys:write", "api-keys:read"),
    ("domains:*", "webhooks:read"),
    ("team:read", "team:write"),
    ("analytics:read", "audit-logs:read"),
])
def test_wildcards_and_aliases_stop_at_their_resource(v1: V1, lettr_server: LettrServer, holder: str,
                                                      refused: str) -> None:
    method, path, _ = next(row for row in TABLE if row[2] == refused)
    key = lettr_server.create_key("narrow", permissions=[holder])
    method, url, body = request_for(lettr_server, method, path, refused)
    error = assert_v1_error(v1(key.key).request(method, url, json=body), 403, "forbidden")
    assert error["requiredPermission"] == refused


# -- no escalation --------------------------------------------------------------------------------

def test_create_cannot_grant_more_than_the_caller_holds(v1: V1, lettr_server: LettrServer) -> None:
    caller = v1(lettr_server.create_key("manager", permissions=["api-keys:create", "emails:send"]).key)
    before = len(lettr_server.account.keys)
    refused = caller.post("/api-keys", json={"name": "x", "permissions": ["emails:send", "domains:read"]})
    error = assert_v1_error(refused, 403, "forbidden", param="permissions")
    assert "requiredPermission" not in error
    assert_v1_error(caller.post("/api-keys", json={"name": "x", "permissions": ["*"]}), 403, "forbidden",
             param="permissions")
    assert_v1_error(caller.post("/api-keys", json={"name": "defaults to *"}), 403, "forbidden", param="permissions")
    assert len(lettr_server.account.keys) == before
    assert [e.metadata.get("restriction") for e in lettr_server.audit_log[-3:]] == ["escalation"] * 3
    ok = caller.post("/api-keys", json={"name": "x", "permissions": ["emails:send"]})
    assert ok.status_code == 201 and ok.json()["permissions"] == ["emails:send"]


def test_a_wildcard_may_be_granted_by_a_key_holding_every_part_of_it(v1: V1, lettr_server: LettrServer) -> None:
    caller = v1(lettr_server.create_key("m", permissions=["api-keys:create", "emails:send", "emails:read",
                                                          "emails:delete"]).key)
    assert caller.post("/api-keys", json={"name": "x", "permissions": ["emails:*"]}).status_code == 201
    assert caller.post("/api-keys", json={"name": "y", "permissions": ["emails:read"]}).status_code == 201


def test_update_cannot_grant_more_than_the_caller_holds(v1: V1, lettr_server: LettrServer) -> None:
    caller = v1(lettr_server.create_key("m", permissions=["api-keys:update", "emails:send"]).key)
    target = lettr_server.create_key("t", permissions=["emails:send"])
    assert_v1_error(caller.patch(f"/api-keys/{target.id}", json={"permissions": ["emails:*"]}), 403, "forbidden",
             param="permissions")
    assert target.api_key.permissions == ["emails:send"]
    assert caller.patch(f"/api-keys/{target.id}", json={"name": "ok"}).status_code == 200


def test_a_key_cannot_manage_a_more_powerful_key(v1: V1, lettr_server: LettrServer) -> None:
    caller = v1(lettr_server.create_key("m", permissions=["api-keys:*"]).key)
    admin_id = lettr_server.account.admin_key.id
    assert_v1_error(caller.patch(f"/api-keys/{admin_id}", json={"ipRestrictions": ["10.0.0.1"]}), 403, "forbidden")
    assert_v1_error(caller.post(f"/api-keys/{admin_id}/rotate"), 403, "forbidden", param="permissions")
    assert v1().get("/emails").status_code == 200
    revoked = caller.delete(f"/api-keys/{admin_id}")  # revoking only ever takes power away
    assert revoked.status_code == 200
    assert_v1_error(v1().get("/emails"), 401, "unauthorized")


def test_a_restricted_key_cannot_mint_a_less_restricted_one(v1: V1, lettr_server: LettrServer) -> None:
    restricted = lettr_server.create_key("r", ip_restrictions=["127.0.0.0/8"], domain_restrictions=["example.com"])
    caller = v1(restricted.key)
    assert_v1_error(caller.post("/api-keys", json={"name": "x", "domainRestrictions": ["example.com"]}), 403,
             "forbidden", param="ipRestrictions")
    assert_v1_error(caller.post("/api-keys", json={"name": "x", "ipRestrictions": ["10.0.0.0/8"],
                                            "domainRestrictions": ["example.com"]}),
             403, "forbidden", param="ipRestrictions")
    assert_v1_error(caller.post("/api-keys", json={"name": "x", "ipRestrictions": ["127.0.0.1"]}), 403, "forbidden",
             param="domainRestrictions")
    assert_v1_error(caller.patch(f"/api-keys/{restricted.id}", json={"ipRestrictions": []}), 403, "forbidden",
             param="ipRestrictions")
    narrower = caller.post("/api-keys", json={"name": "x", "ipRestrictions": ["127.0.0.1"],
                                              "domainRestrictions": ["example.com"]})
    assert narrower.status_code == 201, narrower.text


def test_an_expiring_or_rate_limited_key_cannot_mint_a_longer_lived_or_faster_one(
        v1: V1, lettr_server: LettrServer) -> None:
    expires = lettr_server.clock.now() + timedelta(days=1)
    caller = v1(lettr_server.create_key("e", expires_at=expires,
                                        rate_limit={"requests": 60, "period": "minute"}).key)
    limit = {"requests": 1, "period": "second"}
    assert_v1_error(caller.post("/api-keys", json={"name": "x", "rateLimit": limit}), 403, "forbidden",
                    param="expiresAt")
    later = (expires + timedelta(seconds=1)).isoformat()
    assert_v1_error(caller.post("/api-keys", json={"name": "x", "expiresAt": later, "rateLimit": limit}), 403,
             "forbidden", param="expiresAt")
    assert_v1_error(caller.post("/api-keys", json={"name": "x", "expiresAt": expires.isoformat()}), 403, "forbidden",
             param="rateLimit")
    assert_v1_error(caller.post("/api-keys", json={"name": "x", "expiresAt": expires.isoformat(),
                                            "rateLimit": {"requests": 2, "period": "second"}}),
             403, "forbidden", param="rateLimit")
    ok = caller.post("/api-keys", json={"name": "x", "expiresAt": expires.isoformat(),
                                        "rateLimit": {"requests": 3600, "period": "hour"}})
    assert ok.status_code == 201, ok.text


# -- IP restrictions ------------------------------------------------------------------------------

def test_ip_restriction_matches_the_socket_peer(v1: V1, lettr_server: LettrServer) -> None:
    for allowed in (["127.0.0.1"], ["127.0.0.0/8"], ["10.0.0.0/8", "127.0.0.1/32"]):
        key = lettr_server.create_key("ok", ip_restrictions=allowed)
        assert v1(key.key).get("/emails").status_code == 200, allowed
    for refused in (["10.0.0.1"], ["128.0.0.0/8"], ["::1"], ["::ffff:10.0.0.1"]):
        key = lettr_server.create_key("no", ip_restrictions=refused)
        error = assert_v1_error(v1(key.key).get("/emails"), 403, "forbidden")
        assert error["message"] == "Request from unauthorized IP address", refused
        assert "requiredPermission" not in error
    entry = lettr_server.audit_log[-1]
    assert entry.action == "auth.forbidden" and entry.metadata["restriction"] == "ip"
    assert entry.ip_address == "127.0.0.1"


def test_forwarded_for_is_ignored_unless_trusted(v1: V1, lettr_server: LettrServer) -> None:
    key = lettr_server.create_key("office", ip_restrictions=["203.0.113.7"])
    assert_v1_error(v1(key.key, headers={"X-Forwarded-For": "203.0.113.7"}).get("/emails"), 403, "forbidden")
    local = lettr_server.create_key("local", ip_restrictions=["127.0.0.1"])
    assert v1(local.key, headers={"X-Forwarded-For": "198.51.100.1"}).get("/emails").status_code == 200


@pytest.mark.lettr(trust_forwarded_for=True)
@pytest.mark.parametrize(("restrictions", "forwarded", "allowed"), [
    (["203.0.113.7"], "203.0.113.7", True),
    (["203.0.113.7"], "203.0.113.8", False),
    (["203.0.113.0/24"], "203.0.113.200", True),
    (["203.0.113.0/24"], "203.0.114.1", False),
    (["203.0.113.7"], "203.0.113.7, 10.0.0.1", True),
    (["10.0.0.1"], "203.0.113.7, 10.0.0.1", False),
    (["::1"], "::1", True),
    (["::1"], "::2", False),
    (["2001:db8::/32"], "2001:db8:0:1::5", True),
    (["2001:db8::/32"], "2001:db9::1", False),
    (["2001:db8::7"], "2001:0db8:0000:0000:0000:0000:0000:0007", True),
    (["10.0.0.0/8"], "::ffff:10.1.2.3", True),
    (["::1"], "127.0.0.1", False),
    (["127.0.0.1"], "::1", False),
    (["10.0.0.0/8"], "not-an-ip", False),
    (["10.0.0.0/8"], "10.0.0.1:8080", False),
])
def test_ipv4_ipv6_and_cidr_through_a_trusted_proxy(v1: V1, lettr_server: LettrServer, restrictions: list[str],
                                                    forwarded: str, allowed: bool) -> None:
    key = lettr_server.create_key("proxied", ip_restrictions=restrictions)
    response = v1(key.key, headers={"X-Forwarded-For": forwarded}).get("/emails")
    if allowed:
        assert response.status_code == 200, response.text
    else:
        assert_v1_error(response, 403, "forbidden")


@pytest.mark.lettr(trust_forwarded_for=True)
def test_trusted_forwarded_for_is_what_the_audit_log_records(v1: V1, lettr_server: LettrServer) -> None:
    v1(headers={"X-Forwarded-For": "2001:db8::9"}).post("/api-keys", json={"name": "x"})
    entry = next(e for e in lettr_server.audit_log if e.action == "api_key.created")
    assert entry.ip_address == "2001:db8::9"


#: Forwarded entries that are no address as a whole: each is unknown (None), refused by any IP
#: restriction, and never recorded as the caller's address.
NOT_AN_ADDRESS = [
    "203.0.113.5%anything", "203.0.113.5%25", "203.0.113.5%eth0", "203.0.113.5%", "203.0.113.5 %x",
    "2001:db8::5%eth0",  # a zone id belongs to a link-local address only
    "fe80::1%<script>", "fe80::1%a b", "fe80::1%" + "z" * 65, "fe80::1%eth0%eth1", "[2001:db8::5]",
    "203.0.113.05", "203.0.113.5/32",
]


@pytest.mark.lettr(trust_forwarded_for=True)
@pytest.mark.parametrize("forwarded", NOT_AN_ADDRESS)
def test_a_forwarded_entry_must_be_an_address_as_a_whole(v1: V1, lettr_server: LettrServer,
                                                         forwarded: str) -> None:
    key = lettr_server.create_key("office", ip_restrictions=["203.0.113.0/24", "2001:db8::/32", "fe80::/10"])
    assert_v1_error(v1(key.key, headers={"X-Forwarded-For": forwarded}).get("/emails"), 403, "forbidden")
    v1(headers={"X-Forwarded-For": forwarded}).post("/api-keys", json={"name": "x"})
    for entry in lettr_server.audit_log:
        assert entry.ip_address is None, (forwarded, entry.action, entry.ip_address)


@pytest.mark.lettr(trust_forwarded_for=True)
@pytest.mark.parametrize(("forwarded", "recorded"), [
    ("fe80::1%eth0", "fe80::1%eth0"),
    ("FE80::0001%en0", "fe80::1%en0"),
    ("2001:DB8:0:0::0005", "2001:db8::5"),
    ("::ffff:203.0.113.5", "::ffff:203.0.113.5"),
    ("203.0.113.5 , 10.0.0.1", "203.0.113.5"),
])
def test_the_forwarded_address_is_allowed_and_recorded_normalised(v1: V1, lettr_server: LettrServer,
                                                                  forwarded: str, recorded: str) -> None:
    office = ["203.0.113.0/24", "2001:db8::/32", "fe80::/10"]
    key = lettr_server.create_key("office", ["*"], ip_restrictions=office)
    response = v1(key.key, headers={"X-Forwarded-For": forwarded}).post(
        "/api-keys", json={"name": "x", "ipRestrictions": office})
    assert response.status_code == 201, response.text
    entry = next(e for e in lettr_server.audit_log if e.action == "api_key.created")
    assert entry.ip_address == recorded


# -- sender-domain restrictions -------------------------------------------------------------------

@pytest.mark.parametrize(("sender", "allowed"), [
    ("app@example.com", True),
    ("App <app@EXAMPLE.com>", True),
    ("app@mail.example.com", False),
    ("app@example.com.evil.io", False),
    ("app@other.io", False),
])
def test_domain_restriction(v1: V1, lettr_server: LettrServer, sender: str, allowed: bool) -> None:
    key = lettr_server.create_key("d", domain_restrictions=["example.com"])
    response = v1(key.key).post("/emails", json=email(from_=sender))
    if allowed:
        assert response.status_code == 200, response.text
    else:
        assert_v1_error(response, 403, "forbidden", param="from")
        assert len(lettr_server.emails) == 0
        assert lettr_server.audit_log[-1].metadata["restriction"] == "domain"


def test_domain_restriction_in_a_batch_names_the_email(v1: V1, lettr_server: LettrServer) -> None:
    key = lettr_server.create_key("d", domain_restrictions=["example.com"])
    batch = {"emails": [email(), email(from_="app@other.io")]}
    assert_v1_error(v1(key.key).post("/emails/batch", json=batch), 403, "forbidden", param="emails.1.from")
    assert len(lettr_server.emails) == 0


def test_domain_restriction_is_checked_before_strict_domains(v1: V1, lettr_server: LettrServer) -> None:
    key = lettr_server.create_key("d", domain_restrictions=["acme.io"])
    assert_v1_error(v1(key.key).post("/emails", json=email(from_="a@other.io")), 403, "forbidden", param="from")
    assert_v1_error(v1(key.key).post("/emails", json=email(from_="a@acme.io")), 400, "invalid_from", param="from")
    lettr_server.add_domain("acme.io")
    assert v1(key.key).post("/emails", json=email(from_="a@acme.io")).status_code == 200


# -- the check order ------------------------------------------------------------------------------

def test_expired_key_from_a_forbidden_ip_is_401_key_expired(v1: V1, lettr_server: LettrServer) -> None:
    key = lettr_server.create_key("x", ip_restrictions=["10.0.0.1"],
                                  expires_at=lettr_server.clock.now() + timedelta(minutes=1))
    assert_v1_error(v1(key.key).get("/emails"), 403, "forbidden")
    lettr_server.clock.advance(minutes=1)
    assert_v1_error(v1(key.key).get("/emails"), 401, "key_expired")


def test_revoked_key_from_a_forbidden_ip_is_401(v1: V1, lettr_server: LettrServer) -> None:
    key = lettr_server.create_key("x", ip_restrictions=["10.0.0.1"])
    v1().delete(f"/api-keys/{key.id}")
    assert_v1_error(v1(key.key).get("/emails"), 401, "unauthorized")


def test_wrong_ip_over_its_rate_limit_is_403_and_does_not_use_the_limit(v1: V1, lettr_server: LettrServer) -> None:
    lettr_server.clock.freeze()
    key = lettr_server.create_key("x", ip_restrictions=["10.0.0.1"], rate_limit={"requests": 1, "period": "hour"})
    for _ in range(3):
        assert_v1_error(v1(key.key).get("/emails"), 403, "forbidden")
    v1().patch(f"/api-keys/{key.id}", json={"ipRestrictions": []})
    assert v1(key.key).get("/emails").status_code == 200
    assert_v1_error(v1(key.key).get("/emails"), 429, "rate_limit_exceeded")


def test_over_the_rate_limit_without_the_permission_is_429(v1: V1, lettr_server: LettrServer) -> None:
    lettr_server.clock.freeze()
    key = lettr_server.create_key("x", permissions=["emails:send"], rate_limit={"requests": 1, "period": "minute"})
    assert_v1_error(v1(key.key).get("/emails"), 403, "forbidden")
    assert_v1_error(v1(key.key).get("/emails"), 429, "rate_limit_exceeded")


@pytest.mark.parametrize(("content", "headers"), [
    (b'{"from": 1}', {"Content-Type": "application/json"}),
    (b"{not json", {"Content-Type": "application/json"}),
    (b"[]", {"Content-Type": "application/json"}),
    (b"from=a", {"Content-Type": "application/x-www-form-urlencoded"}),
])
def test_missing_permission_comes_before_body_checks(v1: V1, lettr_server: LettrServer, content: bytes,
                                                      headers: dict[str, str]) -> None:
    key = lettr_server.create_key("reader", permissions=["emails:read"])
    response = v1(key.key).post("/emails", content=content, headers=headers)
    assert assert_v1_error(response, 403, "forbidden")["requiredPermission"] == "emails:send"


def test_no_key_and_a_bad_body_is_401(v1: V1) -> None:
    assert_v1_error(v1(auth=False).post("/emails", content=b"{nope", headers={"Content-Type": "application/json"}),
             401, "unauthorized")


def test_validation_comes_before_domain_and_suppression_rules(v1: V1, lettr_server: LettrServer) -> None:
    lettr_server.suppress("ada@example.com")
    key = lettr_server.create_key("d", domain_restrictions=["example.com"])
    assert_v1_error(v1(key.key).post("/emails", json=email(from_="a@other.io", subject=None)), 400, "missing_parameter",
             param="subject")
    assert_v1_error(v1(key.key).post("/emails", json=email()), 400, "suppressed", param="to")


def test_least_privilege_bookkeeping(v1: V1, lettr_server: LettrServer) -> None:
    key = lettr_server.create_key("wide")
    client = v1(key.key)
    sent = client.post("/emails", json=email()).json()
    client.get(f"/emails/{sent['id']}")
    client.get("/emails")
    assert lettr_server.permissions_used(key.id) == {"emails:send", "emails:read", "emails:list"}
