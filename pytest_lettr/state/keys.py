"""API keys: created with a secret shown once, stored only as a hash.

>>> from pytest_lettr.clock import Clock
>>> from pytest_lettr.randomness import Entropy
>>> store = KeyStore(Clock(), Entropy(1))
>>> created = store.create("ci", permissions=["emails:send"])
>>> created.key.startswith("le_") and store.authenticate(created.key) is created.api_key
True
>>> created.key in repr(created)
False
"""

from __future__ import annotations

import hashlib
import hmac
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from ..clock import Clock, isoformat_or_none
from ..errors import InvalidParameter, KeyExpired, NotFound, Unauthorized
from ..randomness import Entropy
from .audit import Actor, AuditLog
from .limits import PERIOD_SECONDS

ROTATION_PERIOD = timedelta(days=90)

#: Key families: (prefix, random part length). v1 keys are ``le_`` + 36 alphanumerics.
KEY_FORMATS: dict[str, tuple[str, int]] = {
    "live": ("le_", 36),
    "test": ("le_test_", 36),
    "api": ("lttr_", 64),
    "sandbox": ("lttr_sandbox_", 64),
}


def hash_key(raw: str) -> str:
    """The stored form of a key: SHA-256 hex of its UTF-8 bytes."""
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


_KEY_SHAPE = re.compile("|".join(f"{re.escape(prefix)}[A-Za-z0-9]{{{length}}}"
                                  for prefix, length in KEY_FORMATS.values()))


def looks_like_key(raw: str) -> bool:
    """Whether ``raw`` has the shape of any Lettr key (checked before any lookup).

    >>> looks_like_key("le_" + "a" * 36), looks_like_key("le_" + "a" * 35), looks_like_key("le_" + "é" * 36)
    (True, False, False)
    """
    return _KEY_SHAPE.fullmatch(raw) is not None


#: A key as a token of a longer text (a query name, ``Bearer le_…``, ``a,le_…,b``): not glued to
#: letters or digits on either side, so ``file_`` + 36 characters is no key.
_KEY_TOKEN = re.compile(rf"(?<![A-Za-z0-9])(?:{_KEY_SHAPE.pattern})(?![A-Za-z0-9])")
#: What masking hides: a key family's prefix and at least its length of key characters, anywhere.
_KEY_RUN = re.compile("|".join(f"{re.escape(prefix)}[A-Za-z0-9]{{{length},}}" for prefix, length in
                               sorted(KEY_FORMATS.values(), key=lambda f: -len(f[0]))))
_PREFIXES = sorted((prefix for prefix, _ in KEY_FORMATS.values()), key=len, reverse=True)


def contains_key(text: str) -> bool:
    """Whether ``text`` holds a key as one of its tokens.

    >>> contains_key("Bearer le_" + "a" * 36), contains_key("file_" + "a" * 36), contains_key("le_test")
    (True, False, False)
    """
    return _KEY_TOKEN.search(text) is not None


def mask_keys(text: str) -> str:
    """``text`` with everything shaped like a key replaced by its family's prefix and ``***``.

    >>> mask_keys("No such endpoint: GET /v1/le_" + "a" * 36 + "/x")
    'No such endpoint: GET /v1/le_***/x'
    """
    if "le_" not in text and "lttr_" not in text:  # the common case, at C speed
        return text
    return _KEY_RUN.sub(lambda m: next(p for p in _PREFIXES if m.group().startswith(p)) + "***", text)


def check_rate_limit(rate_limit: dict[str, Any] | None) -> None:
    """A key's own ``rate_limit`` is ``None`` or ``{"requests": n >= 1, "period": second|minute|hour}``.

    >>> check_rate_limit({"requests": 5, "period": "day"})
    Traceback (most recent call last):
    ...
    pytest_lettr.errors.InvalidParameter: A rate limit is {"requests": n >= 1, "period": "second", "minute" or "hour"}
    """
    if rate_limit is None:
        return
    requests, period = rate_limit.get("requests"), rate_limit.get("period")
    if set(rate_limit) != {"requests", "period"} or isinstance(requests, bool) or not isinstance(requests, int) \
            or requests < 1 or period not in PERIOD_SECONDS:
        raise InvalidParameter('A rate limit is {"requests": n >= 1, "period": "second", "minute" or "hour"}',
                               param="rate_limit")


