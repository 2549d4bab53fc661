"""The indexed events list gives exactly what a scan of every recorded event gives.

Hypothesis drives an account through real sends (live and sandbox keys, several recipients and
batches), events of every kind, a clock moved forward and back, deleted emails, a cleared outbox
and merged history, then compares each indexed selection, its total and its pages walked by
cursor with a scan of ``account.events`` that applies the filters one event at a time.
"""

from __future__ import annotations

from contextlib import suppress
from datetime import datetime, timedelta, timezone
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.paging import walk_pages

from pytest_lettr.clock import Clock
from pytest_lettr.state import Account
from pytest_lettr.state.audit import Actor
from pytest_lettr.state.emails import address_of, clear_outbox, delete_email
from pytest_lettr.state.event_index import EventFilter
from pytest_lettr.state.history import seed_history
from pytest_lettr.state.lifecycle import simulate
from pytest_lettr.state.sending import Draft, send
from pytest_lettr.webhooks.payloads import api_type, event_recipient, render_event

T0 = datetime(2026, 3, 10, 12, 0, tzinfo=timezone.utc)
PEOPLE = ("ada@example.com", "Bob <bob@example.com>", "cy@example.com")
KINDS = ("delivery", "bounce", "initial_open", "open", "click", "spam_complaint", "out_of_band",
         "policy_rejection", "delay", "link_unsubscribe", "list_unsubscribe", "amp_click", "generation_failure")
TYPES = ("injection", "delivery", "bounce", "delay", "out_of_band", "spam_complaint", "policy_rejection",
         "click", "open", "initial_open", "amp_click", "link_unsubscribe", "list_unsubscribe")
CLASSES = ("10", "20", "21", "25", "50", "1")
SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])

operations = st.lists(st.one_of(
    st.tuples(st.just("send"), st.booleans(), st.lists(st.sampled_from(PEOPLE), min_size=1, max_size=2),
              st.integers(1, 2)),
    st.tuples(st.just("event"), st.integers(0, 30), st.sampled_from(KINDS),
              st.sampled_from([{}, {"bounce_type": "hard"}, {"bounce_class": 50}, {"to": "cy@example.com"}])),
    st.tuples(st.just("clock"), st.integers(-90, 90)),
    st.tuples(st.just("delete"), st.integers(0, 30)),
    st.tuples(st.just("clear")),
    st.tuples(st.just("history")),
), max_size=40)


class World:
    """An account with a live and a sandbox key, and the emails sent so far."""

    def __init__(self) -> None:
        self.account = Account(seed=7, clock=Clock(T0))
        self.account.options.strict_domains = False
        self.account.clock.set(T0, frozen=True)
        owner = self.account.owner.email
        self.keys = {False: self.account.admin_key.api_key,
                     True: self.account.keys.create("sandbox", mode="sandbox", owner_email=owner).api_key}
        self.sent: list[str] = []

    def run(self, operation: tuple[Any, ...]) -> None:
        kind, *args = operation
        getattr(self, "_" + kind)(*args)

    def _send(self, sandbox: bool, to: list[str], batch: int) -> None:
        key = self.keys[sandbox]
        actor = Actor(id=key.id, type="api_key", ip_address="127.0.0.1", key_prefix=key.key_prefix)
        recipients = [self.account.owner.email] if sandbox else to
        drafts = [Draft(sender="App <app@shop.example.com>", to=recipients, subject="Hi", html="<p>Hi</p>")
                  for _ in range(batch)]
        self.sent += [email.id for email in send(self.account, key, actor, drafts)]

    def _event(self, which: int, kind: str, details: dict[str, Any]) -> None:
        if self.sent:
            with suppress(Exception):  # an event the email's state refuses, or a deleted email
                simulate(self.account, self.sent[which % len(self.sent)], kind, **details)

    def _clock(self, minutes: int) -> None:
        self.account.clock.set(self.account.clock.now() + timedelta(minutes=minutes), frozen=True)

    def _delete(self, which: int) -> None:
        if self.sent:
            with suppress(Exception):  # already deleted
                delete_email(self.account, Actor.system(), self.sent[which % len(self.sent)])

    def _clear(self) -> None:
        clear_outbox(self.account, Actor.system())

    def _history(self) -> None:
        seed_history(self.account, days=1, per_day=3)


