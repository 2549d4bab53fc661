"""Rate limiting, the auth-failure lockout and idempotency records, all on the account's clock.

Lettr's documented limits (``api-reference/rate-limit.mdx``): 3 requests a second shared by every
key of a team, and 5 failed authentications within 5 minutes block for 15. Their figures are
reported always; they are enforced only while ``account.options.enforce_limits`` is on::

    window = count_request(account, key)   # the team's window (or an explicit per-key one)
    window.limit, window.remaining          # 3, 2 after the first request of the second
"""

from __future__ import annotations

import hashlib
import math
import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from ..clock import Clock
from ..errors import IdempotencyConflict, IdempotencyInProgress, RateLimited

if TYPE_CHECKING:
    from .account import Account
    from .keys import ApiKey

PERIOD_SECONDS = {"second": 1, "minute": 60, "hour": 3600}
IDEMPOTENCY_WINDOW = timedelta(hours=24)
#: The documented request limit of a team: 3 requests a second, every key of the team together.
TEAM_LIMIT = (3, 1)
TEAM_BUCKET = "team"
#: Key modes of the current API, the ones the team limit counts (v1 keys follow v1's contract).
CURRENT_API_MODES = ("api", "sandbox")
#: The documented lockout: this many failed authentications within the window block for the block.
AUTH_FAILURES, AUTH_WINDOW_SECONDS, AUTH_BLOCK_SECONDS = 5, 300, 900


@dataclass(frozen=True)
class RateLimitStatus:
    """What the ``X-RateLimit-*`` headers report."""

    limit: int
    remaining: int
    reset: int  # unix seconds


@dataclass
class _Window:
    started: float
    count: int = 0


class RateLimiter:
    """Fixed windows per key. Off by default (headers still report 100 per second).

    >>> limiter = RateLimiter(Clock())
    >>> limiter.enable(2, per_seconds=60)
    >>> [limiter.hit("key_1").remaining for _ in range(2)]
    [1, 0]
    """

    DEFAULT = (100, 1)

    def __init__(self, clock: Clock, default: tuple[int, float] | None = None) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._windows: dict[str, _Window] = {}
        self.enabled = False
        self.default = default or self.DEFAULT
        self.requests, self.per_seconds = self.default[0], float(self.default[1])

    def enable(self, requests: int, per_seconds: float = 1) -> None:
        if requests < 1 or per_seconds <= 0:
            raise ValueError("a rate limit needs requests >= 1 and per_seconds > 0")
        self.enabled, self.requests, self.per_seconds = True, requests, float(per_seconds)

    def disable(self) -> None:
        self.enabled = False
        self.requests, self.per_seconds = self.default[0], float(self.default[1])

    def hit(self, bucket: str, own_limit: dict[str, object] | None = None, *,
            enforce: bool = False) -> RateLimitStatus:
        """Count one request; raise :class:`RateLimited` once over, when enabled or ``enforce``.
        ``own_limit`` is a key's ``rateLimit`` (``{"requests": n, "period": "minute"}``), which
        always applies."""
        limit, period = self.requests, self.per_seconds
        enforced = self.enabled or enforce
        if own_limit:
            limit = int(own_limit["requests"])  # type: ignore[call-overload]
            period = PERIOD_SECONDS[str(own_limit["period"])]
            enforced = True
        now = self._clock.now().timestamp()
        with self._lock:
            window = self._windows.get(bucket)
            # A window that starts in the future (the clock moved back) is over, as one that ended is.
            if window is None or not window.started <= now < window.started + period:
                window = _Window(started=now - (now % period))
                self._windows[bucket] = window
            reset = math.ceil(window.started + period)
            if enforced and window.count >= limit:
                retry = max(1, math.ceil(window.started + period - now))
                raise RateLimited(f"Rate limit exceeded. Retry in {retry} seconds.", retry_after=retry,
                                  limit=limit, reset=reset)
            window.count += 1
            return RateLimitStatus(limit, max(0, limit - window.count), reset)


