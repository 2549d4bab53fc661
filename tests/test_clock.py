"""clock.py: the settable clock every timestamp reads."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from pytest_lettr.clock import Clock, isoformat

T0 = datetime(2024, 1, 15, 10, 30, tzinfo=timezone.utc)


def test_now_is_aware_utc_and_close_to_the_wall_clock() -> None:
    now = Clock().now()
    assert now.tzinfo is not None and now.utcoffset() == timedelta(0)
    assert abs(now - datetime.now(timezone.utc)) < timedelta(seconds=5)


def test_advance_moves_forward_and_returns_the_new_now() -> None:
    clock = Clock()
    clock.set(T0, frozen=True)
    moved = clock.advance(days=1, hours=2, minutes=3, seconds=4)
    assert moved == clock.now()
    assert clock.now() - T0 == timedelta(days=1, hours=2, minutes=3, seconds=4)


def test_advance_while_running_keeps_running() -> None:
    clock = Clock()
    before = clock.now()
    clock.advance(days=90)
    assert clock.now() - before >= timedelta(days=90)
    assert clock.now() <= datetime.now(timezone.utc) + timedelta(days=90, seconds=5)


def test_the_clock_only_moves_forward() -> None:
    clock = Clock()
    with pytest.raises(ValueError, match="only moves forward"):
        clock.advance(seconds=-1)
    clock.advance(days=1, hours=-1)  # a positive total is fine


def test_set_and_freeze() -> None:
    clock = Clock()
    clock.set(T0, frozen=True)
    assert clock.now() == T0 and clock.now() == T0
    assert clock.timestamp() == int(T0.timestamp())
    clock.set(T0)  # running again, from T0
    assert T0 <= clock.now() < T0 + timedelta(seconds=5)
    clock.freeze()
    frozen = clock.now()
    assert clock.now() == frozen


def test_set_converts_to_utc_and_refuses_naive_datetimes() -> None:
    clock = Clock()
    clock.set(datetime(2024, 1, 15, 12, 30, tzinfo=timezone(timedelta(hours=2))), frozen=True)
    assert clock.now() == T0 and clock.now().utcoffset() == timedelta(0)
    with pytest.raises(ValueError, match="aware"):
        clock.set(datetime(2024, 1, 15))


def test_a_clock_may_start_anywhere() -> None:
    assert T0 <= Clock(T0).now() < T0 + timedelta(seconds=5)


def test_listeners_hear_every_advance_but_not_set() -> None:
    clock = Clock()
    clock.set(T0, frozen=True)
    heard: list[datetime] = []

    def listener() -> None:
        heard.append(clock.now())

    clock.on_advance(listener)
    clock.advance(minutes=1)
    clock.set(T0 + timedelta(hours=1), frozen=True)
    clock.advance(minutes=1)
    assert heard == [T0 + timedelta(minutes=1), T0 + timedelta(hours=1, minutes=1)]
    clock.remove_listener(listener)
    clock.remove_listener(listener)  # removing twice is harmless
    clock.advance(minutes=1)
    assert len(heard) == 2


def test_a_jump_back_is_announced_at_the_moment_left() -> None:
    """So what was due by then (a revocation, an expiry) happens before the clock goes back."""
    clock = Clock()
    clock.set(T0, frozen=True)
    heard: list[datetime] = []
    clock.on_advance(lambda: heard.append(clock.now()))
    clock.set(T0 + timedelta(hours=2), frozen=True)  # forward: silent
    clock.set(T0, frozen=True)                       # back: heard before the jump
    assert heard == [T0 + timedelta(hours=2)]


def test_isoformat_is_second_precision_utc_with_z() -> None:
    assert isoformat(T0) == "2024-01-15T10:30:00Z"
    assert isoformat(T0.replace(microsecond=999_999)) == "2024-01-15T10:30:00Z"
    assert isoformat(datetime(2024, 1, 15, 23, 0, tzinfo=timezone(timedelta(hours=-5)))) == "2024-01-16T04:00:00Z"
    assert isoformat(datetime(9, 2, 3, tzinfo=timezone.utc)) == "0009-02-03T00:00:00Z"
