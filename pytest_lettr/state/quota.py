"""The sending quota of a ``free`` plan account: so many emails a month and a day.

Each recipient is one email (``learn/sending/usage-quotas.mdx``): a send to 5 addresses uses 5.
Usage is counted from the outbox (every recipient accepted for an email the account sent or
scheduled through any intake, except sandbox and cancelled ones), on the account's clock: the
month starts on the 1st at 00:00 UTC, the day at midnight UTC.

    quota = account.quota
    quota.policy.daily_limit = 3            # a test can lower the limits
    quota.status().daily_remaining          # 3
    quota.check(1)                          # raises QuotaExceeded once the day is used up
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from ..errors import DailyQuotaExceeded, QuotaExceeded

if TYPE_CHECKING:
    from .account import Account
    from .emails import Email

__all__ = ["FREE_DAILY_LIMIT", "FREE_MONTHLY_LIMIT", "Quota", "QuotaPolicy", "QuotaStatus"]

FREE_MONTHLY_LIMIT = 3000
FREE_DAILY_LIMIT = 100
QUOTA_PLANS = ("free",)


@dataclass
class QuotaPolicy:
    """The limits of a quota-bound plan (Lettr's free tier: 3,000 a month, 100 a day)."""

    monthly_limit: int = FREE_MONTHLY_LIMIT
    daily_limit: int = FREE_DAILY_LIMIT


@dataclass(frozen=True)
class QuotaStatus:
    """What the ``X-Monthly-*`` / ``X-Daily-*`` headers report (resets in unix seconds)."""

    monthly_limit: int
    monthly_remaining: int
    monthly_reset: int
    daily_limit: int
    daily_remaining: int
    daily_reset: int


def _month_start(now: datetime) -> datetime:
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def _next_month(now: datetime) -> datetime:
    start = _month_start(now)
    return start.replace(year=start.year + 1, month=1) if start.month == 12 else start.replace(month=start.month + 1)


def accepted_recipients(email: Email) -> int:
    """How many of ``email``'s recipients were accepted (a fully suppressed email uses none)."""
    accepted = email.extra.get("accepted")
    return accepted if isinstance(accepted, int) else len(email.recipients)


class Quota:
    """The quota of one account; it applies only while the account's plan is ``free``."""

    def __init__(self, account: Account) -> None:
        self._account = account
        self.policy = QuotaPolicy()

    @property
    def applies(self) -> bool:
        return self._account.settings.plan in QUOTA_PLANS

    def used(self, since: datetime) -> int:
        """Emails (recipients accepted) counted against the quota since ``since``."""
        outbox = self._account.outbox
        emails = (outbox.at(position) for position in outbox.positions_between(since, None))
        return sum(accepted_recipients(email) for email in emails
                   if not email.sandbox and email.status != "cancelled")

    def status(self) -> QuotaStatus:
        now = self._account.clock.now()
        day_start = now.replace(hour=0, minute=0, second=0, microsecond=0)
        monthly_used = self.used(_month_start(now))
        daily_used = self.used(day_start)
        policy = self.policy
        return QuotaStatus(
            monthly_limit=policy.monthly_limit,
            monthly_remaining=max(0, policy.monthly_limit - monthly_used),
            monthly_reset=int(_next_month(now).timestamp()),
            daily_limit=policy.daily_limit,
            daily_remaining=max(0, policy.daily_limit - daily_used),
            daily_reset=int((day_start + timedelta(days=1)).timestamp()),
        )

    def check(self, count: int = 1) -> None:
        """Raise :class:`QuotaExceeded` (``quota_exceeded`` / ``daily_quota_exceeded``) if ``count``
        more emails (recipients) do not fit; the month is checked first."""
        if not self.applies:
            return
        status = self.status()
        if status.monthly_remaining < count:
            raise QuotaExceeded("Sending quota exceeded. Upgrade your plan to continue sending.")
        if status.daily_remaining < count:
            raise DailyQuotaExceeded("Daily sending quota exceeded. Please try again tomorrow.")
