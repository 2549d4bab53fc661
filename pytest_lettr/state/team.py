"""Team members, team settings and the role matrix of an account (v1 §5).

The operations live on :class:`Team`, a view over ``account.members`` and ``account.settings``
that raises domain errors; the server exposes it as ``lettr_server.team``::

    team = account.team
    dev = team.invite("grace@example.com", "developer")      # pending until accepted
    team.accept(dev.id)                                        # what the invitee's click does
    assert team.can("developer", "webhooks:update")
    assert not team.can(dev, "billing:manage")
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..errors import CannotModifyOwner, CannotRemoveOwner, Conflict, InvalidParameter, NotFound, PlanRequired
from ..permissions import ATOMIC

if TYPE_CHECKING:
    from .account import Account
    from .audit import Actor

ROLES = ("owner", "admin", "developer", "analyst", "billing")
#: Roles an invitation or a role change may give (``owner`` only moves by transfer).
ASSIGNABLE_ROLES = ("admin", "developer", "analyst", "billing")
STATUSES = ("active", "pending")
PLANS = ("free", "pro", "enterprise")
SSO_PROVIDERS = ("saml", "oidc", "google", "okta", "azure_ad")
#: Plans on which single sign-on may be turned on.
SSO_PLANS = ("enterprise",)

#: Dashboard-only capabilities (they have no API permission).
BILLING = frozenset({"billing:read", "billing:manage"})
ACCOUNT_DELETE = "account:delete"

_V1_RESOURCES = ("emails", "domains", "api-keys", "webhooks", "analytics", "team", "audit-logs")
_V1 = frozenset(p for p in ATOMIC if p.split(":")[0] in _V1_RESOURCES)


def _of(*resources: str) -> frozenset[str]:
    return frozenset(p for p in _V1 if p.split(":")[0] in resources)


#: What each role may do: v1 atomic permissions plus ``billing:*`` and ``account:delete``.
#: owner: everything; admin: all but billing and account deletion; developer: sending, domains,
#: API keys, webhooks, analytics; analyst: analytics and logs, read-only; billing: only billing.
ROLE_MATRIX: dict[str, frozenset[str]] = {
    "owner": _V1 | BILLING | {ACCOUNT_DELETE},
    "admin": _V1,
    "developer": _of("emails", "domains", "api-keys", "webhooks", "analytics"),
    "analyst": frozenset({"analytics:read", "emails:read", "emails:list", "audit-logs:read"}),
    "billing": BILLING,
}

#: Every capability the matrix knows.
CAPABILITIES: frozenset[str] = frozenset().union(*ROLE_MATRIX.values())


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


def permissions_for(role: str) -> list[str]:
    """The API permissions a key acting for ``role`` should hold (sorted, atomic).

    >>> permissions_for("analyst")
    ['analytics:read', 'audit-logs:read', 'emails:list', 'emails:read']
    """
    if role not in ROLE_MATRIX:
        raise ValueError(f"unknown role {role!r}; one of: {', '.join(ROLES)}")
    return sorted(ROLE_MATRIX[role] & ATOMIC)


class Team:
    """Members and settings of one account, with the owner rules of v1 §5."""

    matrix = ROLE_MATRIX

    def __init__(self, account: Account) -> None:
        self.account = account

    # -- reading ---------------------------------------------------------------------------------
    def __iter__(self) -> Iterator[Member]:
        return iter(list(self.account.members.values()))

    def __len__(self) -> int:
        return len(self.account.members)

    @property
    def members(self) -> list[Member]:
        """Every member, oldest first."""
        return list(self.account.members.values())

    @property
    def owner(self) -> Member:
        return self.account.owner

    @property
    def settings(self) -> TeamSettings:
        return self.account.settings

    def list(self, role: str | None = None, status: str | None = None) -> list[Member]:
        return [m for m in self.account.members.values()
                if (role is None or m.role == role) and (status is None or m.status == status)]

    def get(self, member_id: str) -> Member:
        member = self.account.members.get(member_id)
        if member is None:
            raise NotFound(f"Team member '{member_id}' not found")
        return member

    def by_email(self, email: str) -> Member | None:
        wanted = email.strip().lower()
        return next((m for m in self.account.members.values() if m.email.lower() == wanted), None)

    def can(self, who: str | Member, capability: str) -> bool:
        """Whether a role (or a member's role) may do ``capability`` (``team:write``, ``billing:manage``)."""
        role = who.role if isinstance(who, Member) else who
        if role not in ROLE_MATRIX:
            raise ValueError(f"unknown role {role!r}; one of: {', '.join(ROLES)}")
        if capability not in CAPABILITIES:
            raise ValueError(f"unknown capability {capability!r}; one of: {', '.join(sorted(CAPABILITIES))}")
        return capability in ROLE_MATRIX[role]

    # -- members ---------------------------------------------------------------------------------
    @staticmethod
    def check_assignable(role: Any, param: str = "role") -> str:
        if role == "owner":
            raise InvalidParameter("The 'owner' role cannot be given; use POST /v1/team/transfer-ownership",
                                   param=param)
        if role not in ASSIGNABLE_ROLES:
            raise InvalidParameter(f"The '{param}' field must be one of: {', '.join(ASSIGNABLE_ROLES)}",
                                   param=param)
        return str(role)

    def invite(self, email: str, role: str, invited_by: str | None = None, name: str | None = None,
               actor: Actor | None = None) -> Member:
        """A pending member; an address already on the team → :class:`Conflict`. Audited with an ``actor``."""
        role = self.check_assignable(role)
        account = self.account
        with account.lock:
            if self.by_email(email) is not None:
                raise Conflict(f"'{email}' is already a member of this team", param="email")
            member = Member(id=account.entropy.new_id("mem_"), email=email.strip(), name=name, role=role,
                            status="pending", created_at=account.clock.now(), invited_by=invited_by)
            account.members[member.id] = member
        self._audit(actor, "team.invited", member, {"email": member.email, "role": member.role})
        return member

    def accept(self, member_id: str, name: str | None = None, two_factor: bool = False) -> Member:
        """What the invitee's click does: the member becomes ``active`` (a test helper)."""
        account = self.account
        with account.lock:
            member = self.get(member_id)
            member.status = "active"
            member.name = name or member.name or account.entropy.faker.name()
            member.two_factor_enabled = member.two_factor_enabled or two_factor
            member.last_login_at = account.clock.now()
        return member

    def update(self, member_id: str, role: Any, actor: Actor | None = None) -> tuple[Member, dict[str, Any]]:
        """Change a member's role; returns the member and ``{"role": {"from", "to"}}`` (or ``{}``)."""
        with self.account.lock:
            member = self.get(member_id)
            if member.role == "owner":
                raise CannotModifyOwner("The owner's role cannot be changed; transfer ownership first", param="id")
            role = self.check_assignable(role)
            if member.role == role:
                return member, {}
            changes = {"role": {"from": member.role, "to": role}}
            member.role = role
        self._audit(actor, "team.member_updated", member, {"email": member.email, "changes": changes})
        return member, changes

    def remove(self, member_id: str, actor: Actor | None = None) -> Member:
        with self.account.lock:
            member = self.get(member_id)
            if member.role == "owner":
                raise CannotRemoveOwner("The owner cannot be removed; transfer ownership first", param="id")
            del self.account.members[member_id]
        self._audit(actor, "team.member_removed", member, {"email": member.email, "role": member.role})
        return member

    def transfer_ownership(self, new_owner_id: str, actor: Actor | None = None) -> tuple[Member, Member]:
        """Make an active admin the owner; the old owner becomes an admin. Returns ``(old, new)``."""
        with self.account.lock:
            target = self.account.members.get(new_owner_id)
            if target is None or target.role != "admin" or target.status != "active":
                raise InvalidParameter("The new owner must be an active admin of this team",
                                       param="new_owner_id")
            old = self.owner
            old.role, target.role = "admin", "owner"
        self._audit(actor, "team.ownership_transferred", target, {
            "previous_owner_id": old.id, "previous_owner_email": old.email,
            "new_owner_id": target.id, "new_owner_email": target.email})
        return old, target

    def _audit(self, actor: Actor | None, action: str, member: Member, metadata: dict[str, Any]) -> None:
        if actor is not None:
            self.account.record(action, actor, "team_member", member.id, metadata)

    # -- settings --------------------------------------------------------------------------------
    def update_settings(self, changes: Mapping[str, Any], actor: Actor | None = None) -> dict[str, Any]:
        """Apply ``require_2fa`` / ``sso_enabled`` / ``sso_provider`` (those given); return
        ``{name: {"from", "to"}}`` of what changed. Audited (``team.settings_updated``) with an
        ``actor`` when something changed.

        Turning SSO on, or choosing a provider, needs the ``enterprise`` plan (:class:`PlanRequired`);
        turning it off is allowed on any plan. SSO on needs a provider.
        """
        unknown = set(changes) - set(SETTING_NAMES)
        if unknown:
            raise TypeError(f"unknown team settings: {', '.join(sorted(unknown))}")
        settings = self.settings
        provider = changes.get("sso_provider", settings.sso_provider)
        if provider is not None and provider not in SSO_PROVIDERS:
            raise InvalidParameter(f"The SSO provider must be one of: {', '.join(SSO_PROVIDERS)}",
                                   param="sso_provider")
        with self.account.lock:
            _check_sso_plan(changes, settings.plan)
            enabled = changes.get("sso_enabled", settings.sso_enabled)
            if enabled and provider is None:
                raise InvalidParameter("Choose an SSO provider to turn single sign-on on", param="sso_provider")
            changed = _apply_settings(settings, {"require_2fa": changes.get("require_2fa", settings.require_2fa),
                                                 "sso_enabled": enabled, "sso_provider": provider})
        if changed and actor is not None:
            self.account.record("team.settings_updated", actor, "team_settings", None, {"changes": changed})
        return changed


#: The team settings, in the order they are applied.
SETTING_NAMES = ("require_2fa", "sso_enabled", "sso_provider")


def _check_sso_plan(changes: Mapping[str, Any], plan: str) -> None:
    """Turning SSO on or choosing a provider needs an SSO plan; turning it off does not."""
    configuring = changes.get("sso_enabled") is True or changes.get("sso_provider") is not None
    if configuring and plan not in SSO_PLANS:
        raise PlanRequired(f"Single sign-on needs the enterprise plan; this team is on '{plan}'",
                           param="sso_enabled" if changes.get("sso_enabled") else "sso_provider")


def _apply_settings(settings: TeamSettings, wanted: Mapping[str, Any]) -> dict[str, Any]:
    """Set every ``wanted`` value; ``{name: {"from", "to"}}`` of those that differed."""
    changed: dict[str, Any] = {}
    for attr, value in wanted.items():
        old = getattr(settings, attr)
        if old != value:
            changed[attr] = {"from": old, "to": value}
            setattr(settings, attr, value)
    return changed
