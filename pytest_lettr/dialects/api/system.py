"""``GET /api/health`` (no key needed) and ``GET /api/auth/check`` (any valid key)."""

from __future__ import annotations

from ...clock import isoformat_or_none as ts
from ...permissions import API_SCOPES, allows
from ..base import Call, Reply, Route
from .wire import ok


def health(call: Call) -> Reply:
    return ok("Health check passed.", {"status": "ok", "timestamp": ts(call.account.clock.now())})


def auth_check(call: Call) -> Reply:
    """The key's team, plus (beyond the spec) its mode and the current-API scopes it holds."""
    assert call.key is not None
    return ok("API key is valid.", {
        "team_id": call.account.templates.team_id,
        "timestamp": ts(call.account.clock.now()),
        "sandbox": call.key.sandbox,
        "scopes": [scope for scope in API_SCOPES if allows(call.key.permissions, scope)],
    })


ROUTES = [
    Route("GET", "/health", health, None, authenticated=False),
    Route("GET", "/auth/check", auth_check, None),
]
