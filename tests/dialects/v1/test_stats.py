"""v1 stats and analytics (§7): counts from emails and their events, on the clock, day boundaries."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest

from pytest_lettr import LettrServer

MIDNIGHT = datetime(2024, 3, 10, tzinfo=timezone.utc)  # a Sunday; 2024-03-10T00:00:00Z


@pytest.fixture(autouse=True)
def frozen(lettr_server: LettrServer) -> None:
    """Counting is by UTC day: a test must not cross midnight while it runs."""
    lettr_server.clock.freeze()


def send(client: httpx.Client, n: int = 1, **extra: Any) -> list[str]:
    ids = []
    for i in range(n):
        body = {"from": "app@example.com", "to": f"user{i}@example.com", "subject": "Hi", "text": "Hello", **extra}
        response = client.post("/emails", json=body)
        assert response.status_code == 200, response.text
        ids.append(response.json()["id"])
    return ids


def stats(client: httpx.Client, period: str | None = None) -> dict[str, Any]:
    response = client.get("/stats", params={"period": period} if period else None)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def at(lettr_server: LettrServer, moment: datetime) -> None:
    lettr_server.clock.set(moment, frozen=True)


def test_nothing_sent_gives_zeros(client: httpx.Client, lettr_server: LettrServer) -> None:
    at(lettr_server, MIDNIGHT + timedelta(hours=9))
    assert stats(client) == {
        "object": "stats", "period": "today", "startDate": "2024-03-10", "endDate": "2024-03-10",
        "sent": 0, "delivered": 0, "bounced": 0, "opened": 0, "clicked": 0, "complained": 0, "unsubscribed": 0,
        "deliveryRate": 0.0, "openRate": 0.0, "clickRate": 0.0, "bounceRate": 0.0,
    }


def test_counts_and_rates(client: httpx.Client, lettr_server: LettrServer) -> None:
    ids = send(client, 10)
    for email_id in ids[:8]:
        lettr_server.simulate(email_id, "delivered")
    for email_id in ids[8:]:
        lettr_server.simulate(email_id, "bounced")
    for email_id in ids[:4]:
        lettr_server.simulate(email_id, "opened")
    lettr_server.simulate(ids[0], "opened")  # a second open of the same email is not a second "opened"
    lettr_server.simulate(ids[0], "clicked")
    lettr_server.simulate(ids[0], "clicked")
    lettr_server.simulate(ids[5], "clicked")
    lettr_server.simulate(ids[6], "complained")
    lettr_server.simulate(ids[7], "unsubscribed")
    body = stats(client, "today")
    assert {k: body[k] for k in ("sent", "delivered", "bounced", "opened", "clicked", "complained",
                                 "unsubscribed")} == {"sent": 10, "delivered": 8, "bounced": 2, "opened": 4,
                                                      "clicked": 2, "complained": 1, "unsubscribed": 1}
    assert (body["deliveryRate"], body["bounceRate"]) == (80.0, 20.0)      # of sent
    assert (body["openRate"], body["clickRate"]) == (50.0, 25.0)           # of delivered
    python = lettr_server.stats("today")
    assert (python.sent, python.delivery_rate, python.open_rate) == (10, 80.0, 50.0)


def test_rates_round_to_two_places(client: httpx.Client, lettr_server: LettrServer) -> None:
    ids = send(client, 3)
    lettr_server.simulate(ids[0], "delivered")
    lettr_server.simulate(ids[1], "delivered")
    lettr_server.simulate(ids[2], "bounced")
    lettr_server.simulate(ids[0], "opened")
    body = stats(client)
    assert (body["deliveryRate"], body["bounceRate"], body["openRate"]) == (66.67, 33.33, 50.0)


def test_sent_but_nothing_delivered_yet(client: httpx.Client) -> None:
    send(client, 2)
    body = stats(client)
    assert (body["sent"], body["deliveryRate"], body["openRate"], body["clickRate"]) == (2, 0.0, 0.0, 0.0)


def test_outcomes_count_for_the_day_the_email_was_sent(client: httpx.Client, lettr_server: LettrServer) -> None:
    at(lettr_server, MIDNIGHT - timedelta(seconds=10))          # 2024-03-09T23:59:50Z
    late = send(client, 2)
    at(lettr_server, MIDNIGHT + timedelta(seconds=10))          # 2024-03-10T00:00:10Z
    for email_id in late:
        lettr_server.simulate(email_id, "delivered")
    lettr_server.simulate(late[0], "opened")
    send(client, 1)
    today, yesterday = stats(client, "today"), stats(client, "yesterday")
    assert (today["startDate"], today["endDate"]) == ("2024-03-10", "2024-03-10")
    assert (today["sent"], today["delivered"], today["deliveryRate"]) == (1, 0, 0.0)
    assert (yesterday["startDate"], yesterday["endDate"]) == ("2024-03-09", "2024-03-09")
    assert (yesterday["sent"], yesterday["delivered"], yesterday["opened"]) == (2, 2, 1)
    assert (yesterday["deliveryRate"], yesterday["openRate"]) == (100.0, 50.0)


def test_exactly_midnight_belongs_to_the_new_day(client: httpx.Client, lettr_server: LettrServer) -> None:
    at(lettr_server, MIDNIGHT - timedelta(microseconds=1))
    send(client, 1)
    at(lettr_server, MIDNIGHT)
    send(client, 3)
    assert (stats(client, "yesterday")["sent"], stats(client, "today")["sent"]) == (1, 3)


def test_7d_and_30d_are_whole_utc_days_including_today(client: httpx.Client, lettr_server: LettrServer) -> None:
    today = MIDNIGHT + timedelta(hours=15)
    moments = {
        "30 days ago, last second": MIDNIGHT - timedelta(days=29, seconds=1),
        "29 days ago, first second": MIDNIGHT - timedelta(days=29),
        "7 days ago, last second": MIDNIGHT - timedelta(days=6, seconds=1),
        "6 days ago, first second": MIDNIGHT - timedelta(days=6),
        "today": today,
    }
    for moment in moments.values():
        at(lettr_server, moment)
        send(client, 1)
    at(lettr_server, today)
    week, month = stats(client, "7d"), stats(client, "30d")
    assert (week["startDate"], week["endDate"], week["sent"]) == ("2024-03-04", "2024-03-10", 2)
    assert (month["startDate"], month["endDate"], month["sent"]) == ("2024-02-10", "2024-03-10", 4)


def test_only_what_happened_by_now_counts(client: httpx.Client, lettr_server: LettrServer) -> None:
    at(lettr_server, MIDNIGHT + timedelta(hours=10))
    (email_id,) = send(client)
    at(lettr_server, MIDNIGHT + timedelta(hours=12))
    lettr_server.simulate(email_id, "delivered")
    assert stats(client)["delivered"] == 1
    at(lettr_server, MIDNIGHT + timedelta(hours=11))            # back before the delivery
    assert (stats(client)["sent"], stats(client)["delivered"]) == (1, 0)
    at(lettr_server, MIDNIGHT + timedelta(hours=9))             # back before the send
    assert stats(client)["sent"] == 0


def test_scheduled_cancelled_and_sandbox_emails_are_not_sends(client: httpx.Client, lettr_server: LettrServer) -> None:
    at(lettr_server, MIDNIGHT + timedelta(hours=8))
    later = (MIDNIGHT + timedelta(hours=20)).strftime("%Y-%m-%dT%H:%M:%SZ")
    _scheduled, cancelled = send(client, 2, scheduledAt=later)
    client.delete(f"/emails/{cancelled}")
    (sandboxed,) = send(client)
    lettr_server.account.outbox.get(sandboxed).sandbox = True
    assert stats(client)["sent"] == 0
    lettr_server.clock.advance(hours=13)                         # the scheduled one goes out at 20:00
    client.get("/emails")
    assert stats(client)["sent"] == 1


def test_bad_period(client: httpx.Client) -> None:
    response = client.get("/stats", params={"period": "90d"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_parameter" and response.json()["error"]["param"] == "period"


def test_stats_and_analytics_need_analytics_read(lettr_server: LettrServer, v1: Callable[..., httpx.Client]) -> None:
    client = v1(lettr_server.create_key("sender", permissions=["emails:send"]).key)
    for path in ("/stats", "/analytics"):
        response = client.get(path)
        assert response.status_code == 403
        assert response.json()["error"]["requiredPermission"] == "analytics:read"


# -- analytics ----------------------------------------------------------------------------------
def analytics(client: httpx.Client, **params: str) -> list[dict[str, Any]]:
    response = client.get("/analytics", params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"object", "data"} and body["object"] == "list"
    return body["data"]  # type: ignore[no-any-return]


def test_one_row_per_day_with_zero_days(client: httpx.Client, lettr_server: LettrServer) -> None:
    at(lettr_server, MIDNIGHT - timedelta(days=2, hours=-10))  # 2024-03-08T10:00Z
    first = send(client, 2)
    lettr_server.simulate(first[0], "delivered")
    lettr_server.simulate(first[0], "opened")
    lettr_server.simulate(first[1], "bounced")
    at(lettr_server, MIDNIGHT + timedelta(hours=1))
    (today,) = send(client)
    lettr_server.simulate(today, "delivered")
    lettr_server.simulate(today, "clicked")
    rows = analytics(client, startDate="2024-03-07", endDate="2024-03-10")
    assert [r["date"] for r in rows] == ["2024-03-07", "2024-03-08", "2024-03-09", "2024-03-10"]
    assert rows[0] == {"date": "2024-03-07", "sent": 0, "delivered": 0, "opened": 0, "clicked": 0, "bounced": 0,
                       "openRate": 0.0, "clickRate": 0.0}
    assert rows[1] == {"date": "2024-03-08", "sent": 2, "delivered": 1, "opened": 1, "clicked": 0, "bounced": 1,
                       "openRate": 100.0, "clickRate": 0.0}
    assert rows[2]["sent"] == 0
    assert (rows[3]["sent"], rows[3]["clicked"], rows[3]["clickRate"]) == (1, 1, 100.0)


def test_default_range_is_the_last_30_days(client: httpx.Client, lettr_server: LettrServer) -> None:
    at(lettr_server, MIDNIGHT + timedelta(hours=5))
    rows = analytics(client)
    assert len(rows) == 30 and rows[0]["date"] == "2024-02-10" and rows[-1]["date"] == "2024-03-10"


def test_timestamps_are_taken_as_their_utc_day(client: httpx.Client, lettr_server: LettrServer) -> None:
    at(lettr_server, MIDNIGHT + timedelta(hours=5))
    rows = analytics(client, startDate="2024-03-08T22:00:00Z", endDate="2024-03-10T01:00:00+02:00")
    assert [r["date"] for r in rows] == ["2024-03-08", "2024-03-09"]


def test_tags_filter_any_match(client: httpx.Client, lettr_server: LettrServer) -> None:
    at(lettr_server, MIDNIGHT + timedelta(hours=5))
    send(client, 2, tags=["welcome"])
    send(client, 3, tags=["receipt", "billing"])
    send(client, 1)
    day = {"startDate": "2024-03-10", "endDate": "2024-03-10"}
    assert analytics(client, **day)[0]["sent"] == 6
    assert analytics(client, tags="welcome", **day)[0]["sent"] == 2
    assert analytics(client, tags="welcome, billing", **day)[0]["sent"] == 5
    assert analytics(client, tags="newsletter", **day)[0]["sent"] == 0


@pytest.mark.parametrize(("params", "param"), [
    ({"startDate": "2024-03-10", "endDate": "2024-03-01"}, "startDate"),
    ({"startDate": "2023-01-01", "endDate": "2024-03-10"}, "endDate"),
    ({"startDate": "2024-02-30"}, "startDate"),
    ({"endDate": "yesterday"}, "endDate"),
    ({"startDate": ""}, "startDate"),
    ({"groupBy": "week"}, "groupBy"),
    ({"tags": ","}, "tags"),
])
def test_analytics_validation(client: httpx.Client, lettr_server: LettrServer, params: dict[str, str],
                              param: str) -> None:
    at(lettr_server, MIDNIGHT)
    response = client.get("/analytics", params=params)
    assert response.status_code == 400
    assert (response.json()["error"]["code"], response.json()["error"]["param"]) == ("invalid_parameter", param)


# -- seeded history -----------------------------------------------------------------------------
def test_history_gives_a_daily_baseline(client: httpx.Client, lettr_server: LettrServer) -> None:
    at(lettr_server, MIDNIGHT + timedelta(hours=12))
    emails = lettr_server.seed_history(days=30, per_day=100)
    assert len(emails) == 3000 and len(lettr_server.emails) == 3000
    assert all(e.created_at < MIDNIGHT for e in emails)
    rows = analytics(client, startDate="2024-02-09", endDate="2024-03-10")
    assert [r["sent"] for r in rows] == [100] * 30 + [0]
    month = stats(client, "30d")
    assert month["sent"] == 2900                               # 29 history days fall inside "30d"
    assert 95 <= month["deliveryRate"] <= 100 and 0 < month["bounceRate"] < 5
    assert 25 <= month["openRate"] <= 55 and 0 < month["clickRate"] < month["openRate"]
    assert stats(client, "yesterday")["sent"] == 100 and stats(client, "today")["sent"] == 0


def test_history_is_listed_and_its_events_are_in_the_past(client: httpx.Client, lettr_server: LettrServer) -> None:
    at(lettr_server, MIDNIGHT + timedelta(minutes=5))
    lettr_server.seed_history(days=3, per_day=50)
    listed = client.get("/emails", params={"limit": 5}).json()
    assert listed["totalCount"] == 150
    times = [e.created_at for e in lettr_server.account.events]
    assert times == sorted(times) and times[-1] <= lettr_server.clock.now()
    bounced = [e for e in lettr_server.emails if e.status == "bounced"]
    assert all(ev.type != "email.opened" for e in bounced for ev in e.events)
    newest = lettr_server.emails[-1]
    assert client.get(f"/emails/{newest.id}").json()["status"] == newest.status


def test_history_then_todays_sends(client: httpx.Client, lettr_server: LettrServer) -> None:
    at(lettr_server, MIDNIGHT + timedelta(hours=12))
    send(client, 3)
    lettr_server.seed_history(days=2, per_day=10)
    assert [e.created_at < MIDNIGHT for e in lettr_server.emails] == [True] * 20 + [False] * 3
    assert stats(client)["sent"] == 3 and stats(client, "7d")["sent"] == 23


def test_history_is_seeded(lettr_server: LettrServer) -> None:
    def run() -> list[tuple[str, str, int]]:
        lettr_server.reset("history-seed")
        at(lettr_server, MIDNIGHT)
        return [(e.id, e.status, e.opens) for e in lettr_server.seed_history(days=2, per_day=30)]

    assert run() == run()


@pytest.mark.parametrize(("days", "per_day"), [(-1, 10), (2, -5), (1.5, 10), (True, 10)])
def test_history_arguments(lettr_server: LettrServer, days: Any, per_day: Any) -> None:
    with pytest.raises(ValueError):
        lettr_server.seed_history(days=days, per_day=per_day)
