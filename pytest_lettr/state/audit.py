"""The audit log: who did what to which resource, from where. Never a key, secret or password.

>>> from pytest_lettr.clock import Clock
>>> from pytest_lettr.randomness import Entropy
>>> log = AuditLog(Clock(), Entropy(1))
>>> entry = log.record("api_key.created", Actor.system(), "api_key", "key_1", {"name": "ci", "key": "le_x"})
>>> "key" in entry.metadata
False
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..clock import Clock
from ..randomness import Entropy

#: Metadata keys that are dropped from audit entries whatever their value.
SECRET_FIELDS = frozenset({"key", "secret", "password", "token", "apiKey", "api_key", "rawKey",
                           "authorization", "oldSecret", "newSecret", "client_secret", "clientSecret"})


@dataclass(frozen=True)
class Actor:
    """Who makes a request: an API key, a team member, or the system itself."""

    id: str | None
    type: str  # "api_key" | "member" | "system"
    email: str | None = None
    ip_address: str | None = None
    user_agent: str | None = None
    key_prefix: str | None = None

    @classmethod
    def system(cls) -> Actor:
        return cls(id=None, type="system")


@dataclass(frozen=True)
class AuditEntry:
    id: str
    action: str
    actor_id: str | None
    actor_type: str
    actor_email: str | None
    resource_type: str
    resource_id: str | None
    ip_address: str | None
    user_agent: str | None
    metadata: dict[str, Any] = field(default_factory=dict)
    created_at: datetime = field(default_factory=lambda: datetime.min)


def scrub(metadata: Mapping[str, Any]) -> dict[str, Any]:
    """Drop secret-bearing keys, recursively."""
    clean: dict[str, Any] = {}
    for name, value in metadata.items():
        if name in SECRET_FIELDS:
            continue
        clean[name] = scrub(value) if isinstance(value, Mapping) else value
    return clean


class AuditLog:
    """Entries of one account, oldest first (the API lists them newest first)."""

    def __init__(self, clock: Clock, entropy: Entropy) -> None:
        self._clock = clock
        self._entropy = entropy
        self._lock = threading.Lock()
        self._entries: list[AuditEntry] = []

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[AuditEntry]:
        return iter(list(self._entries))

    def __getitem__(self, index: int) -> AuditEntry:
        return self._entries[index]

    def record(
        self,
        action: str,
        actor: Actor,
        resource_type: str,
        resource_id: str | None,
        metadata: Mapping[str, Any] | None = None,
    ) -> AuditEntry:
        entry = AuditEntry(
            id=self._entropy.new_id("log_"),
            action=action,
            actor_id=actor.id,
            actor_type=actor.type,
            actor_email=actor.email,
            resource_type=resource_type,
            resource_id=resource_id,
            ip_address=actor.ip_address,
            user_agent=actor.user_agent,
            metadata=scrub(metadata or {}),
            created_at=self._clock.now(),
        )
        with self._lock:
            self._entries.append(entry)
        return entry

    def actions(self) -> list[str]:
        """Every recorded action, oldest first (handy in assertions)."""
        return [e.action for e in self._entries]
