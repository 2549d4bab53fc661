"""Contacts by status, list and topic, kept on write, so counts and filtered pages never scan.

Each stored contact gets a sequence number (the order contacts were stored in, which is the order
every contacts list shows); a :class:`~pytest_lettr.state.indexes.PositionIndex` holds the
numbers of the contacts per ``("status", s)``, ``("list", id)`` and ``("topic", id)``. A contact is
re-indexed when its status is set (it tells the index, as an email tells its outbox) and after
every membership change (the operations call :meth:`ContactIndex.refresh`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from typing import overload

from ..indexes import PositionIndex
from .models import Contact

Key = tuple[str, str]


def keys_of(contact: Contact) -> frozenset[Key]:
    return frozenset({("status", contact.status), *(("list", i) for i in contact.list_ids),
                      *(("topic", i) for i in contact.topic_ids)})


class ContactIndex:
    """Sequence numbers of the stored contacts, in all and per status, list and topic."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._next = 0
        self._number: dict[str, int] = {}
        self._by_number: dict[int, Contact] = {}
        self._all: PositionIndex[bool] = PositionIndex()
        self._by_key: PositionIndex[Key] = PositionIndex()
        self._keys: dict[str, frozenset[Key]] = {}

    def add(self, contact: Contact) -> None:
        with self._lock:
            number = self._next
            self._next += 1
            self._number[contact.id] = number
            self._by_number[number] = contact
            self._all.add(True, number)
            self._keys[contact.id] = keys = keys_of(contact)
            for key in keys:
                self._by_key.add(key, number)
            object.__setattr__(contact, "_index", self)

    def remove(self, contact: Contact) -> None:
        with self._lock:
            number = self._number.pop(contact.id, None)
            if number is None:
                return
            del self._by_number[number]
            self._all.remove(True, number)
            for key in self._keys.pop(contact.id, frozenset()):
                self._by_key.remove(key, number)
            object.__setattr__(contact, "_index", None)

    def refresh(self, contact: Contact) -> None:
        """Re-index a stored contact after its status or memberships changed."""
        with self._lock:
            number = self._number.get(contact.id)
            if number is None or self._by_number.get(number) is not contact:
                return
            old, new = self._keys.get(contact.id, frozenset()), keys_of(contact)
            for key in old - new:
                self._by_key.remove(key, number)
            for key in new - old:
                self._by_key.add(key, number)
            self._keys[contact.id] = new

    def count(self, kind: str, value: str) -> int:
        return len(self._by_key.get((kind, value)))

    def everyone(self) -> ContactsAt:
        """Every stored contact, oldest first."""
        return ContactsAt(self._all.get(True), self._by_number)

    def having(self, kind: str, value: str) -> ContactsAt:
        """The contacts with that status (``kind="status"``), in that list or topic, oldest first."""
        return ContactsAt(self._by_key.get((kind, value)), self._by_number)


class ContactsAt(Sequence[Contact]):
    """The contacts at some sequence numbers: a page is a slice, never a copy of all of them."""

    def __init__(self, numbers: Sequence[int], contacts: dict[int, Contact]) -> None:
        self._numbers = numbers
        self._contacts = contacts

    def __len__(self) -> int:
        return len(self._numbers)

    @overload
    def __getitem__(self, index: int) -> Contact: ...
    @overload
    def __getitem__(self, index: slice) -> list[Contact]: ...

    def __getitem__(self, index: int | slice) -> Contact | list[Contact]:
        if isinstance(index, slice):  # a contact deleted while the page is read is left out
            return [c for c in (self._contacts.get(n) for n in self._numbers[index]) if c is not None]
        return self._contacts[self._numbers[index]]

    def __iter__(self) -> Iterator[Contact]:
        return (self._contacts[n] for n in list(self._numbers))
