"""Sent emails: the outbox every dialect writes to and every assertion reads.

The outbox keeps emails oldest first with indexes by id, recipient, request, status, tag and
schedule, and the stats tallies, all kept on write, so listing a page, filtering it or counting a
period never scans every stored email.
"""

from __future__ import annotations

import threading
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..errors import NotFound
from .indexes import PositionIndex, Selection
from .stats import Tally

if TYPE_CHECKING:
    from .account import Account
    from .audit import Actor
    from .event_index import EventIndex

#: Email statuses of the v1 API.
STATUSES = ("queued", "sent", "delivered", "bounced", "failed", "scheduled", "cancelled", "suppressed")


@dataclass
class Attachment:
    filename: str
    content: bytes | None = field(default=None, repr=False)
    url: str | None = None
    content_type: str | None = None

    @property
    def size(self) -> int:
        return len(self.content or b"")


@dataclass(eq=False, slots=True)  # no per-email __dict__: a third less memory per stored email
class Email:
    """One email as stored. ``from_`` is the sender (``sender`` is an alias), ``to`` a list.

    Readable in assertions::

        email = lettr_server.emails[-1]
        assert email.to == ["ada@example.com"] and "Welcome" in email.subject
    """

    id: str
    from_: str
    to: list[str]
    subject: str | None
    html: str | None
    text: str | None
    created_at: datetime
    status: str = "sent"
    cc: list[str] = field(default_factory=list)
    bcc: list[str] = field(default_factory=list)
    reply_to: str | None = None
    attachments: list[Attachment] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)
    scheduled_at: datetime | None = None
    template_id: str | None = None
    variables: dict[str, Any] = field(default_factory=dict)
    tracking: dict[str, bool] = field(default_factory=lambda: {"opens": True, "clicks": True})
    opens: int = 0
    clicks: int = 0
    first_opened_at: datetime | None = None
    last_opened_at: datetime | None = None
    delivered_at: datetime | None = None
    sent_at: datetime | None = None
    api_key_id: str | None = None
    request_id: str | None = None
    sandbox: bool = False
    options: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    events: list[Any] = field(default_factory=list, repr=False)
    _outbox: Outbox | None = field(default=None, init=False, repr=False, compare=False)
    #: Makes :attr:`delivered_html` and :attr:`delivered_headers` on first use (tracking sets it
    #: when the email is sent: most emails of a test suite are never read as delivered).
    _delivery: Callable[[Email], None] | None = field(default=None, init=False, repr=False, compare=False)

    def __setattr__(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)
        if name in _INDEXED_FIELDS:  # the outbox re-indexes a stored email whose status... changed
            outbox = getattr(self, "_outbox", None)
            if outbox is not None:
                outbox.refresh(self)

    @property
    def sender(self) -> str:
        return self.from_

    @property
    def delivered_html(self) -> str | None:
        """The HTML as the recipient gets it: with open tracking, the pixel; with click tracking, links
        through the fake (``html`` keeps it as sent). The same as ``html`` when tracking is off."""
        self._delivered()
        return self.extra.get("delivered_html", self.html)

    @property
    def delivered_headers(self) -> dict[str, str]:
        """``headers`` plus what the fake adds on delivery (``List-Unsubscribe`` and
        ``List-Unsubscribe-Post`` when the HTML has a ``data-msys-unsubscribe`` link)."""
        self._delivered()
        return {**self.headers, **self.extra.get("delivered_headers", {})}

    def _delivered(self) -> None:
        render = self._delivery
        if render is not None:
            render(self)

    @property
    def recipients(self) -> list[str]:
        """Everyone the email goes to: ``to`` + ``cc`` + ``bcc``."""
        return [*self.to, *self.cc, *self.bcc]

    def matches(self, **expected: Any) -> bool:
        """Whether every ``field=value`` holds.

        ``to``/``cc``/``bcc`` given one string match any single recipient (a list must match
        exactly); a bare address matches ``Name <address>`` too, case-insensitively, for those and
        for ``from``/``sender``/``reply_to``. ``subject``/``html``/``text`` given as ``*_contains``
        match substrings.

        >>> from datetime import datetime
        >>> email = Email("email_1", "Acme <app@example.com>", ["Ada <ada@example.com>"], "Hi", None, "t",
        ...               datetime.now())
        >>> email.matches(to="ADA@example.com", sender="app@example.com", subject_contains="H")
        True
        """
        return all(self._holds(name, wanted) for name, wanted in expected.items())

    def _holds(self, name: str, wanted: Any) -> bool:
        """One ``field=value`` of :meth:`matches`."""
        if name.endswith("_contains"):
            actual = getattr(self, name[: -len("_contains")])
            return actual is not None and wanted in actual
        actual = getattr(self, _FIELD_ALIASES.get(name, name))
        if isinstance(wanted, str):
            if name in _RECIPIENT_FIELDS:
                return any(_same_mailbox(a, wanted) for a in actual)
            if name in _MAILBOX_FIELDS:
                return actual is not None and _same_mailbox(actual, wanted)
        return bool(actual == wanted)


