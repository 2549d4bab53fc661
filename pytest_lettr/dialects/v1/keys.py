"""v1 API keys: ``/v1/api-keys``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ... import errors
from ...clock import isoformat_or_none as ts
from ...permissions import (
    covers,
    domain_restrictions_within,
    ip_restrictions_within,
    parse_ip_restrictions,
    validate_permissions,
)
from ...state.keys import ApiKey
from ...state.limits import PERIOD_SECONDS
from ..base import Call, Reply, Route
from .listing import list_reply
from .validation import (
    check_choice,
    check_int,
    check_object,
    check_string_list,
    optional,
    parse_timestamp,
    require_string,
)

RATE_PERIODS = ("second", "minute", "hour")
SETTINGS_FIELDS = frozenset({"name", "permissions", "domainRestrictions", "ipRestrictions", "expiresAt",
                             "rateLimit"})


def render_key(key: ApiKey, call: Call, secret: str | None = None) -> dict[str, Any]:
    now = call.account.clock.now()
    body: dict[str, Any] = {
        "id": key.id,
        "object": "api_key",
        "name": key.name,
        "keyPrefix": key.key_prefix,
        "permissions": list(key.permissions),
        "domainRestrictions": list(key.domain_restrictions),
        "ipRestrictions": list(key.ip_restrictions),
        "expiresAt": ts(key.expires_at),
        "rateLimit": key.rate_limit,
        "lastUsedAt": ts(key.last_used_at),
        "createdAt": ts(key.created_at),
        "rotationDueAt": ts(key.rotation_due_at),
        "rotationDue": key.rotation_due(now),
    }
    if secret is not None:
        body["key"] = secret
    return body


def _rate_limit(value: Any, param: str) -> dict[str, Any]:
    obj = check_object(value, param)
    unknown = set(obj) - {"requests", "period"}
    if unknown:
        raise errors.InvalidParameter(f"Unknown field '{sorted(unknown)[0]}' in '{param}'",
                                      param=f"{param}.{sorted(unknown)[0]}")
    requests = check_int(obj.get("requests"), f"{param}.requests", minimum=1, maximum=1_000_000)
    period = check_choice(obj.get("period"), f"{param}.period", RATE_PERIODS)
    return {"requests": requests, "period": period}


def _future(call: Call) -> Any:
    def check(value: Any, param: str) -> datetime:
        moment = parse_timestamp(value, param)
        if moment <= call.account.clock.now():
            raise errors.InvalidParameter(f"The '{param}' field must be in the future", param=param)
        return moment

    return check


def _domains(value: Any, param: str) -> list[str]:
    domains = check_string_list(value, param, max_items=100, item_max_length=253)
    for i, domain in enumerate(domains):
        if "@" in domain or "." not in domain or " " in domain:
            raise errors.InvalidParameter(f"'{domain}' is not a domain name", param=f"{param}.{i}")
    return [d.lower() for d in domains]


def _refuse_unknown(body: dict[str, Any], known: frozenset[str]) -> None:
    """A misspelt field (``permisions``) is an error, never silently ignored."""
    for name in body:
        if name not in known:
            raise errors.InvalidParameter(f"Unknown field '{name[:64]}'", param=name[:64])


def _settings(call: Call, body: dict[str, Any], *, partial: bool) -> dict[str, Any]:
    """Validated key settings from a create or update body (python attribute names)."""
    _refuse_unknown(body, SETTINGS_FIELDS)
    settings: dict[str, Any] = {}
    if "name" in body or not partial:
        settings["name"] = require_string(body, "name", max_length=100)
        if not settings["name"].strip():
            raise errors.InvalidParameter("The 'name' field must not be blank", param="name")
    if "permissions" in body:
        settings["permissions"] = validate_permissions(body["permissions"])
    elif not partial:
        settings["permissions"] = ["*"]
    fields = {
        "domainRestrictions": ("domain_restrictions", _domains),
        "ipRestrictions": ("ip_restrictions", lambda v, p: parse_ip_restrictions(v, p)),
        "expiresAt": ("expires_at", _future(call)),
        "rateLimit": ("rate_limit", _rate_limit),
    }
    for wire_name, (attr, check) in fields.items():
        if wire_name in body:
            if body[wire_name] is None:
                settings[attr] = [] if attr.endswith("restrictions") else None
            else:
                settings[attr] = check(body[wire_name], wire_name)
    return settings


#: The settings a key may not hand out more of than it has itself (attribute names).
GUARDED = ("permissions", "ip_restrictions", "domain_restrictions", "expires_at", "rate_limit")


def _per_second(rate_limit: dict[str, Any]) -> float:
    return float(rate_limit["requests"]) / PERIOD_SECONDS[str(rate_limit["period"])]


def _check_within_caller(call: Call, proposed: dict[str, Any], *, what: str) -> None:
    """No escalation: a key may not create, become or manage a key more powerful than itself —
    more permissions, wider IP or domain restrictions, a later expiry or a looser rate limit."""
    caller = call.key
    assert caller is not None
    problems = (
        ("permissions", "permissions the calling key does not hold",
         covers(caller.permissions, proposed["permissions"])),
        ("ipRestrictions", "IP restrictions wider than the calling key's",
         ip_restrictions_within(caller.ip_restrictions, proposed["ip_restrictions"])),
        ("domainRestrictions", "domain restrictions wider than the calling key's",
         domain_restrictions_within(caller.domain_restrictions, proposed["domain_restrictions"])),
        ("expiresAt", "an expiry later than the calling key's",
         caller.expires_at is None or (proposed["expires_at"] is not None
                                       and proposed["expires_at"] <= caller.expires_at)),
        ("rateLimit", "a rate limit looser than the calling key's",
         caller.rate_limit is None or (proposed["rate_limit"] is not None
                                       and _per_second(proposed["rate_limit"]) <= _per_second(caller.rate_limit))),
    )
    for param, problem, fine in problems:
        if not fine:
            raise errors.Forbidden(f"{what} {problem}", param=param, restriction="escalation")


def _check_caller_may_manage(call: Call) -> None:
    """A key on its way out (rotated, in its grace period) manages no keys: it could otherwise
    rotate itself, or mint a successor, and outlive the rotation that retires it."""
    caller = call.key
    assert caller is not None
    if caller.revoked(call.account.clock.now()):  # deleted while this request was on its way
        raise errors.Unauthorized("Invalid API key")
    if caller.revocation_scheduled:
        raise errors.Forbidden("A key whose revocation is scheduled (rotated, in its grace period) cannot "
                               "create, change, rotate or delete keys; use its successor",
                               restriction="revocation_scheduled")


def _check_reaches(call: Call, target: ApiKey, *, what: str) -> None:
    """The caller may manage ``target``: it may act on keys at all, a ``le_test_`` key reaches only
    ``le_test_`` keys, and ``target`` is no more powerful than the caller."""
    _check_caller_may_manage(call)
    assert call.key is not None
    if call.key.mode == "test" and target.mode != "test":
        raise errors.Forbidden("A le_test_ key can manage only le_test_ keys", param="id", restriction="mode")
    _check_within_caller(call, _settings_of(target), what=what)


def _settings_of(key: ApiKey, **changes: Any) -> dict[str, Any]:
    return {name: changes.get(name, getattr(key, name)) for name in GUARDED}


def create_key(call: Call) -> Reply:
    settings = _settings(call, call.json(), partial=False)
    assert call.key is not None
    proposed = {name: settings.get(name, [] if name.endswith("restrictions") else None) for name in GUARDED}

    def check() -> None:  # run again under the key store's lock, atomic with the creation
        _check_caller_may_manage(call)
        _check_within_caller(call, proposed, what="A key cannot create a key with")

    check()
    name = settings.pop("name")
    mode = "test" if call.key.mode == "test" else "live"
    created = call.account.keys.create(name, settings.pop("permissions"), mode=mode, check=check,
                                       actor=call.actor, **settings)
    return Reply(201, render_key(created.api_key, call, created.key))


def list_keys(call: Call) -> Reply:
    return list_reply(call, call.account.keys.active(), lambda k: render_key(k, call))


def get_key(call: Call) -> Reply:
    return Reply(200, render_key(call.account.keys.get(call.args["key_id"]), call))


def update_key(call: Call) -> Reply:
    key_id = call.args["key_id"]
    _check_reaches(call, call.account.keys.get(key_id), what="A key cannot change a key with")
    settings = _settings(call, call.json(), partial=True)

    def check(target: ApiKey) -> None:  # under the key store's lock, atomic with the change
        _check_reaches(call, target, what="A key cannot change a key with")
        _check_within_caller(call, _settings_of(target, **settings), what="A key cannot give a key")

    key, _ = call.account.keys.update(key_id, check, actor=call.actor, **settings)
    return Reply(200, render_key(key, call))


def delete_key(call: Call) -> Reply:
    key_id = call.args["key_id"]

    def check(target: ApiKey) -> None:  # under the key store's lock, atomic with the revocation
        _check_caller_may_manage(call)
        if target is call.key:
            raise errors.CannotDeleteSelf("An API key cannot delete itself", param="id")

    check(call.account.keys.get(key_id))
    call.account.keys.delete(key_id, check, actor=call.actor)
    return Reply(200, {"id": key_id, "object": "api_key", "deleted": True})


def rotate_key(call: Call) -> Reply:
    key_id = call.args["key_id"]
    what = "A key cannot rotate a key with"
    _check_reaches(call, call.account.keys.get(key_id), what=what)
    body = call.json()
    _refuse_unknown(body, frozenset({"gracePeriodSeconds"}))
    grace = optional(body, "gracePeriodSeconds",
                     lambda v, p: check_int(v, p, minimum=0, maximum=30 * 24 * 3600), default=0)
    created = call.account.keys.rotate(key_id, grace or 0, lambda target: _check_reaches(call, target, what=what),
                                       actor=call.actor)
    return Reply(201, render_key(created.api_key, call, created.key))


ROUTES = [
    Route("POST", "/api-keys", create_key, "api-keys:create", secret_field="key"),
    Route("GET", "/api-keys", list_keys, "api-keys:read"),
    Route("GET", "/api-keys/<key_id>", get_key, "api-keys:read"),
    Route("PATCH", "/api-keys/<key_id>", update_key, "api-keys:update"),
    Route("DELETE", "/api-keys/<key_id>", delete_key, "api-keys:delete"),
    Route("POST", "/api-keys/<key_id>/rotate", rotate_key, "api-keys:create", secret_field="key"),
]


