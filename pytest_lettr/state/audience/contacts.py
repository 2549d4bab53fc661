"""Contact operations: create (one or in bulk), update, delete, list and topic memberships.

Every intake calls these (the ``/api`` dialect today)::

    contact = contacts.create(account.audience, "ada@example.com", actor, list_id=vip.id,
                              properties={"first_name": "Ada"})
    contacts.attach(account.audience, contact, vip, actor)      # False: it was already there

Addresses are stored trimmed and lower-cased and are unique in the team (409 on create). Property
keys must be properties of the team, their values strings of the property's type. A new contact
joins the team's ``opt_out`` topics. The free plan holds at most 500 contacts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ...errors import Conflict, LettrError, ValidationFailed
from .models import AudienceList, Contact, Topic, new_uuid
from .segments import property_value_problem
from .store import Audience, invalid

if TYPE_CHECKING:
    from ..audit import Actor


def normalise_email(email: str) -> str:
    return email.strip().lower()


def check_properties(audience: Audience, values: Mapping[str, Any], field_name: str = "properties",
                     *, allow_null: bool = False) -> None:
    """422 for a key that is no property of the team, or a value not of the property's type."""
    types = audience.property_types()
    problems: dict[str, list[str]] = {}
    for key, value in values.items():
        path = f"{field_name}.{key[:64]}"
        if key not in types:
            problems[path] = [f"The property '{key[:64]}' is not defined for this team."]
        elif value is None and allow_null:
            continue
        elif not isinstance(value, str):
            problems[path] = [f"The {path} field must be a string."]
        else:
            problem = property_value_problem(types[key], value)
            if problem is not None:
                problems[path] = [f"The {path} field {problem}."]
    if problems:
        raise ValidationFailed(problems)


def _check_cap(audience: Audience, adding: int) -> None:
    account = audience.account
    if account.settings.plan == "free" and len(audience.contacts) + adding > audience.free_plan_cap:
        raise invalid("email", f"The free plan holds at most {audience.free_plan_cap} contacts; "
                               "remove contacts or upgrade the plan.")


def prepare(audience: Audience, email: str, *, list_id: str | None = None,
            properties: Mapping[str, str] | None = None, status: str = "subscribed") -> Contact:
    """A new contact, checked but not stored (409 for a taken address, 422 for the rest)."""
    address = normalise_email(email)
    target = audience.list_field(list_id)
    check_properties(audience, properties or {})
    if audience.find_contact(address) is not None:
        raise Conflict("A contact with this email already exists.", param="email")
    _check_cap(audience, 1)
    account = audience.account
    return Contact(new_uuid(account.entropy, "contact"), address, status, account.clock.now(),
                   dict(properties or {}), [target.id] if target else [], audience.auto_topics())


def add(audience: Audience, contact: Contact, actor: Actor) -> Contact:
    """Store a prepared contact and audit it (``contact.created``)."""
    with audience.account.lock:
        if audience.find_contact(contact.email) is not None:
            raise Conflict("A contact with this email already exists.", param="email")
        audience.store_contact(contact)
    audience.account.record("contact.created", actor, "contact", contact.id,
                            {"status": contact.status, "lists": len(contact.list_ids)})
    return contact


def create(audience: Audience, email: str, actor: Actor, *, list_id: str | None = None,
           properties: Mapping[str, str] | None = None) -> Contact:
    return add(audience, prepare(audience, email, list_id=list_id, properties=properties), actor)


def update(audience: Audience, contact: Contact, actor: Actor, *, email: str | None = None,
           status: str | None = None, properties: Mapping[str, str | None] | None = None) -> Contact:
    """Change the address (still unique: 422), the status, and merge properties (``None`` removes)."""
    check_properties(audience, properties or {}, allow_null=True)
    with audience.account.lock:
        if email is not None:
            _readdress(audience, contact, email)
        contact.status = status or contact.status
        _merge(contact.properties, properties or {})
    changed = {"email": email, "status": status, "properties": properties}
    audience.account.record("contact.updated", actor, "contact", contact.id,
                            {"fields": sorted(k for k, v in changed.items() if v is not None)})
    return contact


