"""The least-privilege report (``--lettr-permissions-report``).

After each test that used ``lettr_server``, every key that made a request is compared with what
its requests needed (``lettr_server.permissions_used(key_id)``). At the end of the run the
terminal summary lists the keys that hold more than they used, with the minimal permission list
to create instead, and the keys whose ``rotationDue`` is true::

    ===================== Lettr least-privilege report =====================
    Keys that hold more than their requests needed:
      'Admin key' (12 tests, e.g. tests/test_signup.py::test_welcome)
        granted: *
        used:    emails:send
        create it with: ["emails:send"]
    Keys due for rotation (older than 90 days on the server clock):
      'CI key' (tests/test_rotation.py::test_old_key): created 2024-01-15T10:30:00Z

Keys are grouped by name and granted permissions, since every test has a fresh account.
Under xdist, workers send what they saw to the controller.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .clock import isoformat
from .permissions import expand, minimal_permissions

if TYPE_CHECKING:
    from .state import Account

WORKER_OUTPUT_KEY = "lettr_permissions_report"


@dataclass
class KeyUsage:
    """One key (by name and granted permissions) over every test that used it."""

    name: str
    granted: tuple[str, ...]
    used: set[str] = field(default_factory=set)
    tests: list[str] = field(default_factory=list)

    @property
    def excess(self) -> set[str]:
        """Atomic permissions held but never needed."""
        return set(expand(self.granted)) - self.used

    @property
    def minimal(self) -> list[str]:
        return minimal_permissions(self.used)


@dataclass(frozen=True)
class RotationDue:
    name: str
    key_id: str
    test: str
    created_at: str
    rotation_due_at: str


@dataclass
class PermissionsReport:
    """Collects key usage per test (call :meth:`collect` at teardown) and renders the summary."""

    usage: dict[tuple[str, tuple[str, ...]], KeyUsage] = field(default_factory=dict)
    rotation_due: list[RotationDue] = field(default_factory=list)

    def collect(self, account: Account, test: str) -> None:
        """Record every key of ``account`` that made a request, and every key due for rotation."""
        now = account.clock.now()
        for key in account.keys:
            if key.rotation_due(now) and not key.revoked(now):
                self.rotation_due.append(RotationDue(key.name, key.id, test, isoformat(key.created_at),
                                                     isoformat(key.rotation_due_at)))
            if key.last_used_at is None:
                continue
            self._add(key.name, tuple(key.permissions), account.permissions_used.get(key.id, set()), [test])

    def _add(self, name: str, granted: tuple[str, ...], used: set[str] | list[str], tests: list[str]) -> None:
        entry = self.usage.setdefault((name, granted), KeyUsage(name, granted))
        entry.used.update(used)
        entry.tests.extend(tests)

    # -- xdist: workers send their findings to the controller -------------------------------------
    def dumps(self) -> str:
        return json.dumps({
            "usage": [{"name": u.name, "granted": list(u.granted), "used": sorted(u.used), "tests": u.tests}
                      for u in self.usage.values()],
            "rotationDue": [vars(r) for r in self.rotation_due],
        })

    def merge(self, payload: str) -> None:
        data: dict[str, Any] = json.loads(payload)
        for item in data.get("usage", []):
            self._add(item["name"], tuple(item["granted"]), item["used"], item["tests"])
        self.rotation_due.extend(RotationDue(**item) for item in data.get("rotationDue", []))

    # -- rendering -------------------------------------------------------------------------------
    def over_privileged(self) -> list[KeyUsage]:
        return sorted((u for u in self.usage.values() if u.excess), key=lambda u: (u.name, u.granted))

    def lines(self) -> list[str]:
        out: list[str] = []
        wide = self.over_privileged()
        if wide:
            out.append("Keys that hold more than their requests needed:")
            for usage in wide:
                tests = sorted(set(usage.tests))
                where = tests[0] if len(tests) == 1 else f"{len(tests)} tests, e.g. {tests[0]}"
                out.append(f"  {usage.name!r} ({where})")
                out.append(f"    granted: {', '.join(usage.granted)}")
                out.append(f"    used:    {', '.join(sorted(usage.used)) or '(nothing: every request was refused)'}")
                out.append(f"    create it with: {json.dumps(usage.minimal)}")
        else:
            out.append("Every key that made requests held only what they needed.")
        if self.rotation_due:
            out.append("Keys due for rotation (older than 90 days on the server clock):")
            for due in sorted(self.rotation_due, key=lambda d: (d.test, d.name)):
                out.append(f"  {due.name!r} ({due.test}): created {due.created_at}, "
                           f"rotation due since {due.rotation_due_at}")
        else:
            out.append("No key is due for rotation.")
        return out
