"""Team members and settings of an account."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

ROLES = ("owner", "admin", "developer", "analyst", "billing")
PLANS = ("free", "pro", "enterprise")


@dataclass(eq=False)
class Member:
    id: str
    email: str
    name: str | None
    role: str
    status: str
    created_at: datetime
    two_factor_enabled: bool = False
    last_login_at: datetime | None = None
    invited_by: str | None = None


@dataclass
class TeamSettings:
    plan: str = "pro"
    require_2fa: bool = False
    sso_enabled: bool = False
    sso_provider: str | None = None
