"""The audience's records: contacts, lists, topics, properties and segments (snake_case, no wire).

Every id is a UUID drawn from the account's seeded entropy (:func:`new_uuid`), one stream per
kind, so an id depends only on the seed and on how many of its kind came before.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from ...randomness import Entropy

CONTACT_STATUSES = ("subscribed", "unsubscribed", "bounced", "complained", "unverified")
#: The statuses ``PATCH /audience/contacts/{id}`` may set; the others follow mail.
SETTABLE_STATUSES = ("subscribed", "unsubscribed")
DEFAULT_SUBSCRIPTIONS = ("opt_in", "opt_out")
VISIBILITIES = ("private", "public")
PROPERTY_TYPES = ("string", "number", "boolean", "date", "json")
#: A property name: a lowercase letter, then lowercase letters, digits and underscores.
PROPERTY_NAME_PATTERN = r"[a-z][a-z0-9_]*"


def new_uuid(entropy: Entropy, kind: str) -> str:
    """A version-4 UUID from the ``uuid:<kind>`` stream of ``entropy``."""
    return str(uuid.UUID(int=entropy.stream("uuid:" + kind).randint(0, 2**128 - 1), version=4))


def token_digest(token: str) -> str:
    """What a link token is stored and looked up by: its SHA-256, so the lookup reveals nothing
    of the token through timing and the store never holds it in the clear."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(eq=False)
class AudienceList:
    id: str
    name: str
    created_at: datetime


@dataclass(eq=False)
class Topic:
    id: str
    name: str
    description: str | None
    default_subscription: str
    visibility: str
    created_at: datetime


@dataclass(eq=False)
class ContactProperty:
    id: str
    name: str
    type: str
    fallback_value: str | None
    created_at: datetime


@dataclass(eq=False)
class Contact:
    """One address of the audience; ``list_ids`` and ``topic_ids`` keep the order they were joined."""

    id: str
    email: str
    status: str
    created_at: datetime
    properties: dict[str, str] = field(default_factory=dict)
    list_ids: list[str] = field(default_factory=list)
    topic_ids: list[str] = field(default_factory=list)
    #: The audience's contact index once stored (told when ``status`` is set); not a field.
    _index: ClassVar[Any] = None

    def __setattr__(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)
        if name == "status" and self._index is not None:
            self._index.refresh(self)

    @property
    def subscribed(self) -> bool:
        return self.status == "subscribed"


@dataclass(frozen=True)
class Condition:
    """``field operator value``: ``email contains @example.com``, ``properties.plan equals pro``."""

    field: str
    operator: str
    value: str | None = None


@dataclass(eq=False)
class Segment:
    """Conditions in a group are ORed, groups are ANDed; ``list_id`` also requires that list."""

    id: str
    name: str
    list_id: str | None
    groups: list[list[Condition]]
    created_at: datetime
