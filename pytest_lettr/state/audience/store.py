"""The audience of an account: lists, topics, properties and segments, and the contacts' records.

One per account, made with it (``account.audience``); contact operations live in
:mod:`.contacts`. Readable in assertions::

    audience = lettr_server.audience
    audience.contact("ada@example.com").status          # 'subscribed'
    [l.name for l in audience.lists], audience.topic("Weekly digest").default_subscription
    audience.contact_property("plan").fallback_value, audience.members(audience.segment("Pro"))

Names of lists, topics and segments are unique in the team (422 otherwise), a property name is
unique too (409 ``resource_already_exists``, as the spec documents). A property's name and type
and a topic's ``default_subscription`` never change. Every write is audited.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from ...errors import Conflict, NotFound, ValidationFailed
from ..audit import Actor
from ..emails import address_of
from .index import ContactIndex, ContactsAt
from .models import (
    PROPERTY_NAME_PATTERN,
    AudienceList,
    Condition,
    Contact,
    ContactProperty,
    Segment,
    Topic,
    new_uuid,
)
from .segments import MatchContext, condition_problem, matches

if TYPE_CHECKING:
    from ..account import Account, Event

_T = TypeVar("_T")
_N = TypeVar("_N", AudienceList, Topic, ContactProperty, Segment)
#: What mail does to a contact: the event, and the status it leaves.
MAIL_STATUS = {"email.complained": "complained", "email.unsubscribed": "unsubscribed"}


def invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed({field: [message]})


def _fetch(items: dict[str, _T], item_id: str, thing: str) -> _T:
    found = items.get(item_id)
    if found is None:
        raise NotFound(f"{thing} not found.", param="id")
    return found


def _holds(contact: Contact, needle: str) -> bool:
    return not needle or needle in contact.email or any(needle in v.lower() for v in contact.properties.values())


def _within(contact: Contact, status: str | None, in_list: AudienceList | None) -> bool:
    """Whether the contact has ``status`` and is in ``in_list`` (each only when given)."""
    return (status is None or contact.status == status) and (in_list is None or in_list.id in contact.list_ids)


class Audience:
    """Contacts, lists, topics, properties and segments of one account, oldest first."""

    def __init__(self, account: Account) -> None:
        self.account = account
        self._lists: dict[str, AudienceList] = {}
        self._topics: dict[str, Topic] = {}
        self._properties: dict[str, ContactProperty] = {}
        self._segments: dict[str, Segment] = {}
        self._contacts: dict[str, Contact] = {}
        self._by_email: dict[str, str] = {}
        #: Contacts by status, list and topic, for counts and filtered pages.
        self._index = ContactIndex()
        #: Double opt-in confirmations (:mod:`.optin`) by the digest of their token.
        self.confirmations: dict[str, Any] = {}
        #: Contacts the free plan holds at most (every status counts).
        self.free_plan_cap = 500
        account.event_listeners.append(self._mail_event)

    # -- reading --------------------------------------------------------------------------------
    @property
    def contacts(self) -> list[Contact]:
        return list(self._contacts.values())

    @property
    def lists(self) -> list[AudienceList]:
        return list(self._lists.values())

    @property
    def topics(self) -> list[Topic]:
        return list(self._topics.values())

    @property
    def properties(self) -> list[ContactProperty]:
        return list(self._properties.values())

    @property
    def segments(self) -> list[Segment]:
        return list(self._segments.values())

    def contact(self, email_or_id: str) -> Contact:
        """The contact with this address (any case) or id; ``KeyError`` when there is none."""
        contact_id = self._by_email.get(email_or_id.strip().lower(), email_or_id)
        if contact_id not in self._contacts:
            raise KeyError(email_or_id)
        return self._contacts[contact_id]

    def find_contact(self, email: str) -> Contact | None:
        contact_id = self._by_email.get(email.strip().lower())
        return None if contact_id is None else self._contacts.get(contact_id)

    def find_by_id(self, contact_id: str) -> Contact | None:
        return self._contacts.get(contact_id)

    def find_list(self, list_id: str) -> AudienceList | None:
        return self._lists.get(list_id)

    def find_topic(self, topic_id: str) -> Topic | None:
        return self._topics.get(topic_id)

    def find_segment(self, segment_id: str) -> Segment | None:
        return self._segments.get(segment_id)

    def audience_list(self, name_or_id: str) -> AudienceList:
        return self._named(self._lists, name_or_id)

    def topic(self, name_or_id: str) -> Topic:
        return self._named(self._topics, name_or_id)

    def contact_property(self, name_or_id: str) -> ContactProperty:
        return self._named(self._properties, name_or_id)

    def segment(self, name_or_id: str) -> Segment:
        return self._named(self._segments, name_or_id)

    @staticmethod
    def _named(items: dict[str, _N], name_or_id: str) -> _N:
        if name_or_id in items:
            return items[name_or_id]
        for item in items.values():
            if item.name == name_or_id:
                return item
        raise KeyError(name_or_id)

    # -- lookups for operations (404 for a path id, 422 for a field) ----------------------------
    def get_contact(self, contact_id: str) -> Contact:
        return _fetch(self._contacts, contact_id, "Contact")

    def get_list(self, list_id: str) -> AudienceList:
        return _fetch(self._lists, list_id, "List")

    def get_topic(self, topic_id: str) -> Topic:
        return _fetch(self._topics, topic_id, "Topic")

    def get_property(self, property_id: str) -> ContactProperty:
        return _fetch(self._properties, property_id, "Property")

    def get_segment(self, segment_id: str) -> Segment:
        return _fetch(self._segments, segment_id, "Segment")

    def list_field(self, list_id: str | None, field: str = "list_id") -> AudienceList | None:
        """The list a body field or filter names (``None`` stays ``None``); unknown: 422."""
        if list_id is None:
            return None
        if list_id not in self._lists:
            raise invalid(field, f"The selected {field.replace('_', ' ')} is invalid.")
        return self._lists[list_id]

    def segment_field(self, segment_id: str | None) -> Segment | None:
        if segment_id is None:
            return None
        if segment_id not in self._segments:
            raise invalid("segment_id", "The selected segment id is invalid.")
        return self._segments[segment_id]

    def known_ids(self, kind: str, ids: Iterable[str], field: str) -> list[str]:
        """``ids`` de-duplicated, each an existing ``kind`` (``contacts``, ``lists``, ``topics``); else 422."""
        stores: dict[str, dict[str, Any]] = {"contacts": self._contacts, "lists": self._lists,
                                             "topics": self._topics}
        store = stores[kind]
        wanted = list(dict.fromkeys(ids))
        unknown = {f"{field}.{i}": [f"The selected {field}.{i} is invalid."]
                   for i, item in enumerate(wanted) if item not in store}
        if unknown:
            raise ValidationFailed(unknown)
        return wanted

    # -- lists ------------------------------------------------------------------------------------
    def _unique(self, items: dict[str, Any], name: str, thing: str, keep: Any = None) -> None:
        if any(item.name == name and item is not keep for item in items.values()):
            raise invalid("name", f"A {thing} with this name already exists.")

    def create_list(self, name: str, actor: Actor) -> AudienceList:
        with self.account.lock:
            self._unique(self._lists, name, "list")
            item = AudienceList(new_uuid(self.account.entropy, "list"), name, self.account.clock.now())
            self._lists[item.id] = item
        self._audit(actor, "list.created", "list", item.id, name=name)
        return item

    def rename_list(self, item: AudienceList, name: str | None, actor: Actor) -> AudienceList:
        if name is not None:
            with self.account.lock:
                self._unique(self._lists, name, "list", keep=item)
                item.name = name
            self._audit(actor, "list.updated", "list", item.id, name=name)
        return item

    def delete_lists(self, ids: list[str], actor: Actor) -> int:
        """Delete lists (their memberships go, their contacts stay); returns how many."""
        with self.account.lock:
            for list_id in ids:
                self._lists.pop(list_id, None)
                for contact in self._contacts.values():
                    if list_id in contact.list_ids:
                        contact.list_ids.remove(list_id)
                        self._index.refresh(contact)
                for segment in self._segments.values():
                    if segment.list_id == list_id:
                        segment.list_id = None
        for list_id in ids:
            self._audit(actor, "list.deleted", "list", list_id)
        return len(ids)

    def list_size(self, item: AudienceList) -> int:
        return self._index.count("list", item.id)

    # -- topics -----------------------------------------------------------------------------------
    def create_topic(self, name: str, actor: Actor, *, description: str | None = None,
                     default_subscription: str = "opt_in", visibility: str = "private") -> Topic:
        with self.account.lock:
            self._unique(self._topics, name, "topic")
            topic = Topic(new_uuid(self.account.entropy, "topic"), name, description, default_subscription,
                          visibility, self.account.clock.now())
            self._topics[topic.id] = topic
        self._audit(actor, "topic.created", "topic", topic.id, name=name)
        return topic

    def update_topic(self, topic: Topic, actor: Actor, changes: dict[str, Any]) -> Topic:
        """Change ``name``, ``description`` and/or ``visibility`` (``default_subscription`` is fixed)."""
        with self.account.lock:
            if "name" in changes:
                self._unique(self._topics, changes["name"], "topic", keep=topic)
            for name in ("name", "description", "visibility"):
                if name in changes:
                    setattr(topic, name, changes[name])
        self._audit(actor, "topic.updated", "topic", topic.id, fields=sorted(changes))
        return topic

    def delete_topic(self, topic: Topic, actor: Actor) -> None:
        with self.account.lock:
            self._topics.pop(topic.id, None)
            for contact in self._contacts.values():
                if topic.id in contact.topic_ids:
                    contact.topic_ids.remove(topic.id)
                    self._index.refresh(contact)
        self._audit(actor, "topic.deleted", "topic", topic.id)

    def topic_size(self, topic: Topic) -> int:
        return self._index.count("topic", topic.id)

    def auto_topics(self) -> list[str]:
        """The topics a new contact joins: ``opt_out`` ones (subscribed unless they opt out)."""
        return [t.id for t in self._topics.values() if t.default_subscription == "opt_out"]

    # -- properties -------------------------------------------------------------------------------
    def create_property(self, name: str, kind: str, actor: Actor,
                        fallback_value: str | None = None) -> ContactProperty:
        if not re.fullmatch(PROPERTY_NAME_PATTERN, name):
            raise invalid("name", "The name must start with a lowercase letter and hold only lowercase "
                                  "letters, digits and underscores.")
        with self.account.lock:
            if any(p.name == name for p in self._properties.values()):
                raise Conflict("A property with this name already exists.", param="name")
            item = ContactProperty(new_uuid(self.account.entropy, "property"), name, kind, fallback_value,
                            self.account.clock.now())
            self._properties[item.id] = item
        self._audit(actor, "property.created", "property", item.id, name=name, type=kind)
        return item

    def set_fallback(self, item: ContactProperty, fallback_value: str | None, actor: Actor) -> ContactProperty:
        item.fallback_value = fallback_value
        self._audit(actor, "property.updated", "property", item.id, name=item.name)
        return item

    def delete_property(self, item: ContactProperty, actor: Actor) -> None:
        """Delete the definition and every contact's value of it."""
        with self.account.lock:
            self._properties.pop(item.id, None)
            for contact in self._contacts.values():
                contact.properties.pop(item.name, None)
        self._audit(actor, "property.deleted", "property", item.id, name=item.name)

    def property_types(self) -> dict[str, str]:
        return {p.name: p.type for p in self._properties.values()}

    # -- segments ---------------------------------------------------------------------------------
    def check_conditions(self, groups: list[list[Condition]]) -> None:
        """422 naming each condition that cannot be evaluated (``conditions.groups.0.conditions.1``)."""
        types = self.property_types()
        problems = {}
        for g, group in enumerate(groups):
            for c, condition in enumerate(group):
                problem = condition_problem(condition, types)
                if problem is not None:
                    problems[f"conditions.groups.{g}.conditions.{c}"] = [problem]
        if problems:
            raise ValidationFailed(problems)

    def create_segment(self, name: str, groups: list[list[Condition]], actor: Actor,
                       list_id: str | None = None) -> Segment:
        self.list_field(list_id)
        self.check_conditions(groups)
        with self.account.lock:
            self._unique(self._segments, name, "segment")
            segment = Segment(new_uuid(self.account.entropy, "segment"), name, list_id, groups,
                              self.account.clock.now())
            self._segments[segment.id] = segment
        self._audit(actor, "segment.created", "segment", segment.id, name=name)
        return segment

    def update_segment(self, segment: Segment, actor: Actor, changes: dict[str, Any]) -> Segment:
        if "list_id" in changes:
            self.list_field(changes["list_id"])
        if "groups" in changes:
            self.check_conditions(changes["groups"])
        with self.account.lock:
            if "name" in changes:
                self._unique(self._segments, changes["name"], "segment", keep=segment)
            for name, value in changes.items():
                setattr(segment, name, value)
        self._audit(actor, "segment.updated", "segment", segment.id, fields=sorted(changes))
        return segment

    def delete_segment(self, segment: Segment, actor: Actor) -> None:
        with self.account.lock:
            self._segments.pop(segment.id, None)
        self._audit(actor, "segment.deleted", "segment", segment.id)

    def members(self, segment: Segment) -> list[Contact]:
        """The contacts the segment matches now (evaluated live), oldest first."""
        context = MatchContext({i: item.name for i, item in self._lists.items()},
                               {i: t.name for i, t in self._topics.items()}, self.property_types())
        return [c for c in self._contacts.values()
                if (segment.list_id is None or segment.list_id in c.list_ids) and matches(segment.groups, c, context)]

    def search(self, text: str | None = None, *, status: str | None = None, in_list: AudienceList | None = None,
               segment: Segment | None = None) -> Sequence[Contact]:
        """Contacts whose address or a property value holds ``text`` (any case), with ``status``, in
        ``in_list`` and matched by ``segment`` (each filter only when given), oldest first.

        Without ``text`` or ``segment`` this is read from the contact index (a page costs its size);
        a text search or a segment's rules test every contact they could match."""
        needle = (text or "").strip().lower()
        if not needle and segment is None:
            return self._indexed(status, in_list)
        found = self.members(segment) if segment is not None else self.contacts
        return [c for c in found if _holds(c, needle) and _within(c, status, in_list)]

    def _indexed(self, status: str | None, in_list: AudienceList | None) -> Sequence[Contact]:
        if status is None and in_list is None:
            return self._index.everyone()
        chosen: list[ContactsAt] = []
        if status is not None:
            chosen.append(self._index.having("status", status))
        if in_list is not None:
            chosen.append(self._index.having("list", in_list.id))
        if len(chosen) == 1:
            return chosen[0]
        narrow = min(chosen, key=len)  # both: the smaller one, tested against the other
        return [c for c in narrow if _within(c, status, in_list)]

    def reindex(self, contact: Contact) -> None:
        """A stored contact's lists or topics changed (the contact operations call this)."""
        self._index.refresh(contact)

    # -- contacts' records (operations in .contacts) ----------------------------------------------
    def store_contact(self, contact: Contact) -> None:
        self._contacts[contact.id] = contact
        self._by_email[contact.email] = contact.id
        self._index.add(contact)

    def forget_contact(self, contact: Contact) -> None:
        self._contacts.pop(contact.id, None)
        self._by_email.pop(contact.email, None)
        self._index.remove(contact)

    def readdress(self, contact: Contact, email: str) -> None:
        self._by_email.pop(contact.email, None)
        contact.email = email
        self._by_email[email] = contact.id

    def _mail_event(self, event: Event) -> None:
        """Mail changes a contact's status: a hard bounce, a complaint, an unsubscribe."""
        status = MAIL_STATUS.get(event.type)
        if event.type == "email.bounced" and event.data.get("bounce_type", "hard") == "hard":
            status = "bounced"
        recipient = event.data.get("to")
        if status is None or not isinstance(recipient, str):
            return
        with self.account.lock:
            contact = self.find_contact(address_of(recipient))
            if contact is not None and contact.status != status:
                contact.status = status
                self._audit(None, "contact.status_changed", "contact", contact.id, status=status, cause=event.type)

    def _audit(self, actor: Actor | None, action: str, kind: str, resource_id: str, **details: Any) -> None:
        self.account.record(action, actor or Actor.system(), kind, resource_id, details)
