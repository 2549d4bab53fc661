"""permissions.py: atomic permissions, wildcards, aliases, escalation checks, IP and domain rules."""

from __future__ import annotations

import pytest

from pytest_lettr.errors import InvalidParameter
from pytest_lettr.permissions import (
    ALIASES,
    API_SCOPES,
    ATOMIC,
    KNOWN,
    RESOURCES,
    allows,
    covers,
    domain_restrictions_within,
    expand,
    ip_allowed,
    ip_restrictions_within,
    minimal_permissions,
    parse_ip_restrictions,
    sender_domain_allowed,
    validate_permissions,
)

V1_PERMISSIONS = {
    "emails:send", "emails:read", "emails:list", "emails:delete",
    "domains:create", "domains:read", "domains:update", "domains:delete",
    "api-keys:create", "api-keys:read", "api-keys:update", "api-keys:delete",
    "webhooks:create", "webhooks:read", "webhooks:update", "webhooks:delete",
    "analytics:read", "team:read", "team:write", "audit-logs:read",
}


def test_every_v1_permission_is_atomic() -> None:
    assert V1_PERMISSIONS <= ATOMIC
    assert set(API_SCOPES) <= KNOWN


@pytest.mark.parametrize("permission", sorted(ATOMIC))
def test_star_and_the_resource_wildcard_grant_every_atomic_permission(permission: str) -> None:
    resource = permission.split(":")[0]
    assert allows([permission], permission)
    assert allows(["*"], permission)
    assert allows([f"{resource}:*"], permission)
    other = next(r for r in RESOURCES if r != resource)
    assert not allows([f"{other}:*"], permission)


@pytest.mark.parametrize("resource", ["emails", "domains", "api-keys", "webhooks", "team"])
def test_documented_resource_wildcards(resource: str) -> None:
    assert expand([f"{resource}:*"]) == {f"{resource}:{a}" for a in RESOURCES[resource]}


@pytest.mark.parametrize("resource", ["domains", "api-keys", "webhooks", "templates", "audience"])
def test_write_means_create_update_delete(resource: str) -> None:
    assert expand([f"{resource}:write"]) == {f"{resource}:create", f"{resource}:update", f"{resource}:delete"}
    assert not allows([f"{resource}:write"], f"{resource}:read")


def test_emails_read_covers_listing_but_not_the_reverse() -> None:
    assert allows(["emails:read"], "emails:list")
    assert not allows(["emails:list"], "emails:read")
    assert not allows(["emails:read"], "emails:send")


def test_team_write_is_atomic_not_an_alias() -> None:
    assert "team:write" in ATOMIC and "team:write" not in ALIASES
    assert not allows(["team:write"], "team:read")


def test_an_alias_may_be_required() -> None:
    assert allows(["domains:create", "domains:update", "domains:delete"], "domains:write")
    assert not allows(["domains:create"], "domains:write")


def test_unknown_strings_grant_nothing() -> None:
    assert expand(["emails:fly", "", "EMAILS:SEND", "emails"]) == frozenset()
    assert not allows(["emails:fly"], "emails:send")
    assert not allows([], "emails:send")


@pytest.mark.parametrize(("held", "requested", "ok"), [
    (["*"], ["*"], True),
    (["*"], ["emails:send", "team:write"], True),
    (["emails:send"], ["emails:send"], True),
    (["emails:send"], ["emails:*"], False),
    (["emails:send"], ["*"], False),
    (["emails:send", "emails:read", "emails:delete"], ["emails:*"], True),
    (["emails:read"], ["emails:list"], True),
    (["emails:list"], ["emails:read"], False),
    (["domains:*"], ["domains:write", "domains:read"], True),
    (["api-keys:write"], ["api-keys:read"], False),
    ([], [], True),
])
def test_covers_refuses_escalation(held: list[str], requested: list[str], ok: bool) -> None:
    assert covers(held, requested) is ok


def test_validate_permissions() -> None:
    assert validate_permissions(["emails:send", "emails:send", "*"]) == ["emails:send", "*"]
    assert validate_permissions(["domains:write", "emails:*"]) == ["domains:write", "emails:*"]
    for bad, param in ((["emails:fly"], "permissions.0"), (["*", "nope"], "permissions.1"),
                       ("emails:send", "permissions"), ([], "permissions"), ([1], "permissions"),
                       (None, "permissions")):
        with pytest.raises(InvalidParameter) as caught:
            validate_permissions(bad)
        assert caught.value.param == param


