"""Sending stats counted from the account's emails and their events, on the account clock (v1 §7).

Counting is by cohort: a period's numbers are about the emails *sent* in it (UTC days), and what
has happened to them so far (events at or before the clock's now). So rates never pass 100::

    stats = period_stats(account, "7d")
    stats.sent, stats.delivered, stats.delivery_rate       # e.g. 700, 686, 98.0

Rates are percentages rounded to 2 places, 0 when there is nothing to divide by:
``deliveryRate`` = delivered / sent, ``bounceRate`` = bounced / sent, ``openRate`` = opened /
delivered, ``clickRate`` = clicked / delivered. ``opened`` and ``clicked`` count emails (unique
opens and clicks), not every open. Sandbox sends, scheduled, cancelled, failed and suppressed
emails are not sends.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .account import Account
    from .emails import Email

PERIODS = ("today", "yesterday", "7d", "30d")
OUTCOMES = ("delivered", "bounced", "opened", "clicked", "complained", "unsubscribed")
NOT_SENT = frozenset({"scheduled", "cancelled", "failed", "suppressed"})


def rate(part: int, whole: int) -> float:
    """``part`` as a percentage of ``whole``, rounded to 2 places; 0 when ``whole`` is 0.

    >>> rate(1, 3), rate(0, 0), rate(2, 2)
    (33.33, 0.0, 100.0)
    """
    return round(100.0 * part / whole, 2) if whole else 0.0


@dataclass(frozen=True)
class Counts:
    """What happened to the emails sent in one period (or one day)."""

    sent: int = 0
    delivered: int = 0
    bounced: int = 0
    opened: int = 0
    clicked: int = 0
    complained: int = 0
    unsubscribed: int = 0

    @property
    def delivery_rate(self) -> float:
        return rate(self.delivered, self.sent)

    @property
    def bounce_rate(self) -> float:
        return rate(self.bounced, self.sent)

    @property
    def open_rate(self) -> float:
        return rate(self.opened, self.delivered)

    @property
    def click_rate(self) -> float:
        return rate(self.clicked, self.delivered)


@dataclass(frozen=True)
class PeriodStats(Counts):
    period: str = "today"
    start_date: date = date.min
    end_date: date = date.min


@dataclass(frozen=True)
class DayStats(Counts):
    day: date = date.min


def midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.utc)


def period_days(period: str, now: datetime) -> tuple[date, date]:
    """The first and last UTC day of ``period`` (``today``, ``yesterday``, ``7d``, ``30d``)."""
    today = now.astimezone(timezone.utc).date()
    if period == "today":
        return today, today
    if period == "yesterday":
        yesterday = today - timedelta(days=1)
        return yesterday, yesterday
    if period in ("7d", "30d"):
        return today - timedelta(days=int(period[:-1]) - 1), today
    raise ValueError(f"unknown period {period!r}; one of: {', '.join(PERIODS)}")


def sent_at(email: Email) -> datetime | None:
    """When the email counts as sent, or ``None`` if it is not a send."""
    if email.status in NOT_SENT or email.sandbox:
        return None
    return email.sent_at or email.created_at


def outcomes(email: Email, now: datetime) -> set[str]:
    """Which of :data:`OUTCOMES` have happened to ``email`` by ``now``."""
    found: set[str] = set()
    for event in email.events:
        kind = event.type.removeprefix("email.")
        if kind in OUTCOMES and event.created_at <= now:
            found.add(kind)
    return found


def sends(account: Account, start: datetime, end: datetime, match: Callable[[Email], bool] | None = None,
          among: Iterable[int] | None = None) -> Iterator[tuple[datetime, Email]]:
    """``(sent_at, email)`` of every send in ``[start, end)`` (of the positions ``among``, if given).

    The outbox is ordered by creation and an email is never sent before it is created, so only
    emails created before ``end`` are looked at.
    """
    outbox = account.outbox
    last = outbox.positions_between(None, end)
    for position in last if among is None else (p for p in among if p < len(last)):
        email = outbox.at(position)
        moment = sent_at(email)
        if moment is not None and start <= moment < end and (match is None or match(email)):
            yield moment, email


#: A send's contribution to the tallies: its UTC day, its tags, and a bit per outcome it has had.
Contribution = tuple[date, tuple[str, ...], int]
_BITS = {kind: 1 << i for i, kind in enumerate(OUTCOMES)}


def contribution(email: Email) -> tuple[Contribution | None, datetime]:
    """What ``email`` adds to the tallies (``None`` if it is not a send), and its latest moment."""
    moment = sent_at(email)
    latest = email.created_at if moment is None else moment
    if moment is None:
        return None, latest
    mask = 0
    for event in email.events:
        bit = _BITS.get(event.type.removeprefix("email."))
        if bit is not None:
            mask |= bit
        latest = max(latest, event.created_at)
    return (moment.astimezone(timezone.utc).date(), tuple(dict.fromkeys(email.tags)), mask), latest


class Tally:
    """Sends and outcomes per UTC day (and per tag and day), kept up to date as emails are stored
    and change, so a period's stats cost one row per day instead of a scan of the outbox.

    The rows count every event so far; they answer for "now" as long as nothing counted lies
    after the clock's now (:attr:`latest`); a clock moved back falls back to counting."""

    def __init__(self) -> None:
        self._rows: dict[tuple[str | None, date], list[int]] = {}
        self._counted: dict[str, Contribution] = {}
        #: The latest send or event counted (``None`` before the first).
        self.latest: datetime | None = None

    def update(self, email: Email) -> None:
        """Count ``email`` as it is now (replacing what it counted for before)."""
        new, latest = contribution(email)
        if self.latest is None or latest > self.latest:
            self.latest = latest
        old = self._counted.get(email.id)
        if old == new:
            return
        if old is not None:
            self._add(old, -1)
            del self._counted[email.id]
        if new is not None:
            self._add(new, 1)
            self._counted[email.id] = new

    def _add(self, counted: Contribution, sign: int) -> None:
        day, tags, mask = counted
        for tag in (None, *tags):
            row = self._rows.get((tag, day))
            if row is None:
                row = self._rows[(tag, day)] = [0] * (1 + len(OUTCOMES))
            row[0] += sign
            for i in range(len(OUTCOMES)):
                if mask >> i & 1:
                    row[1 + i] += sign

    def answers_at(self, now: datetime) -> bool:
        """Whether the rows hold exactly what happened by ``now``."""
        return self.latest is None or self.latest <= now

    def counts(self, days: Iterable[date], tag: str | None = None) -> dict[str, int]:
        """The summed counts of ``days`` (for emails with ``tag``, or all)."""
        total = [0] * (1 + len(OUTCOMES))
        for day in days:
            row = self._rows.get((tag, day))
            if row is not None:
                total = [a + b for a, b in zip(total, row, strict=True)]
        return dict(zip(("sent", *OUTCOMES), total, strict=True))


