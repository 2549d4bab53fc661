"""v1 team: ``/v1/team/members``, ``/v1/team/transfer-ownership``, ``/v1/team/settings`` (§5)."""

from __future__ import annotations

from typing import Any

from ... import errors
from ...clock import isoformat_or_none as ts
from ...state.team import ROLES, SETTING_NAMES, STATUSES, Member, Team, TeamSettings
from ..base import Call, Reply, Route
from ..common import is_email
from .listing import list_reply, query_choice
from .validation import check_bool, check_string, require, require_string
from .wire import state_params, wire_name

#: Each settings field on the wire and the team setting it sets.
SETTINGS_FIELDS = {wire_name(name): name for name in SETTING_NAMES}


def render_member(member: Member) -> dict[str, Any]:
    return {
        "id": member.id,
        "object": "team_member",
        "email": member.email,
        "name": member.name,
        "role": member.role,
        "status": member.status,
        "twoFactorEnabled": member.two_factor_enabled,
        "lastLoginAt": ts(member.last_login_at),
        "createdAt": ts(member.created_at),
        "invitedBy": member.invited_by,
    }


def render_settings(settings: TeamSettings) -> dict[str, Any]:
    return {
        "object": "team_settings",
        "require2FA": settings.require_2fa,
        "ssoEnabled": settings.sso_enabled,
        "ssoProvider": settings.sso_provider,
        "plan": settings.plan,
    }


def _team(call: Call) -> Team:
    return call.account.team


def _only(body: dict[str, Any], allowed: tuple[str, ...]) -> None:
    for name in body:
        if name not in allowed:
            raise errors.InvalidParameter(f"Unknown field '{name[:64]}'", param=name[:64])


def _inviter(call: Call) -> str | None:
    """Who invites: the member who owns the calling key, else the key itself."""
    if call.key is None:
        return None
    owner = _team(call).by_email(call.key.owner_email) if call.key.owner_email else None
    return owner.id if owner is not None else call.key.id


def list_members(call: Call) -> Reply:
    members = _team(call).list(role=query_choice(call, "role", ROLES),
                                  status=query_choice(call, "status", STATUSES))
    return list_reply(call, members, render_member, all_ids=[m.id for m in _team(call).list()])


def invite_member(call: Call) -> Reply:
    body = call.json()
    _only(body, ("email", "role", "name"))
    email = require_string(body, "email", max_length=254)
    if not is_email(email.strip()):
        raise errors.InvalidParameter("The 'email' field must be an email address", param="email")
    role = require(body, "role")
    name = check_string(body["name"], "name", max_length=100, min_length=1) if body.get("name") is not None \
        else None
    member = _team(call).invite(email, role, invited_by=_inviter(call), name=name, actor=call.actor)
    return Reply(201, render_member(member))


def get_member(call: Call) -> Reply:
    return Reply(200, render_member(_team(call).get(call.args["member_id"])))


def update_member(call: Call) -> Reply:
    team = _team(call)
    team.get(call.args["member_id"])
    body = call.json()
    _only(body, ("role",))
    member, _ = team.update(call.args["member_id"], require(body, "role"), call.actor)
    return Reply(200, render_member(member))


def remove_member(call: Call) -> Reply:
    member = _team(call).remove(call.args["member_id"], call.actor)
    return Reply(200, {"id": member.id, "object": "team_member", "deleted": True})


def transfer_ownership(call: Call) -> Reply:
    body = call.json()
    _only(body, ("newOwnerId",))
    new_owner_id = require_string(body, "newOwnerId", max_length=100)
    with state_params():
        _, new = _team(call).transfer_ownership(new_owner_id, call.actor)
    return Reply(200, render_member(new))


def get_settings(call: Call) -> Reply:
    return Reply(200, render_settings(call.account.settings))


def update_settings(call: Call) -> Reply:
    body = call.json()
    if "plan" in body:
        raise errors.InvalidParameter("The 'plan' field is read-only", param="plan")
    _only(body, tuple(SETTINGS_FIELDS))
    changes: dict[str, Any] = {}
    for wire, attr in SETTINGS_FIELDS.items():
        if wire not in body:
            continue
        value = body[wire]
        if wire == "ssoProvider":
            changes[attr] = None if value is None else check_string(value, wire, max_length=50)
        else:
            changes[attr] = check_bool(value, wire)
    with state_params():
        _team(call).update_settings(changes, call.actor)
    return Reply(200, render_settings(call.account.settings))


ROUTES = [
    Route("GET", "/team/members", list_members, "team:read"),
    Route("POST", "/team/members", invite_member, "team:write"),
    Route("GET", "/team/members/<member_id>", get_member, "team:read"),
    Route("PATCH", "/team/members/<member_id>", update_member, "team:write"),
    Route("DELETE", "/team/members/<member_id>", remove_member, "team:write"),
    Route("POST", "/team/transfer-ownership", transfer_ownership, "team:write"),
    Route("GET", "/team/settings", get_settings, "team:read"),
    Route("PATCH", "/team/settings", update_settings, "team:write"),
]
