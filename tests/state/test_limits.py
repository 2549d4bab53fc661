"""state/limits.py: fixed rate-limit windows on the clock, and the idempotency store."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from pytest_lettr.clock import Clock
from pytest_lettr.errors import IdempotencyConflict, IdempotencyInProgress, RateLimited
from pytest_lettr.state.limits import IdempotencyStore, RateLimiter

T0 = datetime(2024, 1, 15, 10, 30, tzinfo=timezone.utc)


@pytest.fixture
def clock() -> Clock:
    frozen = Clock()
    frozen.set(T0, frozen=True)
    return frozen


def test_off_by_default_but_reports_100_per_second(clock: Clock) -> None:
    limiter = RateLimiter(clock)
    statuses = [limiter.hit("key_1") for _ in range(150)]
    assert statuses[0].limit == 100 and statuses[0].remaining == 99 and statuses[-1].remaining == 0
    assert statuses[0].reset == int(T0.timestamp()) + 1


def test_enabled_limit_refuses_then_resets_with_the_window(clock: Clock) -> None:
    limiter = RateLimiter(clock)
    limiter.enable(2, per_seconds=60)
    assert [limiter.hit("key_1").remaining for _ in range(2)] == [1, 0]
    with pytest.raises(RateLimited) as caught:
        limiter.hit("key_1")
    assert caught.value.retry_after == 60  # T0 (10:30:00) starts a minute
    assert caught.value.extra == {"limit": 2, "reset": int(T0.timestamp()) + 60}
    assert limiter.hit("key_2").remaining == 1  # each bucket has its own window
    clock.advance(seconds=59)
    with pytest.raises(RateLimited):
        limiter.hit("key_1")
    clock.advance(seconds=1)
    assert limiter.hit("key_1").remaining == 1


def test_fractional_windows_are_kept(clock: Clock) -> None:
    limiter = RateLimiter(clock)
    limiter.enable(1, per_seconds=0.5)
    limiter.hit("key_1")
    with pytest.raises(RateLimited) as caught:
        limiter.hit("key_1")
    assert caught.value.retry_after == 1  # whole seconds, at least 1
    clock.advance(seconds=0.5)
    limiter.hit("key_1")  # a new half-second window, not a one-second one


def test_a_keys_own_limit_applies_even_when_limiting_is_off(clock: Clock) -> None:
    limiter = RateLimiter(clock)
    own = {"requests": 1, "period": "hour"}
    assert limiter.hit("key_1", own).limit == 1
    with pytest.raises(RateLimited) as caught:
        limiter.hit("key_1", own)
    assert caught.value.retry_after == 30 * 60  # the hour started at 10:00
    limiter.disable()
    assert limiter.hit("key_2").limit == 100


def test_enable_refuses_nonsense(clock: Clock) -> None:
    limiter = RateLimiter(clock)
    for requests, per_seconds in ((0, 1), (1, 0), (1, -1)):
        with pytest.raises(ValueError):
            limiter.enable(requests, per_seconds)


def test_idempotency_store(clock: Clock) -> None:
    store = IdempotencyStore(clock)
    scope = ("key_1", "/v1", "order-1")
    body = store.fingerprint("POST", "/v1/emails", b'{"a":1}')
    assert store.begin(scope, body) is None
    with pytest.raises(IdempotencyInProgress):
        store.begin(scope, body)
    with pytest.raises(IdempotencyConflict):
        store.begin(scope, store.fingerprint("POST", "/v1/emails", b'{"a":2}'))
    store.finish(scope, 200, [("Content-Type", "application/json")], b"{}")
    replay = store.begin(scope, body)
    assert replay is not None and (replay.status, replay.body) == (200, b"{}")
    clock.advance(hours=24)
    assert store.begin(scope, store.fingerprint("POST", "/v1/emails", b'{"a":2}')) is None
    store.abandon(scope)
    assert store.begin(scope, body) is None
