"""v1 stats and analytics: ``GET /v1/stats`` and ``GET /v1/analytics`` (§7), on the account clock."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from ... import errors
from ...state.stats import PERIODS, DayStats, PeriodStats, daily_stats, period_stats
from ..base import Call, Reply, Route
from .validation import parse_date_or_timestamp

MAX_DAYS = 366
DEFAULT_DAYS = 30
GROUP_BY = ("day",)


def render_stats(stats: PeriodStats) -> dict[str, Any]:
    return {
        "object": "stats",
        "period": stats.period,
        "startDate": stats.start_date.isoformat(),
        "endDate": stats.end_date.isoformat(),
        "sent": stats.sent,
        "delivered": stats.delivered,
        "bounced": stats.bounced,
        "opened": stats.opened,
        "clicked": stats.clicked,
        "complained": stats.complained,
        "unsubscribed": stats.unsubscribed,
        "deliveryRate": stats.delivery_rate,
        "openRate": stats.open_rate,
        "clickRate": stats.click_rate,
        "bounceRate": stats.bounce_rate,
    }


def render_day(row: DayStats) -> dict[str, Any]:
    return {
        "date": row.day.isoformat(),
        "sent": row.sent,
        "delivered": row.delivered,
        "opened": row.opened,
        "clicked": row.clicked,
        "bounced": row.bounced,
        "openRate": row.open_rate,
        "clickRate": row.click_rate,
    }


def get_stats(call: Call) -> Reply:
    period = call.query.get("period", "today")
    if period not in PERIODS:
        raise errors.InvalidParameter(f"The 'period' parameter must be one of: {', '.join(PERIODS)}",
                                      param="period")
    return Reply(200, render_stats(period_stats(call.account, period)))


def _day(call: Call, name: str) -> date | None:
    raw = call.query.get(name)
    if raw is None:
        return None
    if not raw.strip():
        raise errors.InvalidParameter(f"The '{name}' parameter must be a date (YYYY-MM-DD)", param=name)
    return parse_date_or_timestamp(raw, name).date()


def _tags(call: Call) -> set[str] | None:
    raw = call.query.get("tags")
    if raw is None:
        return None
    tags = {t.strip() for t in raw.split(",") if t.strip()}
    if not tags or any(len(t) > 64 for t in tags):
        raise errors.InvalidParameter("The 'tags' parameter must be a comma-separated list of tags", param="tags")
    return tags


def get_analytics(call: Call) -> Reply:
    group_by = call.query.get("groupBy", "day")
    if group_by not in GROUP_BY:
        raise errors.InvalidParameter(f"The 'groupBy' parameter must be one of: {', '.join(GROUP_BY)}",
                                      param="groupBy")
    today = call.account.clock.now().date()
    end = _day(call, "endDate")
    start = _day(call, "startDate")
    if end is None:
        end = today if start is None else max(today, start)
    if start is None:
        start = end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        raise errors.InvalidParameter("The 'startDate' parameter must not be after 'endDate'", param="startDate")
    if (end - start).days + 1 > MAX_DAYS:
        raise errors.InvalidParameter(f"A range covers at most {MAX_DAYS} days", param="endDate")
    rows = daily_stats(call.account, start, end, _tags(call))
    return Reply(200, {"object": "list", "data": [render_day(row) for row in rows]})


ROUTES = [
    Route("GET", "/stats", get_stats, "analytics:read"),
    Route("GET", "/analytics", get_analytics, "analytics:read"),
]