#: Fields the outbox's indexes and tallies depend on (recipients and tags are fixed once stored).
_INDEXED_FIELDS = frozenset({"status", "sandbox", "sent_at", "scheduled_at"})
#: ``matches`` names that are another field's (``from`` is a keyword in Python).
_FIELD_ALIASES = {"from": "from_", "sender": "from_"}
#: Lists of mailboxes: one string matches any of them.
_RECIPIENT_FIELDS = frozenset({"to", "cc", "bcc"})
#: Single mailboxes: a bare address matches ``Name <address>``.
_MAILBOX_FIELDS = frozenset({"from", "from_", "sender", "reply_to"})


def _same_mailbox(actual: str, wanted: str) -> bool:
    """``wanted`` with a display name must match exactly; a bare address matches by address."""
    if "<" in wanted:
        return actual.strip() == wanted.strip()
    return address_of(actual) == address_of(wanted)


def _created(email: Email) -> datetime:
    return email.created_at


def narrowed(checks: list[tuple[Selection, Callable[[Email], bool]]], emails: Sequence[Email]) -> Selection:
    """What every filter lets through: the narrowest index's positions, tested against the others."""
    driver = min(range(len(checks)), key=lambda i: len(checks[i][0]))
    others = [check for i, (_, check) in enumerate(checks) if i != driver]
    if not others:
        return checks[driver][0]
    return checks[driver][0].filtered(lambda p: all(check(emails[p]) for check in others))


def _allowed(statuses: Sequence[str] | None, sandbox: bool | None) -> list[tuple[bool, str]]:
    """The (sandbox, status) pairs a filter lets through (every one for a filter not given)."""
    modes = (False, True) if sandbox is None else (sandbox,)
    return [(m, s) for m in modes for s in dict.fromkeys(STATUSES if statuses is None else statuses)]


def address_of(mailbox: str) -> str:
    """``"Ada <ada@x.io>"`` → ``"ada@x.io"`` (lower-cased, for indexing and matching)."""
    mailbox = mailbox.strip()
    if mailbox.endswith(">") and "<" in mailbox:
        mailbox = mailbox[mailbox.rindex("<") + 1 : -1]
    return mailbox.strip().lower()


#: What an email is indexed under that can change: (sandbox, status), its schedule (sandbox) when
#: it has one, and (recipient, sandbox, status) for each recipient address.
_Keys = tuple[tuple[bool, str], bool | None, tuple[tuple[str, bool, str], ...]]


