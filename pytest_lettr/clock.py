"""A settable clock: every timestamp, expiry, window and retry in the server reads it.

Tests move time instead of sleeping::

    server.clock.advance(days=91)
    assert key_object.rotation_due(server.clock.now())
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta, timezone


def isoformat(moment: datetime) -> str:
    """Render a moment the way Lettr does: ISO 8601, UTC, second precision, ``Z``."""
    m = moment.astimezone(timezone.utc)
    return f"{m.year:04d}-{m.month:02d}-{m.day:02d}T{m.hour:02d}:{m.minute:02d}:{m.second:02d}Z"


def isoformat_or_none(moment: datetime | None) -> str | None:
    """:func:`isoformat`, or ``None`` for no moment (how every optional timestamp field is shown)."""
    return None if moment is None else isoformat(moment)


class Clock:
    """Wall-clock time plus an offset that tests can move forward (or pin).

    >>> clock = Clock()
    >>> before = clock.now()
    >>> moved = clock.advance(hours=2)
    >>> (clock.now() - before) >= timedelta(hours=2)
    True
    """

    def __init__(self, start: datetime | None = None) -> None:
        self._lock = threading.Lock()
        self._offset = timedelta(0)
        self._frozen: datetime | None = None
        self._listeners: list[Callable[[], None]] = []
        if start is not None:
            self.set(start)

    def now(self) -> datetime:
        """The current moment (timezone-aware, UTC)."""
        frozen = self._frozen
        if frozen is not None:
            return frozen
        return datetime.now(timezone.utc) + self._offset

    def timestamp(self) -> int:
        """The current moment as unix seconds."""
        return int(self.now().timestamp())

    def advance(self, days: float = 0, hours: float = 0, minutes: float = 0, seconds: float = 0) -> datetime:
        """Move the clock forward and return the new now. Negative values are refused."""
        delta = timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
        if delta < timedelta(0):
            raise ValueError("the clock only moves forward; use set() to jump to a moment")
        with self._lock:
            if self._frozen is not None:
                self._frozen += delta
            else:
                self._offset += delta
        self._notify()
        return self.now()

    def set(self, moment: datetime, *, frozen: bool = False) -> None:
        """Jump to ``moment`` (aware datetime). With ``frozen=True`` time stands still there.

        A jump forward tells no listener (the next request runs what has come due). A jump back
        first lets the listeners run, at the moment being left, what is due by then (a grace
        period that ended, a record that expired, a scheduled email): what has happened stays
        happened however far back the clock goes.
        """
        if moment.tzinfo is None:
            raise ValueError("give an aware datetime, e.g. datetime(2024, 1, 15, tzinfo=timezone.utc)")
        if moment < self.now():
            self._notify()
        with self._lock:
            if frozen:
                self._frozen = moment.astimezone(timezone.utc)
                self._offset = timedelta(0)
            else:
                self._frozen = None
                self._offset = moment - datetime.now(timezone.utc)

    def _notify(self) -> None:
        for listener in list(self._listeners):
            listener()

    def freeze(self) -> None:
        """Stop time at the current moment."""
        self.set(self.now(), frozen=True)

    def on_advance(self, listener: Callable[[], None]) -> None:
        """Call ``listener()`` after every :meth:`advance`, and before :meth:`set` jumps back: the
        account's ``tick()``, webhook retries, key revocations and idempotency expiry use this."""
        self._listeners.append(listener)

    def remove_listener(self, listener: Callable[[], None]) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)
