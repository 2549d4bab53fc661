"""One seeded source for every id, key, secret and faker value of an account.

A failing test reproduces: the same seed and the same test give the same ids and keys. Each id
prefix (and each named stream) draws from its own generator, so an id depends only on the seed
and on how many ids of that kind came before it, never on what else was made in between:

>>> a, b = Entropy("42:test_x"), Entropy("42:test_x")
>>> a.new_id("email_") == b.new_id("email_")
True
>>> _ = b.new_id("key_"), b.stream("keys").token(8)
>>> a.new_id("email_") == b.new_id("email_")
True
"""

from __future__ import annotations

import functools
import random
import string
import threading
from typing import Any

ALPHANUMERIC = string.ascii_letters + string.digits
LOWER_ALNUM = string.ascii_lowercase + string.digits


@functools.cache
def _byte_tables(alphabet: str) -> tuple[bytes, bytes]:
    """A byte -> character table for ``alphabet`` and the bytes to drop so that every character is
    equally likely (those past the largest multiple of its length)."""
    size = len(alphabet)
    keep = 256 - 256 % size
    table = bytes(ord(alphabet[value % size]) if value < keep else 0 for value in range(256))
    return table, bytes(range(keep, 256))


class Entropy:
    """A seeded random source (thread-safe) with helpers for Lettr-shaped identifiers."""

    def __init__(self, seed: int | str | None, faker: Any = None) -> None:
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._shared_faker = faker
        self._faker: Any = None
        # A seed of None means "not reproducible": streams then get fresh random seeds too.
        self._stream_root = str(seed) if seed is not None else f"random:{self._random.getrandbits(64)}"
        self._streams: dict[str, Entropy] = {}

    def stream(self, name: str) -> Entropy:
        """The generator of one kind of value (``"keys"``, ``"id:email_"``): seeded by the seed and
        ``name`` only, so its draws do not depend on what other streams drew."""
        with self._lock:
            found = self._streams.get(name)
            if found is None:
                found = self._streams[name] = Entropy(f"{self._stream_root}/{name}", self._shared_faker)
            return found

    def derive(self, name: str) -> Entropy:
        """A generator seeded like :meth:`stream` ``(name)`` but not kept: for a stream per object
        (one email's tracking tokens) that must not grow the account with every email."""
        return Entropy(f"{self._stream_root}/{name}", self._shared_faker)

    def token(self, length: int, alphabet: str = ALPHANUMERIC) -> str:
        """``length`` characters drawn uniformly from ``alphabet`` (ASCII, at most 256 characters)."""
        table, refused = _byte_tables(alphabet)
        found = b""
        with self._lock:
            while len(found) < length:  # ~3% of bytes are refused for 62 characters: rarely twice
                found += self._random.randbytes(length + 8).translate(table, refused)
        return found[:length].decode("ascii")

    def new_id(self, prefix: str) -> str:
        """A resource id: ``prefix`` + 24 alphanumerics (``email_…``, ``key_…``), from its own stream."""
        return prefix + self.stream("id:" + prefix).token(24)

    def randint(self, low: int, high: int) -> int:
        with self._lock:
            return self._random.randint(low, high)

    def choice(self, options: list[Any] | tuple[Any, ...]) -> Any:
        with self._lock:
            return self._random.choice(options)

    def random(self) -> float:
        with self._lock:
            return self._random.random()

    @property
    def faker(self) -> Any:
        """A :class:`faker.Faker` seeded from the same source (made or reseeded on first use).

        A server hands every account the same instance (making one costs milliseconds, reseeding
        microseconds); only the account in use draws from it.
        """
        if self._faker is None:
            fake = self._shared_faker
            if fake is None:
                from faker import Faker

                fake = Faker(use_weighting=False)
            fake.seed_instance(self.randint(0, 2**31 - 1))
            fake.unique.clear()
            self._faker = fake
        return self._faker
