"""Shared helpers for the robustness suites: a seeded account and a snapshot of everything stored.

    def test_x(seeded, lettr_server):
        before = snapshot(lettr_server)
        ...  # bad requests
        assert_unchanged(lettr_server, before)
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import lettr
import pytest
from support import assert_v1_error, client_for

from pytest_lettr import LettrServer

SEND = {"from": "shop@example.com", "to": ["ada@example.com"], "subject": "Receipt", "text": "Thanks",
        "metadata": {"order": "1042"}, "headers": {"X-Order": "1042"}, "tags": ["receipt"]}


@dataclass
class Seeded:
    """What the ``seeded`` fixture stored through the API before a test's bad requests."""

    client: httpx.Client
    email_id: str
    key_id: str
    webhook_id: str


@pytest.fixture
def seeded(lettr_server: LettrServer) -> Iterator[Seeded]:
    """An account holding one email, one extra key and one webhook, made through the API."""
    with client_for(lettr_server) as client:
        email = client.post("/emails", json=SEND)
        key = client.post("/api-keys", json={"name": "ci", "permissions": ["emails:send"]})
        hook = client.post("/webhooks", json={"url": "http://127.0.0.1:9/hooks", "events": ["email.bounced"]})
        assert (email.status_code, key.status_code, hook.status_code) == (200, 201, 201), \
            (email.text, key.text, hook.text)
        yield Seeded(client, email.json()["id"], key.json()["id"], hook.json()["id"])


@pytest.fixture
def sdk(lettr_server: LettrServer) -> Iterator[lettr.Lettr]:
    """The official SDK on a full-access ``/api`` key."""
    client = lettr.Lettr(lettr_server.create_key("SDK", mode="api").key, base_url=lettr_server.api_url)
    yield client
    client.close()


def snapshot(server: LettrServer) -> dict[str, Any]:
    """Everything stored in the account that a refused request must leave alone."""
    account = server.account
    return {
        "emails": [(e.id, e.from_, list(e.to), e.subject, e.status, dict(e.metadata), dict(e.headers))
                   for e in account.outbox],
        "keys": [(k.id, k.name, list(k.permissions), list(k.ip_restrictions), list(k.domain_restrictions),
                  k.expires_at, k.rate_limit, k.revoked_at, k.revokes_at, k.key_hash) for k in account.keys],
        "webhooks": [(w.id, w.url, list(w.events), w.status) for w in server.webhooks.all()],
        "members": sorted((m.id, m.email, m.role, m.status) for m in account.members.values()),
        "domains": sorted((d.id, d.name, d.status) for d in account.domains),
        "suppressions": sorted(account.suppressions),
        "audit": [(a.id, a.action, a.resource_id) for a in account.audit],
        "events": len(account.events),
    }


def assert_unchanged(server: LettrServer, before: dict[str, Any]) -> None:
    """Nothing stored before has changed; the audit log may only have gained refusal entries."""
    after = snapshot(server)
    for name in before:
        if name != "audit":
            assert after[name] == before[name], name
    old, new = before["audit"], after["audit"]
    assert new[: len(old)] == old
    assert {action for _, action, _ in new[len(old):]} <= {"auth.failed", "auth.forbidden"}

__all__ = ["Seeded", "assert_unchanged", "assert_v1_error", "client_for", "snapshot"]