@pytest.mark.parametrize(("used", "minimal"), [
    ([], []),
    (["emails:send"], ["emails:send"]),
    (["emails:send", "emails:read", "emails:list", "emails:delete"], ["emails:*"]),
    (["team:read", "team:write"], ["team:*"]),
    (["analytics:read"], ["analytics:read"]),
    (["domains:read", "emails:list", "bogus"], ["emails:list", "domains:read"]),
])
def test_minimal_permissions(used: list[str], minimal: list[str]) -> None:
    assert minimal_permissions(used) == minimal
    assert expand(minimal) >= set(used) & ATOMIC


def test_parse_ip_restrictions_normalises() -> None:
    assert parse_ip_restrictions([" 10.0.0.1 ", "10.0.0.0/8", "2001:DB8::1", "2001:db8::/32", "::1"]) == [
        "10.0.0.1", "10.0.0.0/8", "2001:db8::1", "2001:db8::/32", "::1"]


@pytest.mark.parametrize(("value", "param"), [
    (["10.0.0.256"], "ipRestrictions.0"),
    (["10.0.0.1", "10.0.0.1/24"], "ipRestrictions.1"),  # host bits set
    (["10.0.0.0/33"], "ipRestrictions.0"),
    (["2001:db8::/129"], "ipRestrictions.0"),
    (["example.com"], "ipRestrictions.0"),
    ([""], "ipRestrictions.0"),
    ("10.0.0.1", "ipRestrictions"),
    ([10], "ipRestrictions"),
])
def test_parse_ip_restrictions_refuses(value: object, param: str) -> None:
    with pytest.raises(InvalidParameter) as caught:
        parse_ip_restrictions(value)
    assert caught.value.param == param


@pytest.mark.parametrize(("restrictions", "address", "ok"), [
    ([], "203.0.113.1", True),
    ([], None, True),
    (["203.0.113.1"], "203.0.113.1", True),
    (["203.0.113.1"], "203.0.113.2", False),
    (["203.0.113.0/24"], "203.0.113.255", True),
    (["203.0.113.0/24"], "203.0.112.255", False),
    (["0.0.0.0/0"], "8.8.8.8", True),
    (["::1"], "::1", True),
    (["::1"], "0:0:0:0:0:0:0:1", True),
    (["2001:db8::/32"], "2001:db8:ffff::1", True),
    (["2001:db8::/32"], "2001:db9::1", False),
    (["::/0"], "127.0.0.1", False),  # no cross-family matches
    (["127.0.0.1"], "::1", False),
    (["10.0.0.0/8"], "::ffff:10.0.0.1", True),  # IPv4-mapped IPv6 peers match as IPv4
    (["fe80::/10"], "fe80::1%eth0", True),  # a zone id is ignored
    (["10.0.0.0/8"], None, False),
    (["10.0.0.0/8"], "", False),
    (["10.0.0.0/8"], "garbage", False),
])
def test_ip_allowed(restrictions: list[str], address: str | None, ok: bool) -> None:
    assert ip_allowed(restrictions, address) is ok


@pytest.mark.parametrize(("held", "requested", "ok"), [
    ([], [], True),
    ([], ["10.0.0.1"], True),
    (["10.0.0.0/8"], [], False),
    (["10.0.0.0/8"], ["10.0.0.0/8"], True),
    (["10.0.0.0/8"], ["10.1.0.0/16", "10.9.9.9"], True),
    (["10.0.0.0/8"], ["10.0.0.0/7"], False),
    (["10.0.0.0/8"], ["10.0.0.1", "11.0.0.1"], False),
    (["10.0.0.0/8", "2001:db8::/32"], ["2001:db8:1::/48"], True),
    (["10.0.0.0/8"], ["::ffff:10.0.0.1"], False),
])
def test_ip_restrictions_within(held: list[str], requested: list[str], ok: bool) -> None:
    assert ip_restrictions_within(held, requested) is ok


@pytest.mark.parametrize(("held", "requested", "ok"), [
    ([], [], True),
    ([], ["a.io"], True),
    (["a.io"], [], False),
    (["a.io", "b.io"], ["A.io"], True),
    (["a.io"], ["a.io", "b.io"], False),
    (["a.io"], ["mail.a.io"], False),
])
def test_domain_restrictions_within(held: list[str], requested: list[str], ok: bool) -> None:
    assert domain_restrictions_within(held, requested) is ok


@pytest.mark.parametrize(("restrictions", "domain", "ok"), [
    ([], "anything.io", True),
    (["example.com"], "example.com", True),
    (["Example.COM"], "EXAMPLE.com", True),
    (["example.com"], "mail.example.com", False),
    (["example.com"], "example.com.evil.io", False),
    (["example.com"], "badexample.com", False),
])
def test_sender_domain_allowed(restrictions: list[str], domain: str, ok: bool) -> None:
    assert sender_domain_allowed(restrictions, domain) is ok