class Outbox:
    """Emails of one account, oldest first, indexed by id, recipient, request, status, tag and
    schedule, with the stats tallies; every index is kept on write, under the outbox's lock."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._emails: list[Email] = []
        self._position: dict[str, int] = {}
        self._by_recipient: dict[str, list[int]] = {}
        self._by_request: dict[str, list[int]] = {}
        self._by_status: PositionIndex[tuple[bool, str]] = PositionIndex()
        self._by_tag: PositionIndex[str] = PositionIndex()
        self._scheduled: PositionIndex[bool] = PositionIndex()
        self._by_recipient_status: PositionIndex[tuple[str, bool, str]] = PositionIndex()
        self._by_tag_status: PositionIndex[tuple[str, bool, str]] = PositionIndex()
        self._by_recipient_tag_status: PositionIndex[tuple[str, str, bool, str]] = PositionIndex()
        self._keys: dict[str, _Keys] = {}
        #: Sends and outcomes per day (see :class:`~pytest_lettr.state.stats.Tally`).
        self.tally = Tally()
        #: The account's events of these emails (set by the index), told of deletions.
        self.event_index: EventIndex | None = None

    @property
    def lock(self) -> threading.RLock:
        """Held while the outbox changes; reads that need a consistent view take it."""
        return self._lock

    def __len__(self) -> int:
        return len(self._emails)

    def __iter__(self) -> Iterator[Email]:
        return iter(list(self._emails))

    def __getitem__(self, index: int) -> Email:
        return self._emails[index]

    def add(self, email: Email) -> None:
        """Store one email, in ``created_at`` order.

        An email older than the newest (a concurrent send that lost the race by microseconds, or
        seeded history) is inserted in place; only the emails after it are re-indexed.
        """
        with self._lock:
            if not self._emails or email.created_at >= self._emails[-1].created_at:
                self._index(email, len(self._emails))
                self._emails.append(email)
            else:
                at = bisect_right(self._emails, email.created_at, key=lambda e: e.created_at)
                for position in range(len(self._emails) - 1, at - 1, -1):
                    self._unindex(self._emails[position], position)
                self._emails.insert(at, email)
                for position in range(at, len(self._emails)):
                    self._index(self._emails[position], position)
            if email.events and self.event_index is not None:  # events recorded before it was stored
                self.event_index.rebuild()

    def add_many(self, emails: list[Email]) -> None:
        """Store many emails at once (seeded history): one sort and one re-index, not one per email."""
        if not emails:
            return
        with self._lock:
            ordered = sorted(emails, key=lambda e: e.created_at)
            if not self._emails or ordered[0].created_at >= self._emails[-1].created_at:
                for email in ordered:
                    self._index(email, len(self._emails))
                    self._emails.append(email)
                return
            self._emails.extend(ordered)
            self._emails.sort(key=lambda e: e.created_at)
            self._reindex()

    def _index(self, email: Email, position: int) -> None:
        self._position[email.id] = position
        for recipient in dict.fromkeys(address_of(a) for a in email.recipients):
            self._by_recipient.setdefault(recipient, []).append(position)
        if email.request_id:
            self._by_request.setdefault(email.request_id, []).append(position)
        for tag in dict.fromkeys(email.tags):
            self._by_tag.add(tag, position)
        self._add_keys(email, position)
        object.__setattr__(email, "_outbox", self)
        self.tally.update(email)

    def _add_keys(self, email: Email, position: int) -> None:
        by_recipient = tuple((address, email.sandbox, email.status)
                             for address in dict.fromkeys(address_of(a) for a in email.recipients))
        keys: _Keys = ((email.sandbox, email.status), email.sandbox if email.scheduled_at is not None else None,
                       by_recipient)
        self._keys[email.id] = keys
        self._by_status.add(keys[0], position)
        if keys[1] is not None:
            self._scheduled.add(keys[1], position)
        for key in by_recipient:
            self._by_recipient_status.add(key, position)
        if email.tags:
            self._tagged_keys(email, keys, self._by_tag_status.add, self._by_recipient_tag_status.add, position)

    def _remove_keys(self, email: Email, position: int) -> None:
        keys = self._keys.pop(email.id)
        status, scheduled, by_recipient = keys
        self._by_status.remove(status, position)
        if scheduled is not None:
            self._scheduled.remove(scheduled, position)
        for key in by_recipient:
            self._by_recipient_status.remove(key, position)
        if email.tags:
            self._tagged_keys(email, keys, self._by_tag_status.remove, self._by_recipient_tag_status.remove,
                              position)

    @staticmethod
    def _tagged_keys(email: Email, keys: _Keys, by_tag: Callable[[tuple[str, bool, str], int], None],
                     by_both: Callable[[tuple[str, str, bool, str], int], None], position: int) -> None:
        """Apply ``by_tag`` to each (tag, sandbox, status) of the email as ``keys`` has it, ``by_both``
        to each (recipient, tag, sandbox, status); tags and recipients never change once stored,
        so these are made again from the email rather than kept per email."""
        sandbox, status = keys[0]
        for tag in dict.fromkeys(email.tags):
            by_tag((tag, sandbox, status), position)
            for address, _, _ in keys[2]:
                by_both((address, tag, sandbox, status), position)

    def refresh(self, email: Email) -> None:
        """Re-index a stored email after its status, sandbox flag, send time or schedule changed,
        or it had an event (the account calls this for every event of an email)."""
        with self._lock:
            position = self._position.get(email.id)
            if position is None or self._emails[position] is not email:
                return
            old = self._keys[email.id]
            was_sandbox = old[0][0]
            scheduled = email.sandbox if email.scheduled_at is not None else None
            if old[0] != (email.sandbox, email.status) or old[1] != scheduled:  # else every key is the same
                self._remove_keys(email, position)
                self._add_keys(email, position)
            self.tally.update(email)
            if was_sandbox != email.sandbox and self.event_index is not None:
                self.event_index.moved(email, was_sandbox)

    def on_event(self, event: Any) -> None:
        """An account event listener: count the email's new outcome."""
        email_id = getattr(event, "email_id", None)
        position = self._position.get(email_id) if email_id else None
        if position is not None:
            self.refresh(self._emails[position])

    def _unindex(self, email: Email, position: int) -> None:
        """Undo :meth:`_index` for the email at ``position`` (called newest first, so it pops ends)."""
        del self._position[email.id]
        lists = [self._by_recipient[r] for r in dict.fromkeys(address_of(a) for a in email.recipients)]
        if email.request_id:
            lists.append(self._by_request[email.request_id])
        for positions in lists:
            del positions[bisect_left(positions, position)]
        for tag in dict.fromkeys(email.tags):
            self._by_tag.remove(tag, position)
        self._remove_keys(email, position)

    def _reindex(self) -> None:
        self._position.clear()
        self._by_recipient.clear()
        self._by_request.clear()
        self._by_tag.clear()
        self._by_status.clear()
        self._scheduled.clear()
        self._by_recipient_status.clear()
        self._by_tag_status.clear()
        self._by_recipient_tag_status.clear()
        self._keys.clear()
        for position, email in enumerate(self._emails):
            self._index(email, position)

    def get(self, email_id: str) -> Email:
        position = self._position.get(email_id)
        if position is None:
            raise NotFound(f"Email '{email_id}' not found")
        return self._emails[position]

    def position(self, email_id: str) -> int | None:
        return self._position.get(email_id)

    def positions(self, recipient: str | None = None) -> list[int] | range:
        """Ascending positions of all emails, or of those sent to ``recipient``."""
        if recipient is None:
            return range(len(self._emails))
        return self._by_recipient.get(address_of(recipient), [])

    def positions_between(self, start: datetime | None, end: datetime | None,
                          recipient: str | None = None) -> Sequence[int]:
        """Ascending positions of the emails created from ``start`` to ``end`` (both included, either
        open), optionally only those sent to ``recipient``: bisected, never a scan of the outbox."""
        with self._lock:
            positions = self.positions(recipient)
            if start is None and end is None:
                return positions
            first = bisect_left(self._emails, start, key=_created) if start is not None else 0
            last = bisect_right(self._emails, end, key=_created) if end is not None else len(self._emails)
            if isinstance(positions, range):
                return range(first, last)
            return positions[bisect_left(positions, first):bisect_left(positions, last)]

    def select(self, start: datetime | None = None, end: datetime | None = None, *,
               recipient: str | None = None, statuses: Sequence[str] | None = None,
               sandbox: bool | None = None, tags: Sequence[str] | None = None) -> Selection:
        """Positions of the emails created from ``start`` to ``end`` (both included) that match every
        filter given: sent to ``recipient``, in one of ``statuses``, live or sandbox, carrying any
        of ``tags``. With at most one tag every mix of filters has its own index, so a page costs
        O(parts x (limit + log n)); several tags with other filters cost the narrowest index's
        matches. Never a scan of the outbox.
        """
        with self._lock:
            first = bisect_left(self._emails, start, key=_created) if start is not None else 0
            last = bisect_right(self._emails, end, key=_created) if end is not None else len(self._emails)
            wanted_tags = list(dict.fromkeys(tags)) if tags is not None else None
            if wanted_tags is None or len(wanted_tags) == 1:
                return self._one_index(recipient, statuses, sandbox, wanted_tags).window(first, last)
            checks = self._filters(recipient, statuses, sandbox, tags)
            return narrowed([(chosen.window(first, last), check) for chosen, check in checks], self._emails)

    def _one_index(self, recipient: str | None, statuses: Sequence[str] | None, sandbox: bool | None,
                   tags: list[str] | None) -> Selection:
        """The filters (at most one tag) as disjoint lists of the one index that has their mix."""
        tag = tags[0] if tags else None
        address = address_of(recipient) if recipient is not None else None
        if statuses is None and sandbox is None and (tag is None or address is None):
            return Selection([self.positions(recipient) if tag is None else self._by_tag.get(tag)])
        return Selection([self._status_list(address, tag, key) for key in _allowed(statuses, sandbox)])

    def _status_list(self, address: str | None, tag: str | None, key: tuple[bool, str]) -> Sequence[int]:
        """The emails in one (sandbox, status), to ``address`` and carrying ``tag`` when given."""
        if address is not None and tag is not None:
            return self._by_recipient_tag_status.get((address, tag, *key))
        if tag is not None:
            return self._by_tag_status.get((tag, *key))
        if address is not None:
            return self._by_recipient_status.get((address, *key))
        return self._by_status.get(key)

    def _filters(self, recipient: str | None, statuses: Sequence[str] | None, sandbox: bool | None,
                 tags: Sequence[str] | None) -> list[tuple[Selection, Callable[[Email], bool]]]:
        """Each filter of :meth:`select` given: its index's positions, and its test for one email."""
        checks: list[tuple[Selection, Callable[[Email], bool]]] = []
        if statuses is not None or sandbox is not None:
            checks.append(self._status_filter(statuses, sandbox, recipient))
        elif recipient is not None:
            address = address_of(recipient)
            checks.append((Selection([self._by_recipient.get(address, [])]),
                           lambda e: address in {address_of(a) for a in e.recipients}))
        if tags is not None:
            wanted_tags = frozenset(tags)
            checks.append((self.tagged(tags), lambda e: not wanted_tags.isdisjoint(e.tags)))
        return checks

    def _status_filter(self, statuses: Sequence[str] | None, sandbox: bool | None,
                       recipient: str | None) -> tuple[Selection, Callable[[Email], bool]]:
        """The status (and sandbox) filter, with the recipient's when one is given: one index of
        (recipient, sandbox, status) answers "emails to X in these states" without a scan."""
        allowed = frozenset(_allowed(statuses, sandbox))
        if recipient is None:
            return Selection([self._by_status.get(k) for k in allowed]), lambda e: (e.sandbox, e.status) in allowed
        address = address_of(recipient)
        return (Selection([self._by_recipient_status.get((address, m, s)) for m, s in allowed]),
                lambda e: (e.sandbox, e.status) in allowed and address in {address_of(a) for a in e.recipients})

    def tagged(self, tags: Iterable[str] | None) -> Selection:
        """Positions of the emails carrying any of ``tags`` (everything when ``None``)."""
        if tags is None:
            return Selection([range(len(self._emails))])
        lists = [self._by_tag.get(tag) for tag in dict.fromkeys(tags)]
        if len(lists) == 1:
            return Selection(lists)
        return Selection([sorted({p for positions in lists for p in positions})])

    def scheduled(self, sandbox: bool) -> list[Email]:
        """The emails that were given a schedule (live or sandbox ones), oldest first."""
        with self._lock:
            return [self._emails[p] for p in self._scheduled.get(sandbox)]

    def by_request(self, request_id: str) -> list[Email]:
        return [self._emails[p] for p in self._by_request.get(request_id, [])]

    def at(self, position: int) -> Email:
        return self._emails[position]

    def delete(self, email_id: str) -> Email:
        """Remove one email (:class:`NotFound` if unknown); the emails after it are re-indexed."""
        with self._lock:
            email = self.get(email_id)
            if self.event_index is not None:
                self.event_index.forget(email)
            at = self._position[email_id]
            for position in range(len(self._emails) - 1, at - 1, -1):
                self._unindex(self._emails[position], position)
            del self._emails[at]
            for position in range(at, len(self._emails)):
                self._index(self._emails[position], position)
            return email

    def clear(self) -> int:
        """Remove every email; returns how many there were."""
        with self._lock:
            count = len(self._emails)
            self._emails.clear()
            self._reindex()
            if self.event_index is not None:
                self.event_index.clear()
            return count


def delete_email(account: Account, actor: Actor, email_id: str) -> Email:
    """Delete one stored email, audited as ``email.deleted``; its events stay in the account's history."""
    email = account.outbox.delete(email_id)
    account.record("email.deleted", actor, "email", email.id, {"request_id": email.request_id})
    return email


def clear_outbox(account: Account, actor: Actor) -> int:
    """Delete every stored email, audited as ``outbox.cleared`` with the count; returns it."""
    count = account.outbox.clear()
    account.record("outbox.cleared", actor, "outbox", None, {"deleted": count})
    return count
