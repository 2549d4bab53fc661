"""state/team.py: Team.update_settings, the rules behind PATCH /v1/team/settings.

The v1 tests go through HTTP, where the dialect has already checked the types; these call the
state layer directly and pin which rule wins, the error's parameter, and that a refused change
leaves every setting as it was.
"""

from __future__ import annotations

from typing import Any

import pytest

from pytest_lettr.errors import InvalidParameter, LettrError, PlanRequired
from pytest_lettr.state.account import Account
from pytest_lettr.state.team import Team

PLAN_MESSAGE = "Single sign-on needs the enterprise plan; this team is on '{}'"
PROVIDER_MESSAGE = "The SSO provider must be one of: saml, oidc, google, okta, azure_ad"
CHOOSE_MESSAGE = "Choose an SSO provider to turn single sign-on on"
BAD_PROVIDER = (InvalidParameter, PROVIDER_MESSAGE, "sso_provider")


def team(plan: str = "pro", **settings: Any) -> Team:
    account = Account(seed="team-settings")
    account.settings.plan = plan
    for name, value in settings.items():
        setattr(account.settings, name, value)
    return Team(account)


def snapshot(of: Team) -> tuple[Any, ...]:
    s = of.settings
    return s.plan, s.require_2fa, s.sso_enabled, s.sso_provider


def refused(of: Team, changes: dict[str, Any]) -> tuple[type[BaseException], str, str | None]:
    before = snapshot(of)
    with pytest.raises((LettrError, TypeError)) as caught:
        of.update_settings(changes)
    assert snapshot(of) == before
    error = caught.value
    return type(error), str(error), getattr(error, "param", None)


def test_unknown_settings_are_a_type_error_naming_them_sorted() -> None:
    assert refused(team(), {"sso_enabled": True, "plan": "free", "colour": 1}) == (
        TypeError, "unknown team settings: colour, plan", None)


@pytest.mark.parametrize(
    ("plan", "settings", "changes", "expected"),
    [
        # the provider is checked first, on any plan, also one already stored
        ("free", {}, {"sso_provider": "ldap", "sso_enabled": True}, BAD_PROVIDER),
        ("pro", {"sso_provider": "ldap"}, {"require_2fa": True}, BAD_PROVIDER),
        # configuring SSO needs the enterprise plan; the error names what was asked for
        ("pro", {}, {"sso_enabled": True}, (PlanRequired, PLAN_MESSAGE.format("pro"), "sso_enabled")),
        ("free", {}, {"sso_provider": "okta"}, (PlanRequired, PLAN_MESSAGE.format("free"), "sso_provider")),
        ("pro", {}, {"sso_enabled": True, "sso_provider": "okta"},
         (PlanRequired, PLAN_MESSAGE.format("pro"), "sso_enabled")),
        ("pro", {}, {"sso_enabled": False, "sso_provider": "okta"},
         (PlanRequired, PLAN_MESSAGE.format("pro"), "sso_provider")),
        ("pro", {}, {"sso_enabled": 1, "sso_provider": "okta"},
         (PlanRequired, PLAN_MESSAGE.format("pro"), "sso_enabled")),
        # only ``True`` counts as turning it on for the plan check; other truthy values still need a provider
        ("pro", {}, {"sso_enabled": 1}, (InvalidParameter, CHOOSE_MESSAGE, "sso_provider")),
        # SSO on needs a provider, whether turned on now or already on
        ("enterprise", {}, {"sso_enabled": True}, (InvalidParameter, CHOOSE_MESSAGE, "sso_provider")),
        ("enterprise", {"sso_enabled": True, "sso_provider": "okta"}, {"sso_provider": None},
         (InvalidParameter, CHOOSE_MESSAGE, "sso_provider")),
        ("pro", {"sso_enabled": True}, {"require_2fa": True}, (InvalidParameter, CHOOSE_MESSAGE, "sso_provider")),
    ],
)
def test_refused_changes(plan: str, settings: dict[str, Any], changes: dict[str, Any],
                         expected: tuple[type[BaseException], str, str]) -> None:
    assert refused(team(plan, **settings), changes) == expected


def test_plan_required_error_code() -> None:
    with pytest.raises(PlanRequired) as caught:
        team().update_settings({"sso_enabled": True})
    assert caught.value.code == "plan_required"


@pytest.mark.parametrize(
    ("plan", "settings", "changes", "changed", "after"),
    [
        ("pro", {}, {}, {}, ("pro", False, False, None)),
        ("pro", {}, {"require_2fa": True}, {"require_2fa": {"from": False, "to": True}}, ("pro", True, False, None)),
        ("pro", {}, {"require_2fa": False, "sso_enabled": False, "sso_provider": None}, {},
         ("pro", False, False, None)),
        # turning SSO off is allowed on any plan and keeps the provider
        ("free", {"sso_enabled": True, "sso_provider": "okta"}, {"sso_enabled": False},
         {"sso_enabled": {"from": True, "to": False}}, ("free", False, False, "okta")),
        ("enterprise", {}, {"sso_provider": "saml", "require_2fa": True, "sso_enabled": True},
         {"require_2fa": {"from": False, "to": True}, "sso_enabled": {"from": False, "to": True},
          "sso_provider": {"from": None, "to": "saml"}},
         ("enterprise", True, True, "saml")),
        ("enterprise", {"sso_enabled": True, "sso_provider": "okta"}, {"sso_provider": "google"},
         {"sso_provider": {"from": "okta", "to": "google"}}, ("enterprise", False, True, "google")),
        # a provider may be removed while SSO is off
        ("enterprise", {"sso_provider": "okta"}, {"sso_provider": None},
         {"sso_provider": {"from": "okta", "to": None}}, ("enterprise", False, False, None)),
        # values are stored as given: the dialect checks their types
        ("pro", {}, {"require_2fa": "yes"}, {"require_2fa": {"from": False, "to": "yes"}}, ("pro", "yes", False, None)),
    ],
)
def test_accepted_changes(plan: str, settings: dict[str, Any], changes: dict[str, Any], changed: dict[str, Any],
                          after: tuple[Any, ...]) -> None:
    of = team(plan, **settings)
    result = of.update_settings(changes)
    assert result == changed and list(result) == list(changed)
    assert snapshot(of) == after