def scan(account: Account, wanted: EventFilter, start: datetime, end: datetime) -> list[str]:
    """The ids of the events ``wanted`` lets through, newest first, one event at a time."""
    found = []
    for event in reversed(account.events):
        if event.email_id is None or not start <= event.created_at <= end:
            continue
        position = account.outbox.position(event.email_id)
        email = account.outbox.at(position) if position is not None else None
        kind = api_type(event)
        if email is None or email.sandbox != wanted.sandbox or kind is None:
            continue
        if wanted.types and kind not in wanted.types:
            continue
        if wanted.recipients and event_recipient(event, email) not in wanted.recipients:
            continue
        if wanted.transmissions and (email.request_id or email.id) not in wanted.transmissions:
            continue
        rendered = render_event(event, email) or {}
        if wanted.bounce_classes and str(rendered.get("bounce_class", "")) not in wanted.bounce_classes:
            continue
        found.append(event.id)
    return found


def filters(data: st.DataObject, world: World) -> EventFilter:
    transmissions = sorted({e.request_id or e.id for e in world.account.outbox} | {"req_unknown"})
    return EventFilter(
        sandbox=data.draw(st.booleans()),
        types=frozenset(data.draw(st.lists(st.sampled_from(TYPES), max_size=3))),
        recipients=frozenset(address_of(r) for r in data.draw(st.lists(st.sampled_from(
            [*PEOPLE, world.account.owner.email]), max_size=2))),
        transmissions=frozenset(data.draw(st.lists(st.sampled_from(transmissions), max_size=2))),
        bounce_classes=frozenset(data.draw(st.lists(st.sampled_from(CLASSES), max_size=2))))


@SETTINGS
@given(operations, st.data())
def test_event_selections_match_a_scan(steps: list[tuple[Any, ...]], data: st.DataObject) -> None:
    world = World()
    for step in steps:
        world.run(step)
    account = world.account
    for _ in range(4):
        wanted = filters(data, world)
        now = account.clock.now()
        start = now + timedelta(minutes=data.draw(st.integers(-3 * 24 * 60, 0)))
        end = now + timedelta(minutes=data.draw(st.integers(-200, 60)))
        expected = scan(account, wanted, start, end)
        chosen = account.event_index.select(wanted, start, end)
        assert len(chosen) == len(expected)
        assert [account.events[p].id for p in sorted(chosen, reverse=True)] == expected
        limit = data.draw(st.integers(1, 4))
        assert walk_pages(chosen, account.events.__getitem__, account.event_index.position, limit) == expected


def test_an_event_of_a_deleted_email_is_not_listed_and_its_position_is_forgotten() -> None:
    world = World()
    world.run(("send", False, ["ada@example.com"], 2))
    account = world.account
    gone, kept = world.sent
    simulate(account, gone, "delivery")
    wanted = EventFilter(False, types=frozenset({"delivery", "injection"}))
    window = (T0 - timedelta(days=1), T0 + timedelta(days=1))
    assert len(account.event_index.select(wanted, *window)) == 3
    gone_events = [e.id for e in account.outbox.get(gone).events]
    delete_email(account, Actor.system(), gone)
    assert len(account.event_index.select(wanted, *window)) == 1
    assert all(account.event_index.position(event_id) is None for event_id in gone_events)
    assert scan(account, wanted, *window) == [account.outbox.get(kept).events[0].id]


def test_a_send_indexes_its_event_without_rebuilding_the_index() -> None:
    world = World()
    world.run(("send", False, ["ada@example.com"], 1))
    index = world.account.event_index
    rebuilt: list[bool] = []
    original = index._rebuild  # count the fallback, not the answer
    index._rebuild = lambda: (rebuilt.append(True), original())[1]  # type: ignore[method-assign]
    for _ in range(5):
        world.run(("send", True, ["ada@example.com"], 2))
        simulate(world.account, world.sent[-1], "delivery")
    assert not rebuilt
    window = (T0 - timedelta(days=1), T0 + timedelta(days=1))
    assert len(index.select(EventFilter(True), *window)) == 15  # two sends and a delivery, five times


def test_an_email_whose_sandbox_flag_changes_takes_its_events_along() -> None:
    world = World()
    world.run(("send", False, ["ada@example.com", "bob@example.com"], 1))
    account = world.account
    simulate(account, world.sent[0], "delivery")
    window = (T0 - timedelta(days=1), T0 + timedelta(days=1))
    account.outbox.get(world.sent[0]).sandbox = True
    for sandbox, count in ((False, 0), (True, 2)):
        wanted = EventFilter(sandbox)
        chosen = account.event_index.select(wanted, *window)
        assert [account.events[p].id for p in sorted(chosen, reverse=True)] == scan(account, wanted, *window)
        assert len(chosen) == count