def _readdress(audience: Audience, contact: Contact, email: str) -> None:
    address = normalise_email(email)
    if address == contact.email:
        return
    if audience.find_contact(address) is not None:
        raise invalid("email", "The email has already been taken.")
    audience.readdress(contact, address)


def _merge(properties: dict[str, str], changes: Mapping[str, str | None]) -> None:
    """Set each given value; ``None`` removes the key."""
    for key, value in changes.items():
        if value is None:
            properties.pop(key, None)
        else:
            properties[key] = value


def delete(audience: Audience, contact: Contact, actor: Actor) -> None:
    with audience.account.lock:
        audience.forget_contact(contact)
    audience.account.record("contact.deleted", actor, "contact", contact.id, {})


def _join(members: list[str], item_id: str) -> bool:
    if item_id in members:
        return False
    members.append(item_id)
    return True


def _leave(members: list[str], item_id: str) -> bool:
    if item_id not in members:
        return False
    members.remove(item_id)
    return True


#: The audit action of each membership change, by (topics?, join?).
_MEMBERSHIP_ACTIONS = {(False, True): "contact.list_added", (False, False): "contact.list_removed",
                       (True, True): "contact.topic_subscribed", (True, False): "contact.topic_unsubscribed"}


def change_membership(audience: Audience, contact: Contact, target: AudienceList | Topic, actor: Actor, *,
                      join: bool) -> bool:
    """Put the contact in a list or topic (``join``) or take it out; ``False`` when nothing changed."""
    topics = isinstance(target, Topic)
    with audience.account.lock:
        members = contact.topic_ids if topics else contact.list_ids
        changed = (_join if join else _leave)(members, target.id)
        audience.reindex(contact)
    if changed:
        audience.account.record(_MEMBERSHIP_ACTIONS[(topics, join)], actor, "contact", contact.id,
                                {"topic_id" if topics else "list_id": target.id})
    return changed


def pairs(audience: Audience, contact_ids: Iterable[str], other_ids: Iterable[str], kind: str,
          other_field: str) -> tuple[list[Contact], list[str]]:
    """The contacts and lists (or topics) of a bulk membership call; any unknown id: 422."""
    contacts = [audience.get_contact(i) for i in audience.known_ids("contacts", contact_ids, "contact_ids")]
    return contacts, audience.known_ids(kind, other_ids, other_field)


def bulk_join(audience: Audience, contacts: list[Contact], ids: list[str], *, topics: bool, join: bool,
              actor: Actor) -> int:
    """Join (or leave) every (contact, list or topic) pair; returns how many pairs changed."""
    changed = 0
    with audience.account.lock:
        for contact in contacts:
            members = contact.topic_ids if topics else contact.list_ids
            for item_id in ids:
                changed += _join(members, item_id) if join else _leave(members, item_id)
            audience.reindex(contact)
    action = ("contacts.topics_" if topics else "contacts.lists_") + ("added" if join else "removed")
    audience.account.record(action, actor, "contact", None,
                            {"contacts": len(contacts), "targets": len(ids), "changed": changed})
    return changed


# -- bulk creation ------------------------------------------------------------------------------------
@dataclass
class Row:
    """One contact of a bulk import: its own properties, lists and topics (``{id: opt_in|opt_out}``).

    ``problem`` is what the intake found wrong with the row's wire form (``("invalid_email", "...")``).
    """

    email: str
    properties: dict[str, str] = field(default_factory=dict)
    list_ids: list[str] = field(default_factory=list)
    topics: dict[str, str] = field(default_factory=dict)
    problem: tuple[str, str] | None = None


@dataclass
class RowError:
    index: int
    email: str | None
    error_code: str
    error: str


