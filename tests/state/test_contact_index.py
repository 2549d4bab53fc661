"""The contact index gives exactly what a scan of every contact gives: each list's and topic's
count, and the contacts of a status, of a list, or both, in order, after creations, status
changes, joins and leaves one at a time and in bulk, imports, deletions of contacts, lists and
topics."""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_lettr.state import Account
from pytest_lettr.state.audience import contacts
from pytest_lettr.state.audience.contacts import Row
from pytest_lettr.state.audience.models import SETTABLE_STATUSES
from pytest_lettr.state.audit import Actor

ACTOR = Actor.system()
SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])

steps = st.lists(st.one_of(
    st.tuples(st.just("create"), st.integers(0, 12), st.integers(-1, 2)),
    st.tuples(st.just("status"), st.integers(0, 40), st.sampled_from(SETTABLE_STATUSES)),
    st.tuples(st.just("member"), st.integers(0, 40), st.integers(0, 4), st.booleans()),
    st.tuples(st.just("bulk"), st.lists(st.integers(0, 40), max_size=4), st.integers(0, 4), st.booleans()),
    st.tuples(st.just("import"), st.lists(st.integers(0, 12), max_size=3), st.integers(0, 2), st.booleans()),
    st.tuples(st.just("delete"), st.integers(0, 40)),
    st.tuples(st.just("drop"), st.integers(0, 4)),
), max_size=40)


class Audience:
    """An account's audience with three lists and two topics (one opt-out, which new contacts join)."""

    def __init__(self) -> None:
        self.audience = Account(seed=5).audience
        self.lists = [self.audience.create_list(f"List {i}", ACTOR) for i in range(3)]
        self.topics = [self.audience.create_topic("News", ACTOR, default_subscription="opt_out"),
                       self.audience.create_topic("Events", ACTOR)]

    def targets(self) -> list[Any]:
        return [*self.lists, *self.topics]

    def contact(self, which: int) -> Any:
        everyone = self.audience.contacts
        return everyone[which % len(everyone)] if everyone else None

    def run(self, step: tuple[Any, ...]) -> None:
        kind, *args = step
        with suppress(Exception):  # a taken address, a deleted list: refused, like the API would
            getattr(self, "_" + kind)(*args)

    def _create(self, person: int, in_list: int) -> None:
        list_id = self.lists[in_list].id if in_list >= 0 and in_list < len(self.lists) else None
        contacts.create(self.audience, f"p{person}@example.com", ACTOR, list_id=list_id)

    def _status(self, which: int, status: str) -> None:
        contacts.update(self.audience, self.contact(which), ACTOR, status=status)

    def _member(self, which: int, target: int, join: bool) -> None:
        contacts.change_membership(self.audience, self.contact(which), self.targets()[target % len(self.targets())],
                                   ACTOR, join=join)

    def _bulk(self, which: list[int], target: int, join: bool) -> None:
        chosen = self.targets()[target % len(self.targets())]
        topics = chosen in self.topics
        people = [self.contact(w) for w in which if self.contact(w) is not None]
        contacts.bulk_join(self.audience, people, [chosen.id], topics=topics, join=join, actor=ACTOR)

    def _import(self, people: list[int], in_list: int, update: bool) -> None:
        rows = [Row(f"p{p}@example.com", list_ids=[self.lists[in_list].id] if self.lists else [],
                    topics={self.topics[-1].id: "opt_in"} if self.topics else {}) for p in people]
        contacts.bulk_create(self.audience, rows, ACTOR, update_existing=update)

    def _delete(self, which: int) -> None:
        contacts.delete(self.audience, self.contact(which), ACTOR)

    def _drop(self, target: int) -> None:
        chosen = self.targets()[target % len(self.targets())]
        if chosen in self.lists:
            self.audience.delete_lists([chosen.id], ACTOR)
            self.lists.remove(chosen)
        else:
            self.audience.delete_topic(chosen, ACTOR)
            self.topics.remove(chosen)


@SETTINGS
@given(steps, st.data())
def test_counts_and_filtered_contacts_match_a_scan(plan: list[tuple[Any, ...]], data: st.DataObject) -> None:
    world = Audience()
    for step in plan:
        world.run(step)
    audience = world.audience
    everyone = audience.contacts
    for item in audience.lists:
        assert audience.list_size(item) == sum(item.id in c.list_ids for c in everyone)
    for topic in audience.topics:
        assert audience.topic_size(topic) == sum(topic.id in c.topic_ids for c in everyone)
    for _ in range(3):
        status = data.draw(st.none() | st.sampled_from(SETTABLE_STATUSES))
        in_list = data.draw(st.none() | st.sampled_from(audience.lists)) if audience.lists else None
        found = audience.search(status=status, in_list=in_list)
        expected = [c.id for c in everyone
                    if (status is None or c.status == status) and (in_list is None or in_list.id in c.list_ids)]
        assert len(found) == len(expected)
        assert [c.id for c in found] == expected
        start, size = data.draw(st.integers(0, 6)), data.draw(st.integers(1, 4))
        assert [c.id for c in found[start:start + size]] == expected[start:start + size]