def _tally(emails: list[Email], now: datetime) -> dict[str, int]:
    counts = dict.fromkeys(("sent", *OUTCOMES), 0)
    counts["sent"] = len(emails)
    for email in emails:
        for kind in outcomes(email, now):
            counts[kind] += 1
    return counts


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range(max((last - first).days + 1, 0))]


def period_stats(account: Account, period: str = "today") -> PeriodStats:
    """Counts and rates for ``period`` on the account's clock."""
    now = account.clock.now()
    first, last = period_days(period, now)
    tally = account.outbox.tally
    with account.outbox.lock:
        if tally.answers_at(now):
            counts = tally.counts(_days(first, last))
            return PeriodStats(period=period, start_date=first, end_date=last, **counts)
    end = min(now + timedelta(microseconds=1), midnight(last + timedelta(days=1)))
    with account.lock:
        emails = [email for _, email in sends(account, midnight(first), end)]
        counts = _tally(emails, now)
    return PeriodStats(period=period, start_date=first, end_date=last, **counts)


def daily_stats(account: Account, first: date, last: date, tags: set[str] | None = None) -> list[DayStats]:
    """One row per UTC day from ``first`` to ``last`` (inclusive), zeros included; with ``tags``,
    only the emails carrying any of them."""
    now = account.clock.now()
    days = _days(first, last)
    tally = account.outbox.tally
    if tags is None or len(tags) == 1:
        tag = next(iter(tags)) if tags else None
        with account.outbox.lock:
            if tally.answers_at(now):
                return [DayStats(day=day, **tally.counts((day,), tag)) for day in days]
    end = min(now + timedelta(microseconds=1), midnight(last + timedelta(days=1)))
    match = None if tags is None else (lambda email: not tags.isdisjoint(email.tags))
    by_day: dict[date, list[Email]] = {}
    with account.lock:
        for moment, email in sends(account, midnight(first), end, match,
                                   None if tags is None else account.outbox.tagged(tags)):
            by_day.setdefault(moment.astimezone(timezone.utc).date(), []).append(email)
        return [DayStats(day=day, **_tally(by_day.get(day, []), now)) for day in days]