def count_request(account: Account, key: ApiKey) -> RateLimitStatus:
    """Count one request of ``key`` and return the window its headers report.

    A current-API key counts against the team's window (3 a second, enforced under
    ``enforce_limits``). A window a test set (``set_rate_limit``) or a key's own ``rateLimit``
    counts per key, is always enforced, and is the one reported, being the one the test chose.
    """
    team = None
    if key.mode in CURRENT_API_MODES:
        team = account.team_rate_limiter.hit(TEAM_BUCKET, enforce=account.options.enforce_limits)
    if team is None or account.rate_limiter.enabled or key.rate_limit:
        return account.rate_limiter.hit(key.id, key.rate_limit)
    return team


class AuthLockout:
    """Failed authentications per client address; enough of them within the window block it.

    >>> lockout = AuthLockout(Clock())
    >>> for _ in range(AUTH_FAILURES): lockout.fail("203.0.113.5")
    >>> lockout.check("203.0.113.5")
    Traceback (most recent call last):
    ...
    pytest_lettr.errors.RateLimited: Too many failed authentication attempts. Retry in 900 seconds.
    """

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._failures: dict[str, deque[float]] = {}
        self._blocked_until: dict[str, float] = {}

    def check(self, client_ip: str | None) -> None:
        """Raise :class:`RateLimited` while ``client_ip`` is blocked."""
        now = self._clock.now().timestamp()
        with self._lock:
            until = self._blocked_until.get(client_ip or "")
        if until is not None and now < until:
            retry = max(1, math.ceil(until - now))
            raise RateLimited(f"Too many failed authentication attempts. Retry in {retry} seconds.",
                              retry_after=retry)

    def fail(self, client_ip: str | None) -> None:
        """Note one failed authentication from ``client_ip`` (an unknown address is one bucket)."""
        now = self._clock.now().timestamp()
        bucket = client_ip or ""
        with self._lock:
            failures = self._failures.setdefault(bucket, deque())
            failures.append(now)
            while failures and failures[0] <= now - AUTH_WINDOW_SECONDS:
                failures.popleft()
            if len(failures) >= AUTH_FAILURES:
                self._blocked_until[bucket] = now + AUTH_BLOCK_SECONDS
                failures.clear()


@dataclass
class IdempotentResponse:
    body_hash: str
    created_at: datetime
    status: int | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    @property
    def in_progress(self) -> bool:
        return self.status is None


class IdempotencyStore:
    """First responses to ``Idempotency-Key`` requests, per API key, kept for 24 hours."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._records: dict[tuple[str, str, str], IdempotentResponse] = {}
        clock.on_advance(self.expire)

    @staticmethod
    def _expired(record: IdempotentResponse, now: datetime) -> bool:
        return now - record.created_at >= IDEMPOTENCY_WINDOW

    def expire(self) -> None:
        """Forget every finished record 24 hours old: expiry is a fact, so a record that expired
        stays expired when the clock is moved back (the clock calls this after every move)."""
        now = self._clock.now()
        with self._lock:
            for scope in [s for s, r in self._records.items() if not r.in_progress and self._expired(r, now)]:
                del self._records[scope]

    @staticmethod
    def fingerprint(method: str, path: str, body: bytes) -> str:
        return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + body).hexdigest()

    def begin(self, scope: tuple[str, str, str], body_hash: str) -> IdempotentResponse | None:
        """The stored response to replay, or ``None`` after reserving the key for this request.

        Raises :class:`IdempotencyConflict` (other body) or :class:`IdempotencyInProgress`.
        """
        now = self._clock.now()
        with self._lock:
            record = self._records.get(scope)
            if record is not None and self._expired(record, now):
                record = None
            if record is None:
                self._records[scope] = IdempotentResponse(body_hash, now)
                return None
        if record.body_hash != body_hash:
            raise IdempotencyConflict(
                "Idempotency-Key was already used with a different request body", param="Idempotency-Key")
        if record.in_progress:
            raise IdempotencyInProgress(
                "A request with this Idempotency-Key is still being processed", param="Idempotency-Key")
        return record

    def finish(self, scope: tuple[str, str, str], status: int, headers: list[tuple[str, str]],
               body: bytes) -> None:
        with self._lock:
            record = self._records.get(scope)
            if record is not None:
                record.status, record.headers, record.body = status, headers, body

    def abandon(self, scope: tuple[str, str, str]) -> None:
        with self._lock:
            self._records.pop(scope, None)
