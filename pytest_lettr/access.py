"""Who may do what: the access check every intake (HTTP dialects, later SMTP) runs, in one order.

::

    access = authorize(account, token, client_ip="127.0.0.1", permission="emails:send",
                       context={"method": "POST", "path": "/v1/emails"})
    access.key.id, access.actor.ip_address, access.rate_limit.remaining

The order: the client's address is not locked out (``enforce_limits``: 5 failed authentications
within 5 minutes block it for 15) → a key is given → it is known (not revoked) → not expired →
the client's IP is allowed → the intake's own checks (``intake_checks``: sandbox rules, say) → the rate limit → the
permission. A refusal raises the domain error (with ``extra["rate_limit"]`` once the window is
known) and is audited: ``auth.failed`` for a 401,
``auth.forbidden`` for a permission or restriction refusal, with ``context`` (what was asked, e.g.
method and path) in the entry's metadata.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from . import errors
from .permissions import allows, ip_allowed
from .state import Account, Actor, ApiKey
from .state.limits import RateLimitStatus, count_request

#: ``auth.failed`` records the first 7 characters of a rejected token only if it is at least this long.
MIN_AUDITED_TOKEN = 20

IntakeCheck = Callable[[ApiKey], None]


@dataclass(frozen=True)
class Access:
    """A granted request: the key, who acts (for the audit log), and the key's rate-limit window."""

    key: ApiKey
    actor: Actor
    rate_limit: RateLimitStatus


def anonymous(client_ip: str | None, user_agent: str | None = None) -> Actor:
    """The actor of a request before (or without) a key."""
    return Actor(id=None, type="api_key", ip_address=client_ip, user_agent=user_agent)


def authorize(account: Account, token: str | None, *, client_ip: str | None, permission: str | None,
              scope: str | None = None, user_agent: str | None = None, intake_checks: IntakeCheck | None = None,
              context: Mapping[str, str] | None = None) -> Access:
    """Run the access check for one request; raise (and audit) its refusal, or grant it.

    ``permission`` is the atomic permission needed (``None``: any valid key); ``scope`` the name a
    refusal shows (the current API names scopes, not atomic permissions).
    """
    actor = anonymous(client_ip, user_agent)
    key: ApiKey | None = None
    window: RateLimitStatus | None = None
    try:
        if account.options.enforce_limits:
            account.auth_lockout.check(client_ip)
        key = _authenticate_counting_failures(account, token, client_ip)
        actor = Actor(id=key.id, type="api_key", ip_address=client_ip, user_agent=user_agent,
                      key_prefix=key.key_prefix)
        window = _admit(account, key, client_ip, intake_checks)
        _check_permission(account, key, permission, scope)
    except errors.LettrError as error:
        audit_refusal(account, actor, key, error, context or {})
        _attach_window(error, window)
        raise
    return Access(key, actor, window)


def _admit(account: Account, key: ApiKey, client_ip: str | None, intake_checks: IntakeCheck | None) -> RateLimitStatus:
    """The IP restriction, the intake's own checks, then one request counted against the rate limit."""
    if not ip_allowed(key.ip_restrictions, client_ip):
        raise errors.Forbidden("Request from unauthorized IP address", restriction="ip")
    if intake_checks is not None:
        intake_checks(key)
    return count_request(account, key)


def _check_permission(account: Account, key: ApiKey, permission: str | None, scope: str | None) -> None:
    if permission is None:
        return
    if not allows(key.permissions, permission):
        shown = scope or permission
        raise errors.Forbidden(f"API key lacks required permission: {shown}", required_permission=shown)
    account.note_permission_used(key.id, permission)


def _attach_window(error: errors.LettrError, window: RateLimitStatus | None) -> None:
    """A refusal still reports the rate-limit window (``X-RateLimit-*`` headers): the one counted,
    or the one a 429 ran out of."""
    if isinstance(error, errors.RateLimited) and "limit" in error.extra:
        window = RateLimitStatus(int(error.extra["limit"]), 0, int(error.extra["reset"]))
    if window is not None:
        error.extra.setdefault("rate_limit", window)


def _authenticate_counting_failures(account: Account, token: str | None, client_ip: str | None) -> ApiKey:
    """:func:`_authenticate`; a failure counts towards the client address's lockout."""
    try:
        return _authenticate(account, token)
    except errors.Unauthorized:
        account.auth_lockout.fail(client_ip)
        raise


def _authenticate(account: Account, token: str | None) -> ApiKey:
    if token is None:
        raise errors.Unauthorized("Missing API key. Send it as 'Authorization: Bearer <key>'",
                                  key_prefix=None, key_length=0)
    try:
        return account.keys.authenticate(token)
    except errors.Unauthorized as error:
        error.extra.setdefault("key_prefix", token[:7] or None)
        error.extra.setdefault("key_length", len(token))
        raise


def audit_refusal(account: Account, actor: Actor, key: ApiKey | None, error: errors.LettrError,
                  context: Mapping[str, str]) -> None:
    """``auth.failed`` for a 401, ``auth.forbidden`` for a permission or restriction refusal."""
    if isinstance(error, errors.Unauthorized):
        # The prefix tried, but never most of a short token (it may be a password sent by mistake).
        long_enough = error.extra.get("key_length", 0) >= MIN_AUDITED_TOKEN
        prefix = error.extra.get("key_prefix") if long_enough else None
        key_id = error.extra.get("key_id")  # an expired key is known: it is the actor and the resource
        account.record("auth.failed", replace(actor, id=key_id) if key_id else actor, "api_key", key_id,
                       {"reason": error.code, "key_prefix": prefix, **context})
    elif isinstance(error, errors.Forbidden) and (error.required_permission or error.restriction):
        metadata: dict[str, str] = dict(context)
        if error.required_permission:
            metadata["required_permission"] = error.required_permission
        if error.restriction:
            metadata["restriction"] = error.restriction
        account.record("auth.forbidden", actor, "api_key", key.id if key else None, metadata)


__all__ = ["Access", "anonymous", "audit_refusal", "authorize"]
