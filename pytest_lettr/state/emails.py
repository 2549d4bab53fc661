"""Sent emails: the outbox every dialect writes to and every assertion reads.

The outbox keeps emails oldest first with an index by id and by recipient, so listing a page or
filtering by ``to`` never scans every stored email.
"""

from __future__ import annotations

import threading
from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..errors import NotFound

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

    @property
    def sender(self) -> str:
        return self.from_

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


def address_of(mailbox: str) -> str:
    """``"Ada <ada@x.io>"`` → ``"ada@x.io"`` (lower-cased, for indexing and matching)."""
    mailbox = mailbox.strip()
    if mailbox.endswith(">") and "<" in mailbox:
        mailbox = mailbox[mailbox.rindex("<") + 1 : -1]
    return mailbox.strip().lower()


class Outbox:
    """Emails of one account, oldest first, indexed by id and by recipient address."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._emails: list[Email] = []
        self._position: dict[str, int] = {}
        self._by_recipient: dict[str, list[int]] = {}
        self._by_request: dict[str, list[int]] = {}

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
                return
            at = bisect_right(self._emails, email.created_at, key=lambda e: e.created_at)
            for position in range(len(self._emails) - 1, at - 1, -1):
                self._unindex(self._emails[position], position)
            self._emails.insert(at, email)
            for position in range(at, len(self._emails)):
                self._index(self._emails[position], position)

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

    def _unindex(self, email: Email, position: int) -> None:
        """Undo :meth:`_index` for the email at ``position`` (called newest first, so it pops ends)."""
        del self._position[email.id]
        lists = [self._by_recipient[r] for r in dict.fromkeys(address_of(a) for a in email.recipients)]
        if email.request_id:
            lists.append(self._by_request[email.request_id])
        for positions in lists:
            del positions[bisect_left(positions, position)]

    def _reindex(self) -> None:
        self._position.clear()
        self._by_recipient.clear()
        self._by_request.clear()
        for position, email in enumerate(self._emails):
            self._index(email, position)

    def remove(self, email_id: str) -> Email:
        """Take one email out (``NotFound`` if absent); the indexes of the emails after it move up."""
        with self._lock:
            position = self._position.get(email_id)
            if position is None:
                raise NotFound(f"Email '{email_id}' not found")
            email = self._emails.pop(position)
            self._reindex()
            return email

    def clear(self) -> list[Email]:
        """Take every email out; returns them, oldest first."""
        with self._lock:
            removed, self._emails = self._emails, []
            self._reindex()
            return removed

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

    def by_request(self, request_id: str) -> list[Email]:
        return [self._emails[p] for p in self._by_request.get(request_id, [])]

    def at(self, position: int) -> Email:
        return self._emails[position]