@dataclass
class BulkResult:
    created: int = 0
    already_existed: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)
    contacts: list[tuple[Contact, bool]] = field(default_factory=list)


def bulk_create(audience: Audience, rows: list[Row], actor: Actor, *, update_existing: bool = False) -> BulkResult:
    """Import rows (a repeated address counts once); a bad row is reported and skipped, not fatal.

    Existing contacts are counted in ``already_existed`` and join the rows' lists; with
    ``update_existing`` their properties are merged and topic choices applied (``updated``).
    """
    result = BulkResult()
    seen: set[str] = set()
    with audience.account.lock:  # one import at a time: an address is never created twice
        for index, row in enumerate(rows):
            _import(audience, index, row, seen, update_existing, result)
    audience.account.record("contacts.imported", actor, "contact", None,
                            {"created": result.created, "already_existed": result.already_existed,
                             "updated": result.updated, "errors": len(result.errors)})
    return result


def _import(audience: Audience, index: int, row: Row, seen: set[str], update_existing: bool,
            result: BulkResult) -> None:
    problem = row.problem or _row_problem(audience, row)
    if problem is not None:
        result.errors.append(RowError(index, row.email or None, *problem))
        return
    address = normalise_email(row.email)
    if address in seen:
        return
    seen.add(address)
    try:
        _import_row(audience, row, address, update_existing, result)
    except LettrError as error:  # the plan's cap
        result.errors.append(RowError(index, row.email, error.code, _first_message(error)))


def _row_problem(audience: Audience, row: Row) -> tuple[str, str] | None:
    """The first of: an unknown property, a value of the wrong type, an unknown list or topic."""
    return _property_problem(audience, row) or _reference_problem(audience, row)


def _property_problem(audience: Audience, row: Row) -> tuple[str, str] | None:
    types = audience.property_types()
    for key, value in row.properties.items():
        if key not in types:
            return "unknown_property_key", f"The property '{key[:64]}' is not defined for this team."
        problem = property_value_problem(types[key], value)
        if problem is not None:
            return "invalid_property_value", f"The property '{key}' {problem}."
    return None


def _reference_problem(audience: Audience, row: Row) -> tuple[str, str] | None:
    known_lists = {item.id for item in audience.lists}
    known_topics = {item.id for item in audience.topics}
    unknown_list = next((i for i in row.list_ids if i not in known_lists), None)
    if unknown_list is not None:
        return "unknown_list", f"The list '{unknown_list[:64]}' does not exist."
    unknown_topic = next((i for i in row.topics if i not in known_topics), None)
    if unknown_topic is not None:
        return "unknown_topic", f"The topic '{unknown_topic[:64]}' does not exist."
    return None


def _first_message(error: LettrError) -> str:
    collected = error.extra.get("errors")
    if isinstance(collected, dict) and collected:
        return str(next(iter(collected.values()))[0])
    return error.message


def _import_row(audience: Audience, row: Row, address: str, update_existing: bool, result: BulkResult) -> None:
    existing = audience.find_contact(address)
    if existing is None:
        contact = prepare(audience, address, properties=row.properties)
        _apply_memberships(contact, row)
        with audience.account.lock:
            audience.store_contact(contact)
        result.created += 1
        result.contacts.append((contact, True))
        return
    with audience.account.lock:
        for list_id in row.list_ids:
            _join(existing.list_ids, list_id)
        if update_existing:
            existing.properties.update(row.properties)
            _apply_memberships(existing, Row(address, topics=row.topics))
            result.updated += 1
        audience.reindex(existing)
    result.already_existed += 1
    result.contacts.append((existing, False))


def _apply_memberships(contact: Contact, row: Row) -> None:
    for list_id in row.list_ids:
        _join(contact.list_ids, list_id)
    for topic_id, subscription in row.topics.items():
        (_join if subscription == "opt_in" else _leave)(contact.topic_ids, topic_id)
