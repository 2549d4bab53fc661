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
from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..clock import Clock
from ..randomness import Entropy
from .indexes import PositionIndex, Selection

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


def action_prefixes(action: str) -> list[str]:
    """The ``resource.`` prefixes an ``resource.*`` filter matches ``action`` by.

    >>> action_prefixes("api_key.rotation.scheduled")
    ['api_key.', 'api_key.rotation.']
    """
    parts = action.split(".")
    return [".".join(parts[:i]) + "." for i in range(1, len(parts))]


def _created(entry: AuditEntry) -> datetime:
    return entry.created_at


class AuditLog:
    """Entries of one account, oldest first (the API lists them newest first), indexed by id,
    action (and its ``resource.`` prefixes), actor and resource type as they are recorded."""

    def __init__(self, clock: Clock, entropy: Entropy) -> None:
        self._clock = clock
        self._entropy = entropy
        self._lock = threading.Lock()
        self._entries: list[AuditEntry] = []
        self._position: dict[str, int] = {}
        self._by: dict[str, PositionIndex[str]] = {name: PositionIndex() for name in
                                                   ("action", "action_prefix", "actor_id", "resource_type")}
        self._in_time_order = True  # False once the clock was moved back between two entries

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
            position = len(self._entries)
            if self._entries and entry.created_at < self._entries[-1].created_at:
                self._in_time_order = False
            self._entries.append(entry)
            self._position[entry.id] = position
            self._by["action"].add(entry.action, position)
            for prefix in action_prefixes(entry.action):
                self._by["action_prefix"].add(prefix, position)
            if entry.actor_id is not None:
                self._by["actor_id"].add(entry.actor_id, position)
            self._by["resource_type"].add(entry.resource_type, position)
        return entry

    def position(self, entry_id: str) -> int | None:
        return self._position.get(entry_id)

    def select(self, start: datetime | None = None, end: datetime | None = None, *, action: str | None = None,
               action_prefix: str | None = None, actor_id: str | None = None,
               resource_type: str | None = None) -> Selection:
        """Positions of the entries recorded from ``start`` to ``end`` (both included) that match every
        filter given; costs the narrowest index that applies, never a scan of the log (unless
        the clock was moved back, which leaves the entries out of time order)."""
        wanted = {"action": action, "action_prefix": action_prefix, "actor_id": actor_id,
                  "resource_type": resource_type}
        given = {name: value for name, value in wanted.items() if value is not None}
        with self._lock:
            entries = self._entries
            if self._in_time_order:
                first = bisect_left(entries, start, key=_created) if start is not None else 0
                last = bisect_right(entries, end, key=_created) if end is not None else len(entries)
                dated = None
            else:
                first, last, dated = 0, len(entries), (start, end)
            candidates = [Selection([self._by[name].get(value)]).window(first, last) for name, value in given.items()]
            chosen = min(candidates, key=len) if candidates else Selection([range(first, last)])
            if len(candidates) <= 1 and dated is None:
                return chosen
            return chosen.filtered(lambda p: _matches(entries[p], given, dated))

    def at(self, position: int) -> AuditEntry:
        return self._entries[position]

    def actions(self) -> list[str]:
        """Every recorded action, oldest first (handy in assertions)."""
        return [e.action for e in self._entries]


def _matches(entry: AuditEntry, given: Mapping[str, str],
             dated: tuple[datetime | None, datetime | None] | None) -> bool:
    """Whether ``entry`` passes :meth:`AuditLog.select`'s filters (on the positions one index gave)."""
    for name, value in given.items():
        if name == "action_prefix":
            if not entry.action.startswith(value):
                return False
        elif getattr(entry, name) != value:
            return False
    if dated is None:
        return True
    start, end = dated
    return (start is None or entry.created_at >= start) and (end is None or entry.created_at <= end)
