"""Every mix of the outbox's filters (recipient, statuses, sandbox, one tag or several) gives exactly
what a scan gives: the same emails in the same order, the same total, the same pages by cursor,
after status changes, sandbox flips, deletions and emails with several recipients and tags."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.paging import walk_pages

from pytest_lettr.state import Account, Email
from pytest_lettr.state.emails import STATUSES, address_of

T0 = datetime(2026, 3, 10, 12, 0, tzinfo=timezone.utc)
TAGS = ("welcome", "receipt", "digest")
PEOPLE = ("ada@example.com", "Bob <BOB@example.com>", "cy@example.com")
SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])

emails = st.lists(st.tuples(
    st.integers(-600, 60),                                        # minutes from T0, out of order
    st.sampled_from(STATUSES), st.booleans(),                     # status, sandbox
    st.lists(st.sampled_from(TAGS), max_size=3),                  # duplicates on purpose
    st.lists(st.sampled_from(PEOPLE), min_size=1, max_size=2),    # to
    st.lists(st.sampled_from(PEOPLE), max_size=1),                # cc
), max_size=30)
edits = st.lists(st.tuples(st.integers(0, 29), st.sampled_from(["status", "sandbox", "delete"]),
                           st.sampled_from(STATUSES)), max_size=12)


def scan(account: Account, start: datetime | None, end: datetime | None, recipient: str | None,
         statuses: tuple[str, ...] | None, sandbox: bool | None, tags: list[str] | None) -> list[str]:
    """The matching ids, newest first, testing every stored email."""
    def keep(email: Email) -> bool:
        return ((start is None or email.created_at >= start) and (end is None or email.created_at <= end)
                and (recipient is None or address_of(recipient) in {address_of(a) for a in email.recipients})
                and (statuses is None or email.status in statuses)
                and (sandbox is None or email.sandbox == sandbox)
                and (tags is None or bool(set(tags) & set(email.tags))))
    return [email.id for email in reversed(list(account.outbox)) if keep(email)]


@SETTINGS
@given(emails, edits, st.data())
def test_every_mix_of_filters_matches_a_scan(specs, changes, data) -> None:  # type: ignore[no-untyped-def]
    account = Account(seed=3)
    stored = []
    for i, (minutes, status, sandbox, tags, to, cc) in enumerate(specs):
        email = Email(id=f"email_{i:03d}", from_="app@example.com", to=list(to), cc=list(cc), subject="s",
                      html=None, text="t", created_at=T0 + timedelta(minutes=minutes), status=status,
                      sandbox=sandbox, tags=list(tags))
        account.outbox.add(email)
        stored.append(email)
    for which, what, status in changes if stored else ():
        email = stored[which % len(stored)]
        if what == "delete":
            if account.outbox.position(email.id) is not None:
                account.outbox.delete(email.id)
        elif what == "status":
            email.status = status
        else:
            email.sandbox = not email.sandbox
    for _ in range(3):
        start = data.draw(st.none() | st.integers(-700, 90).map(lambda m: T0 + timedelta(minutes=m)))
        end = data.draw(st.none() | st.integers(-700, 90).map(lambda m: T0 + timedelta(minutes=m)))
        recipient = data.draw(st.none() | st.sampled_from(["ada@example.com", "bob@example.com", "nobody@x.io"]))
        statuses = data.draw(st.none() | st.lists(st.sampled_from(STATUSES), min_size=1, max_size=3,
                                                  unique=True).map(tuple))
        sandbox = data.draw(st.none() | st.booleans())
        tags = data.draw(st.none() | st.lists(st.sampled_from(TAGS), min_size=1, max_size=2))
        expected = scan(account, start, end, recipient, statuses, sandbox, tags)
        chosen = account.outbox.select(start, end, recipient=recipient, statuses=statuses, sandbox=sandbox,
                                       tags=tags)
        assert len(chosen) == len(expected)
        assert [account.outbox.at(p).id for p in sorted(chosen, reverse=True)] == expected
        limit = data.draw(st.integers(1, 4))
        assert walk_pages(chosen, account.outbox.at, account.outbox.position, limit) == expected
