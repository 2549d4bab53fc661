"""The transport-neutral access check: the documented order, and every refusal audited."""

from __future__ import annotations

from datetime import timedelta

import pytest

from pytest_lettr import errors
from pytest_lettr.access import authorize
from pytest_lettr.state import Account


@pytest.fixture
def account() -> Account:
    return Account(seed="access")


def test_a_granted_key_names_its_actor_and_counts_the_request(account: Account) -> None:
    created = account.keys.create("mailer", ("emails:send",))
    granted = authorize(account, created.key, client_ip="10.1.2.3", permission="emails:send",
                        context={"command": "MAIL FROM"})
    assert (granted.key.id, granted.actor.id, granted.actor.ip_address) == (created.id, created.id, "10.1.2.3")
    assert granted.rate_limit.remaining == granted.rate_limit.limit - 1
    assert account.permissions_used[created.id] == {"emails:send"}
    assert list(account.audit) == []


@pytest.mark.parametrize("token", [None, "le_" + "x" * 40, "short"])
def test_an_unknown_or_missing_key_is_401_and_audited_with_the_intake_context(account: Account,
                                                                              token: str | None) -> None:
    with pytest.raises(errors.Unauthorized):
        authorize(account, token, client_ip=None, permission=None, context={"command": "AUTH"})
    (entry,) = account.audit
    assert entry.action == "auth.failed" and entry.metadata["command"] == "AUTH"
    assert entry.metadata["key_prefix"] == (token[:7] if token and len(token) >= 20 else None)


def test_the_ip_check_comes_before_the_intake_checks_and_the_permission(account: Account) -> None:
    created = account.keys.create("office", ("emails:read",), ip_restrictions=["192.0.2.0/24"])
    seen: list[str] = []
    with pytest.raises(errors.Forbidden) as refused:
        authorize(account, created.key, client_ip="198.51.100.1", permission="emails:send",
                  intake_checks=lambda key: seen.append(key.id))
    assert refused.value.restriction == "ip" and seen == []
    assert [e.metadata.get("restriction") for e in account.audit] == ["ip"]


def test_a_missing_permission_is_403_naming_the_scope_and_keeps_the_window(account: Account) -> None:
    created = account.keys.create("reader", ("emails:list",))
    with pytest.raises(errors.Forbidden) as refused:
        authorize(account, created.key, client_ip=None, permission="emails:send", scope="emails:write")
    assert refused.value.required_permission == "emails:write"
    assert refused.value.extra["rate_limit"].limit >= 1
    (entry,) = account.audit
    assert (entry.action, entry.metadata["required_permission"], entry.resource_id) == (
        "auth.forbidden", "emails:write", created.id)


def test_an_expired_key_is_named_as_the_actor_of_its_failure(account: Account) -> None:
    created = account.keys.create("old", ("*",), expires_at=account.clock.now() + timedelta(minutes=1))
    account.clock.advance(minutes=2)
    with pytest.raises(errors.KeyExpired):
        authorize(account, created.key, client_ip=None, permission=None)
    (entry,) = account.audit
    assert (entry.actor_id, entry.resource_id, entry.metadata["reason"]) == (created.id, created.id, "key_expired")