@dataclass(eq=False)
class ApiKey:
    """A stored key. It never holds the key itself, only ``key_hash`` and ``key_prefix``."""

    id: str
    name: str
    key_hash: str = field(repr=False)
    key_prefix: str
    mode: str
    permissions: list[str]
    domain_restrictions: list[str]
    ip_restrictions: list[str]
    expires_at: datetime | None
    rate_limit: dict[str, Any] | None
    created_at: datetime
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None
    revokes_at: datetime | None = None
    owner_email: str | None = None

    @property
    def sandbox(self) -> bool:
        return self.mode == "sandbox"

    @property
    def rotation_due_at(self) -> datetime:
        return self.created_at + ROTATION_PERIOD

    def rotation_due(self, now: datetime) -> bool:
        """Whether the key is 90 days old or more (Lettr's rotation advice)."""
        return now >= self.rotation_due_at

    @property
    def revocation_scheduled(self) -> bool:
        """Whether the key is on its way out: rotated, and working only until ``revokes_at``."""
        return self.revokes_at is not None

    def revoked(self, now: datetime) -> bool:
        return self.revoked_at is not None or (self.revokes_at is not None and now >= self.revokes_at)

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and now >= self.expires_at


@dataclass(frozen=True)
class CreatedKey:
    """What creation and rotation return: the stored key and the full key, shown once."""

    api_key: ApiKey
    key: str = field(repr=False)

    @property
    def id(self) -> str:
        return self.api_key.id

    @property
    def permissions(self) -> list[str]:
        return self.api_key.permissions

    def __repr__(self) -> str:
        return f"CreatedKey(id={self.api_key.id!r}, key_prefix={self.api_key.key_prefix!r})"


#: A caller's check run inside a key operation, under the store's lock: it sees the keys as the
#: operation changes them, so no other change can slip in between the check and the change.
TargetCheck = Callable[[ApiKey], None]
Check = Callable[[], None]


