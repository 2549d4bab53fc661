"""The indexed lists, filters and stats give exactly what a scan of every stored item gives.

Hypothesis builds outboxes and audit logs (out-of-order sends, status changes after storing,
sandbox and scheduled emails, events, a clock moved back) and compares each indexed answer
with the naive one.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_lettr.clock import Clock
from pytest_lettr.randomness import Entropy
from pytest_lettr.state import Account, Email
from pytest_lettr.state.audit import Actor, AuditLog
from pytest_lettr.state.emails import STATUSES
from pytest_lettr.state.pagination import paginate
from pytest_lettr.state.stats import OUTCOMES, _tally, daily_stats, period_stats, sends

T0 = datetime(2026, 3, 10, 12, 0, tzinfo=timezone.utc)
TAGS = ("welcome", "receipt", "digest")
PEOPLE = ("ada@example.com", "bob@example.com", "Cy <cy@example.com>")
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

email_specs = st.lists(st.tuples(
    st.integers(-3 * 24 * 60, 60),            # minutes from T0 (out of order on purpose)
    st.sampled_from(STATUSES),
    st.booleans(),                             # sandbox
    st.lists(st.sampled_from(TAGS), max_size=2),
    st.sampled_from(PEOPLE),
    st.booleans(),                             # scheduled
), max_size=40)
changes = st.lists(st.tuples(st.integers(0, 39), st.sampled_from(STATUSES)), max_size=15)


def build(specs: list[tuple[int, str, bool, list[str], str, bool]], account: Account) -> list[Email]:
    emails = []
    for i, (minutes, status, sandbox, tags, to, scheduled) in enumerate(specs):
        moment = T0 + timedelta(minutes=minutes)
        email = Email(id=f"email_{i:03d}", from_="app@example.com", to=[to], subject="s", html=None, text="t",
                      created_at=moment, status=status, sandbox=sandbox, tags=list(tags),
                      scheduled_at=moment + timedelta(hours=1) if scheduled else None)
        account.outbox.add(email)
        emails.append(email)
    return emails


def naive(emails: list[Email], start: datetime | None, end: datetime | None, **want: object) -> list[str]:
    ordered = sorted(emails, key=lambda e: e.created_at)  # add() keeps creation order, stable

    def keep(email: Email) -> bool:
        return ((start is None or email.created_at >= start) and (end is None or email.created_at <= end)
                and ("statuses" not in want or email.status in want["statuses"])  # type: ignore[operator]
                and ("sandbox" not in want or email.sandbox == want["sandbox"])
                and ("tags" not in want or bool(set(want["tags"]) & set(email.tags)))  # type: ignore[call-overload]
                and ("recipient" not in want or any(want["recipient"] in a for a in email.to)))  # type: ignore[operator]
    return [e.id for e in ordered if keep(e)]


@SETTINGS
@given(email_specs, changes, st.data())
def test_outbox_selections_match_a_scan(specs, status_changes, data) -> None:  # type: ignore[no-untyped-def]
    account = Account(seed=1)
    emails = build(specs, account)
    for index, status in status_changes if emails else ():
        emails[index % len(emails)].status = status  # re-indexed on write
    start = data.draw(st.none() | st.integers(-4 * 24 * 60, 90).map(lambda m: T0 + timedelta(minutes=m)))
    end = data.draw(st.none() | st.integers(-4 * 24 * 60, 90).map(lambda m: T0 + timedelta(minutes=m)))
    want: dict[str, object] = {}
    if data.draw(st.booleans()):
        want["statuses"] = tuple(data.draw(st.lists(st.sampled_from(STATUSES), min_size=1, unique=True)))
    if data.draw(st.booleans()):
        want["sandbox"] = data.draw(st.booleans())
    if data.draw(st.booleans()):
        want["tags"] = data.draw(st.lists(st.sampled_from(TAGS), min_size=1, max_size=2, unique=True))
    if data.draw(st.booleans()):
        want["recipient"] = data.draw(st.sampled_from(["ada@example.com", "cy@example.com"]))
    outbox = account.outbox
    selection = outbox.select(start, end, **want)  # type: ignore[arg-type]
    expected = naive(emails, start, end, **want)
    assert [outbox.at(p).id for p in selection] == expected and len(selection) == len(expected)
    limit = data.draw(st.integers(1, 5))
    page = paginate(selection, outbox.at, limit=limit)
    assert [e.id for e in page.items] == expected[::-1][:limit] and page.has_more == (len(expected) > limit)
    if expected:
        cursor = data.draw(st.sampled_from(expected))
        older = paginate(selection, outbox.at, limit=limit, starting_after=outbox.position(cursor))
        newer = paginate(selection, outbox.at, limit=limit, ending_before=outbox.position(cursor))
        at = expected.index(cursor)
        assert [e.id for e in older.items] == expected[:at][::-1][:limit]
        assert [e.id for e in newer.items] == expected[at + 1:at + 1 + limit][::-1]
        assert newer.has_more == (len(expected) - at - 1 > limit)
    for sandbox in (False, True):
        assert [e.id for e in outbox.scheduled(sandbox)] == [
            e.id for e in sorted(emails, key=lambda e: e.created_at) if e.scheduled_at and e.sandbox == sandbox]


entry_specs = st.lists(st.tuples(
    st.sampled_from(["api_key.created", "api_key.rotation.scheduled", "team.member_invited", "email.sent"]),
    st.sampled_from([None, "key_a", "key_b"]),
    st.sampled_from(["api_key", "member", "email"]),
    st.integers(-120, 600),                    # seconds the clock moves before the entry (back, too)
), max_size=40)


@SETTINGS
@given(entry_specs, st.data())
def test_audit_selections_match_a_scan(specs, data) -> None:  # type: ignore[no-untyped-def]
    clock = Clock(start=T0)
    log = AuditLog(clock, Entropy(3))
    for action, actor_id, resource_type, seconds in specs:
        clock.set(clock.now() + timedelta(seconds=seconds), frozen=True)
        log.record(action, Actor(id=actor_id, type="api_key" if actor_id else "system"), resource_type, None)
    entries = list(log)
    moments = [e.created_at for e in entries] or [clock.now()]
    start = data.draw(st.none() | st.sampled_from(moments))
    end = data.draw(st.none() | st.sampled_from(moments))
    want: dict[str, str] = {}
    if data.draw(st.booleans()):
        want["action"] = data.draw(st.sampled_from(["api_key.created", "email.sent", "nothing.here"]))
    elif data.draw(st.booleans()):
        want["action_prefix"] = data.draw(st.sampled_from(["api_key.", "api_key.rotation.", "team."]))
    if data.draw(st.booleans()):
        want["actor_id"] = data.draw(st.sampled_from(["key_a", "key_b"]))
    if data.draw(st.booleans()):
        want["resource_type"] = data.draw(st.sampled_from(["api_key", "email"]))

    def keep(entry) -> bool:  # type: ignore[no-untyped-def]
        return ((start is None or entry.created_at >= start) and (end is None or entry.created_at <= end)
                and ("action" not in want or entry.action == want["action"])
                and ("action_prefix" not in want or entry.action.startswith(want["action_prefix"]))
                and ("actor_id" not in want or entry.actor_id == want["actor_id"])
                and ("resource_type" not in want or entry.resource_type == want["resource_type"]))

    selection = log.select(start, end, **want)
    assert [log.at(p).id for p in selection] == [e.id for e in entries if keep(e)]


@SETTINGS
@given(email_specs, st.lists(st.tuples(st.integers(0, 39), st.sampled_from(OUTCOMES), st.integers(0, 48)),
                             max_size=30), st.integers(-72, 72), st.data())
def test_stats_tallies_match_counting(specs, happenings, clock_hours, data) -> None:  # type: ignore[no-untyped-def]
    account = Account(seed=2)
    account.clock.set(T0 - timedelta(days=4), frozen=True)
    emails = build(specs, account)
    for index, kind, hours in happenings if emails else ():
        email = emails[index % len(emails)]
        account.clock.set(email.created_at + timedelta(hours=hours), frozen=True)
        account.emit(f"email.{kind}", email, {"email_id": email.id})
    account.clock.set(T0 + timedelta(hours=clock_hours), frozen=True)  # possibly behind what was counted
    now = account.clock.now()
    for period in ("today", "yesterday", "7d", "30d"):
        stats = period_stats(account, period)
        first, last = stats.start_date, stats.end_date
        end = min(now + timedelta(microseconds=1), datetime.combine(last + timedelta(days=1), datetime.min.time(),
                                                                   tzinfo=timezone.utc))
        start = datetime.combine(first, datetime.min.time(), tzinfo=timezone.utc)
        expected = _tally([e for _, e in sends(account, start, end)], now)
        assert {name: getattr(stats, name) for name in expected} == expected
    tags = data.draw(st.none() | st.sets(st.sampled_from(TAGS), min_size=1, max_size=2))
    first = data.draw(st.sampled_from([date(2026, 3, 5), date(2026, 3, 9), date(2026, 3, 10)]))
    rows = daily_stats(account, first, date(2026, 3, 12), tags)
    for row in rows:
        start = datetime.combine(row.day, datetime.min.time(), tzinfo=timezone.utc)
        end = min(now + timedelta(microseconds=1), start + timedelta(days=1))
        matching = [e for _, e in sends(account, start, end) if tags is None or set(tags) & set(e.tags)]
        assert row.sent == len(matching) and row.delivered == _tally(matching, now)["delivered"]
        assert (row.opened, row.clicked, row.bounced) == tuple(_tally(matching, now)[k]
                                                               for k in ("opened", "clicked", "bounced"))
