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

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import TYPE_CHECKING

from .emails import Email

if TYPE_CHECKING:
    from .account import Account

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


def sends(account: Account, start: datetime, end: datetime,
          match: Callable[[Email], bool] | None = None) -> Iterator[tuple[datetime, Email]]:
    """``(sent_at, email)`` of every send in ``[start, end)``.

    The outbox is ordered by creation and an email is never sent before it is created, so only
    emails created before ``end`` are looked at.
    """
    outbox = account.outbox
    for position in outbox.positions_between(None, end):
        email = outbox.at(position)
        moment = sent_at(email)
        if moment is not None and start <= moment < end and (match is None or match(email)):
            yield moment, email


def _tally(emails: list[Email], now: datetime) -> dict[str, int]:
    counts = dict.fromkeys(("sent", *OUTCOMES), 0)
    counts["sent"] = len(emails)
    for email in emails:
        for kind in outcomes(email, now):
            counts[kind] += 1
    return counts


def period_stats(account: Account, period: str = "today") -> PeriodStats:
    """Counts and rates for ``period`` on the account's clock."""
    now = account.clock.now()
    first, last = period_days(period, now)
    end = min(now + timedelta(microseconds=1), midnight(last + timedelta(days=1)))
    with account.lock:
        emails = [email for _, email in sends(account, midnight(first), end)]
        counts = _tally(emails, now)
    return PeriodStats(period=period, start_date=first, end_date=last, **counts)


def daily_stats(account: Account, first: date, last: date,
                match: Callable[[Email], bool] | None = None) -> list[DayStats]:
    """One row per UTC day from ``first`` to ``last`` (inclusive), zeros included."""
    now = account.clock.now()
    end = min(now + timedelta(microseconds=1), midnight(last + timedelta(days=1)))
    by_day: dict[date, list[Email]] = {}
    with account.lock:
        for moment, email in sends(account, midnight(first), end, match):
            by_day.setdefault(moment.astimezone(timezone.utc).date(), []).append(email)
        days = (last - first).days + 1
        return [DayStats(day=day, **_tally(by_day.get(day, []), now))
                for day in (first + timedelta(days=i) for i in range(max(days, 0)))]
