"""The account's email events, indexed on write for ``GET /api/emails/events``.

Positions are indexes into ``account.events`` (the order events were recorded in). Every event
of a stored email that has a current-API type is listed under two keys: (sandbox, type) and
(sandbox, type, recipient); one with a bounce class (bounces, delays, out-of-band bounces, policy
rejections) under (sandbox, type, class) and (sandbox, type, recipient, class) as well. An event
has one value of each, so any mix of the type, recipient and bounce-class filters is a few
disjoint position lists (a :class:`~pytest_lettr.state.indexes.Selection`) cut to the time window
by bisection while the events' times never went back: the total is their sizes and a page costs
O(parts x (limit + log n)). A transmission holds only its emails' events, so a query naming
transmissions reads those.

An email's events leave the index when the email is deleted (or the outbox cleared), and follow it
if its sandbox flag changes; ``rebuild()`` re-reads ``account.events`` after history is merged in.
"""

from __future__ import annotations

import threading
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from ..webhooks.payloads import api_type, event_recipient, render_event
from .indexes import PositionIndex, Selection

if TYPE_CHECKING:
    from .account import Event
    from .emails import Email, Outbox

#: The types whose rendering carries a ``bounce_class``.
BOUNCE_KINDS = frozenset({"bounce", "delay", "out_of_band", "policy_rejection"})


@dataclass(frozen=True, slots=True)
class EventFilter:
    """What ``GET /emails/events`` asks for; an empty set does not filter."""

    sandbox: bool
    types: frozenset[str] = frozenset()
    recipients: frozenset[str] = frozenset()
    transmissions: frozenset[str] = frozenset()
    bounce_classes: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Facets:
    """What one event is filtered by: its email's sandbox flag, type, recipient, transmission and
    bounce class (``None`` when its rendering has none)."""

    sandbox: bool
    kind: str
    recipient: str
    transmission: str
    bounce_class: str | None

    def passes(self, wanted: EventFilter) -> bool:
        return (self.sandbox == wanted.sandbox and _allows(wanted.types, self.kind)
                and _allows(wanted.recipients, self.recipient)
                and _allows(wanted.transmissions, self.transmission)
                and (not wanted.bounce_classes or self.bounce_class in wanted.bounce_classes))


def _allows(wanted: frozenset[str], value: str) -> bool:
    return not wanted or value in wanted


def facets(event: Event, email: Email) -> Facets | None:
    """How ``event`` of ``email`` is filtered (``None``: it has no current-API type, so it is never listed)."""
    found = _classify(event, email)
    if found is None:
        return None
    sandbox, kind, recipient, bounce_class = found
    return Facets(sandbox, kind, recipient, email.request_id or email.id, bounce_class)


def _classify(event: Event, email: Email) -> tuple[bool, str, str, str | None] | None:
    """(sandbox, type, recipient, bounce class): what the index lists ``event`` under."""
    kind = api_type(event)
    if kind is None:
        return None
    bounce_class = None
    if kind in BOUNCE_KINDS:
        rendered = render_event(event, email)
        value = str(rendered.get("bounce_class", "")) if rendered is not None else ""
        bounce_class = value or None
    return email.sandbox, kind, event_recipient(event, email), bounce_class


def _keys(sandbox: bool, kind: str, recipient: str, bounce_class: str | None) -> list[tuple[object, ...]]:
    keys: list[tuple[object, ...]] = [(sandbox, kind), (sandbox, kind, recipient)]
    if bounce_class is not None:
        keys += [(sandbox, kind, None, bounce_class), (sandbox, kind, recipient, bounce_class)]
    return keys


def _keys_of(found: Facets) -> list[tuple[object, ...]]:
    return _keys(found.sandbox, found.kind, found.recipient, found.bounce_class)


def _created(event: Event) -> datetime:
    return event.created_at