class KeyStore:
    """All keys of one account, looked up by id or by the hash of the presented key.

    Every change takes the store's lock; ``check`` arguments run under it, before the change, and
    refuse it by raising. Given an ``actor`` (and the store an audit log), a change records its own
    ``api_key.*`` audit entry, with the same metadata whichever intake made it.
    """

    def __init__(self, clock: Clock, entropy: Entropy, audit: AuditLog | None = None) -> None:
        self._clock = clock
        self._entropy = entropy
        self._audit_log = audit
        self._lock = threading.RLock()
        self._by_id: dict[str, ApiKey] = {}
        self._by_hash: dict[str, ApiKey] = {}
        self._scheduled: dict[str, ApiKey] = {}  # keys whose revocation is scheduled, not yet recorded
        clock.on_advance(self.settle)

    def __len__(self) -> int:
        return len(self._by_id)

    def __iter__(self) -> Any:
        self.settle()
        return iter(list(self._by_id.values()))

    def settle(self) -> None:
        """Record every scheduled revocation that is due as done (``revoked_at``), so a key revoked
        at the end of its grace period stays revoked when the clock is moved back. Runs whenever
        keys are read and after every clock move."""
        if not self._scheduled:
            return
        now = self._clock.now()
        with self._lock:
            for api_key in [k for k in self._scheduled.values() if k.revokes_at is not None and k.revokes_at <= now]:
                self._revoke(api_key, api_key.revokes_at or now)

    def _revoke(self, api_key: ApiKey, moment: datetime) -> None:
        if api_key.revoked_at is None:
            api_key.revoked_at = moment
        self._by_hash.pop(api_key.key_hash, None)
        self._scheduled.pop(api_key.id, None)

    def create(
        self,
        name: str,
        permissions: Sequence[str] = ("*",),
        *,
        mode: str = "live",
        domain_restrictions: Iterable[str] = (),
        ip_restrictions: Iterable[str] = (),
        expires_at: datetime | None = None,
        rate_limit: dict[str, Any] | None = None,
        owner_email: str | None = None,
        raw_key: str | None = None,
        check: Check | None = None,
        actor: Actor | None = None,
        key_id: str | None = None,
    ) -> CreatedKey:
        """Mint a key. ``raw_key`` pins the secret (the CLI's ``--admin-key``); it must be well-formed.

        ``key_id`` pins the id (a key re-installed into every fresh account keeps its id); given
        with ``raw_key``, no seeded stream is drawn from, so the account's other ids do not move."""
        _check_new_key(mode, rate_limit, raw_key, permissions=permissions,
                       domain_restrictions=domain_restrictions, ip_restrictions=ip_restrictions)
        with self._lock:
            if key_id is not None and key_id in self._by_id:
                raise ValueError(f"a key with id {key_id!r} exists already")
            if check is not None:
                check()  # before any id or secret is drawn, so a refusal changes no later id
            created = self._insert(name, permissions, mode, raw_key, domain_restrictions=domain_restrictions,
                                   ip_restrictions=ip_restrictions, expires_at=expires_at,
                                   rate_limit=rate_limit, owner_email=owner_email, key_id=key_id)
        new = created.api_key
        given = {"domain_restrictions": new.domain_restrictions, "ip_restrictions": new.ip_restrictions,
                 "expires_at": new.expires_at, "rate_limit": new.rate_limit}
        self._audit(actor, "api_key.created", new.id, {
            "name": name, "key_prefix": new.key_prefix, "permissions": new.permissions,
            **audit_view({k: v for k, v in given.items() if v})})
        return created

    def _insert(self, name: str, permissions: Sequence[str], mode: str, raw_key: str | None, *,
                domain_restrictions: Iterable[str], ip_restrictions: Iterable[str], expires_at: datetime | None,
                rate_limit: dict[str, Any] | None, owner_email: str | None,
                key_id: str | None = None) -> CreatedKey:
        prefix, length = KEY_FORMATS[mode]
        if raw_key is None:
            raw_key = prefix + self._entropy.stream("key_secrets").token(length)
        api_key = ApiKey(
            id=key_id or self._entropy.new_id("key_"),
            name=name,
            key_hash=hash_key(raw_key),
            key_prefix=raw_key[:7],
            mode=mode,
            permissions=list(permissions),
            domain_restrictions=[d.lower() for d in domain_restrictions],
            ip_restrictions=list(ip_restrictions),
            expires_at=expires_at,
            rate_limit=rate_limit,
            created_at=self._clock.now(),
            owner_email=owner_email,
        )
        self._by_id[api_key.id] = api_key
        self._by_hash[api_key.key_hash] = api_key
        return CreatedKey(api_key, raw_key)

    def get(self, key_id: str) -> ApiKey:
        """A live key by id; revoked keys are gone (404)."""
        self.settle()
        api_key = self._by_id.get(key_id)
        if api_key is None or api_key.revoked(self._clock.now()):
            raise NotFound(f"API key '{key_id}' not found")
        return api_key

    def active(self) -> list[ApiKey]:
        """Keys that are not revoked, oldest first."""
        self.settle()
        now = self._clock.now()
        return [k for k in self._by_id.values() if not k.revoked(now)]

    def knows(self, raw: str) -> bool:
        """Whether ``raw`` is one of this store's keys (revoked or not): which account a presented
        key belongs to. Looked up by hash, confirmed with :func:`hmac.compare_digest`."""
        digest = hash_key(raw)
        api_key = self._by_hash.get(digest)
        return api_key is not None and hmac.compare_digest(api_key.key_hash, digest)

    def authenticate(self, raw: str) -> ApiKey:
        """The key ``raw`` stands for, or :class:`Unauthorized` / :class:`KeyExpired`.

        Only hashes are compared, and with :func:`hmac.compare_digest`.
        """
        if not looks_like_key(raw):
            raise Unauthorized("Invalid API key format")
        self.settle()
        digest = hash_key(raw)
        api_key = self._by_hash.get(digest)
        now = self._clock.now()
        if api_key is None or not hmac.compare_digest(api_key.key_hash, digest) or api_key.revoked(now):
            raise Unauthorized("Invalid API key")
        if api_key.expired(now):
            raise KeyExpired("API key has expired", key_id=api_key.id)
        api_key.last_used_at = now
        return api_key

    def update(self, key_id: str, check: TargetCheck | None = None, actor: Actor | None = None,
               **changes: Any) -> tuple[ApiKey, dict[str, Any]]:
        """Apply ``changes`` (attribute names) at once; return the key and what changed."""
        with self._lock:
            api_key = self.get(key_id)
            if check is not None:
                check(api_key)
            changed = {k: v for k, v in changes.items() if getattr(api_key, k) != v}
            for name, value in changed.items():
                setattr(api_key, name, value)
        if changed:
            self._audit(actor, "api_key.updated", api_key.id, {"changes": audit_view(changed)})
        return api_key, changed

    def delete(self, key_id: str, check: TargetCheck | None = None, actor: Actor | None = None) -> ApiKey:
        """Revoke a key now: its next request gets 401."""
        with self._lock:
            api_key = self.get(key_id)
            if check is not None:
                check(api_key)
            self._revoke(api_key, self._clock.now())
        self._audit(actor, "api_key.deleted", api_key.id, {"name": api_key.name, "key_prefix": api_key.key_prefix})
        return api_key

    def rotate(self, key_id: str, grace_period_seconds: int = 0, check: TargetCheck | None = None,
               actor: Actor | None = None) -> CreatedKey:
        """A new key with the same settings and mode; the old one lives ``grace_period_seconds`` more.

        Rotating a key whose revocation is already scheduled may bring it forward, never postpone it.
        """
        with self._lock:
            old = self.get(key_id)
            if check is not None:
                check(old)
            created = self._insert(old.name, old.permissions, old.mode, None,
                                   domain_restrictions=old.domain_restrictions,
                                   ip_restrictions=old.ip_restrictions, expires_at=old.expires_at,
                                   rate_limit=old.rate_limit, owner_email=old.owner_email)
            now = self._clock.now()
            if grace_period_seconds > 0:
                ends = now + timedelta(seconds=grace_period_seconds)
                old.revokes_at = ends if old.revokes_at is None else min(old.revokes_at, ends)
                self._scheduled[old.id] = old
            else:
                self._revoke(old, now)
        self._audit(actor, "api_key.rotated", old.id, {
            "new_key_id": created.id, "key_prefix": created.api_key.key_prefix,
            "grace_period_seconds": grace_period_seconds})
        return created

    def _audit(self, actor: Actor | None, action: str, key_id: str, metadata: dict[str, Any]) -> None:
        if actor is not None and self._audit_log is not None:
            self._audit_log.record(action, actor, "api_key", key_id, metadata)

    def snapshot(self, key_id: str) -> ApiKey:
        """A copy of a key's current settings (for audit diffs)."""
        return replace(self.get(key_id))


def _check_new_key(mode: str, rate_limit: dict[str, Any] | None, raw_key: str | None,
                   **lists: Sequence[str] | Iterable[str]) -> None:
    """A new key's arguments: a known mode, a valid rate limit, a well-formed pinned secret, lists."""
    if mode not in KEY_FORMATS:
        raise InvalidParameter(f"Unknown key mode '{mode}'", param="mode")
    check_rate_limit(rate_limit)
    for what, value in lists.items():
        if isinstance(value, str):  # list("example.com") would be eleven one-letter domains
            raise TypeError(f"{what} is a list of strings, not one string: use [{value!r}]")
    if raw_key is not None and not looks_like_key(raw_key):
        raise InvalidParameter("A key must be le_ or le_test_ + 36 alphanumerics "
                               "(or lttr_ / lttr_sandbox_ + 64)", param="key")


def audit_view(settings: dict[str, Any]) -> dict[str, Any]:
    """Key settings as audit metadata: JSON values, timestamps as ISO 8601 strings."""
    return {name: isoformat_or_none(value) if isinstance(value, datetime) else value
            for name, value in settings.items()}