class EventIndex:
    """Positions of ``events`` (the account's list) per filter combination; see the module."""

    def __init__(self, events: list[Event], outbox: Outbox) -> None:
        self._events = events
        self._outbox = outbox
        self._lock = threading.RLock()
        self._lists: PositionIndex[tuple[object, ...]] = PositionIndex()
        self._position: dict[str, int] = {}
        self._kinds: set[str] = set()
        self._indexed = 0  # how many of ``events`` were seen
        self._latest: datetime | None = None
        self._in_order = True  # no event is older than one recorded before it
        outbox.event_index = self

    # -- writing --------------------------------------------------------------------------------
    def add(self, position: int) -> None:
        """Index ``events[position]``, just recorded (the account's lock is held)."""
        with self._lock:
            if position != self._indexed:  # something wrote to the list behind the index's back
                self._rebuild()
                return
            self._take(position)

    def _take(self, position: int) -> None:
        event = self._events[position]
        self._indexed = position + 1
        if self._latest is not None and event.created_at < self._latest:
            self._in_order = False
        else:
            self._latest = event.created_at
        if event.email_id is None:
            return
        stored = self._stored(event.email_id)
        if stored is None:
            return
        found = _classify(event, stored)
        if found is None:
            return
        self._position[event.id] = position
        self._kinds.add(found[1])
        self._lists.add_to_each(_keys(*found), position)

    def _stored(self, email_id: str) -> Email | None:
        position = self._outbox.position(email_id)
        return self._outbox.at(position) if position is not None else None

    def rebuild(self) -> None:
        """Re-read every event (after events were merged into the list, as seeded history does)."""
        with self._lock:
            self._rebuild()

    def _rebuild(self) -> None:
        self._lists.clear()
        self._position.clear()
        self._kinds.clear()
        self._indexed, self._latest, self._in_order = 0, None, True
        for position in range(len(self._events)):
            self._take(position)

    def forget(self, email: Email, sandbox: bool | None = None) -> None:
        """Drop the events of ``email`` (deleted, or ``sandbox`` is the flag it was indexed with)."""
        with self._lock:
            for event in list(email.events):
                position = self._position.pop(event.id, None)
                found = facets(event, email) if position is not None else None
                if found is None or position is None:
                    continue
                if sandbox is not None:
                    found = Facets(sandbox, found.kind, found.recipient, found.transmission, found.bounce_class)
                for key in _keys_of(found):
                    self._lists.remove(key, position)

    def moved(self, email: Email, was_sandbox: bool) -> None:
        """``email``'s sandbox flag changed: list its events under the new one."""
        with self._lock:
            positions = [self._position[e.id] for e in email.events if e.id in self._position]
            self.forget(email, was_sandbox)
            for position in positions:
                found = facets(self._events[position], email)
                if found is not None:
                    self._position[self._events[position].id] = position
                    for key in _keys_of(found):
                        self._lists.add(key, position)

    def clear(self) -> None:
        """Every email is gone: no event is listed any more (the account's history keeps them)."""
        with self._lock:
            self._lists.clear()
            self._position.clear()

    # -- reading --------------------------------------------------------------------------------
    def position(self, event_id: str) -> int | None:
        """Where a listed event is in ``account.events`` (``None``: not listed)."""
        return self._position.get(event_id)

    def at(self, position: int) -> Event:
        return self._events[position]

    def facets_at(self, position: int) -> Facets | None:
        """How the event at ``position`` is filtered now (``None``: not listed)."""
        event = self._events[position]
        email = self._stored(event.email_id) if event.email_id is not None else None
        return facets(event, email) if email is not None and self._position.get(event.id) == position else None

    def select(self, wanted: EventFilter, start: datetime, end: datetime) -> Selection:
        """Positions of the listed events from ``start`` to ``end`` (both included) that ``wanted`` lets through."""
        with self._lock:
            chosen = self._of_transmissions(wanted) if wanted.transmissions else Selection(self._parts(wanted))
            if self._in_order:
                first = bisect_left(self._events, start, key=_created)
                last = bisect_right(self._events, end, key=_created)
                return chosen.window(first, last)
            events = self._events
            return chosen.filtered(lambda p: start <= events[p].created_at <= end)

    def _parts(self, wanted: EventFilter) -> list[Sequence[int]]:
        kinds: Iterable[str] = wanted.types or sorted(self._kinds)
        recipients: Iterable[str | None] = wanted.recipients or (None,)
        parts: list[Sequence[int]] = []
        for kind in kinds:
            for recipient in recipients:
                base = (wanted.sandbox, kind) if recipient is None else (wanted.sandbox, kind, recipient)
                if not wanted.bounce_classes:
                    parts.append(self._lists.get(base))
                    continue
                for bounce_class in wanted.bounce_classes:
                    parts.append(self._lists.get((wanted.sandbox, kind, recipient, bounce_class)))
        return [part for part in parts if part]

    def _of_transmissions(self, wanted: EventFilter) -> Selection:
        """The events of the emails of ``wanted.transmissions`` that pass every filter."""
        positions: set[int] = set()
        for transmission in wanted.transmissions:
            emails = self._outbox.by_request(transmission)
            own = self._stored(transmission)
            for email in [*emails, *([own] if own is not None and not own.request_id else [])]:
                for event in list(email.events):
                    position = self._position.get(event.id)
                    found = facets(event, email) if position is not None else None
                    if position is not None and found is not None and found.passes(wanted):
                        positions.add(position)
        return Selection([sorted(positions)])

