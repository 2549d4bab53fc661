"""``/api/audience/contacts``: create (with double opt-in), bulk create, list, show, update, delete,
and list / topic memberships, one at a time and in bulk.

A duplicate address on create is 409 ``resource_already_exists`` (the SDK's
``ContactAlreadyExistsError``). Pair routes answer 404 ``Contact or list not found.`` (or topic)
when either side is missing; attaching answers 201, or 200 when the pair already existed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ...errors import NotFound
from ...state.audience import AudienceList, Contact, Topic, contacts, optin
from ...state.audience.contacts import Row
from ...state.audience.models import CONTACT_STATUSES, DEFAULT_SUBSCRIPTIONS, SETTABLE_STATUSES
from ...state.audience.optin import OptInConfig
from ..base import Call, Reply
from ..common import is_email
from .audience import deleted, read_route, string_ids, write_route
from .audience_views import contact_view, listing, reference
from .validation import Fields, Query, nullable_fields
from .wire import ok

MAX_BULK_CONTACTS = 1000
MAX_BULK_TARGETS = 50


def _fields(call: Call, schema: str | None = None) -> Fields:
    return Fields(call.json(), nullable_fields(schema) if schema else frozenset())


def _contact(call: Call) -> Contact:
    return call.account.audience.get_contact(call.args["contact_id"])


def _view(call: Call, contact: Contact) -> dict[str, Any]:
    return contact_view(call.account.audience, contact)


def list_contacts(call: Call) -> Reply:
    audience = call.account.audience
    query = Query(call.query)
    search = call.query.get("search") or None
    if search is not None and len(search) > 255:
        query.fields.add("search", "The search parameter must not be greater than 255 characters.")
    status = query.choice("status", CONTACT_STATUSES)
    scope = reference(query, audience.list_field, "list_id")
    segment = reference(query, audience.segment_field, "segment_id")
    found = audience.search(search, status=status, in_list=scope, segment=segment)
    return ok("Contacts retrieved successfully.", listing(call, "contacts", found, contact_view, query))


def _optin(fields: Fields) -> OptInConfig | None:
    block = fields.mapping("double_opt_in")
    if block is None:
        return None
    inner = Fields(block, frozenset({"from_name"}))
    sender = inner.email("from", required=True)
    subject = inner.string("subject", required=True, max_length=998)
    slug = inner.string("template_slug", required=True, max_length=255)
    redirect = inner.url("redirect_url", required=True, max_length=2048)
    from_name = inner.string("from_name", max_length=255)
    for name, messages in inner.errors.items():
        for message in messages:
            fields.add(f"double_opt_in.{name}", message)
    if inner.errors:
        return None
    assert sender and subject and slug and redirect
    return OptInConfig(sender, subject, slug, redirect, from_name)


def create_contact(call: Call) -> Reply:
    fields = _fields(call, "StoreAudienceContactRequest")
    email = fields.email("email", required=True)
    list_id = fields.string("list_id", max_length=255)
    properties = fields.mapping("properties")
    config = _optin(fields)
    fields.check()
    assert email is not None
    audience = call.account.audience
    if config is not None:
        assert call.key is not None
        contact = optin.create(call.account, call.key, call.actor, email, config, list_id=list_id,
                               properties=properties)
    else:
        contact = contacts.create(audience, email, call.actor, list_id=list_id, properties=properties)
    return ok("Contact created successfully.", _view(call, contact), 201)


def show_contact(call: Call) -> Reply:
    return ok("Contact retrieved successfully.", _view(call, _contact(call)))


def update_contact(call: Call) -> Reply:
    contact = _contact(call)
    fields = _fields(call)
    email = fields.email("email")
    status = fields.choice("status", SETTABLE_STATUSES)
    properties = fields.mapping("properties")
    fields.check()
    contacts.update(call.account.audience, contact, call.actor, email=email, status=status, properties=properties)
    return ok("Contact updated successfully.", _view(call, contact))


def delete_contact(call: Call) -> Reply:
    contacts.delete(call.account.audience, _contact(call), call.actor)
    return deleted()


# -- memberships ------------------------------------------------------------------------------------
def _pair(call: Call, kind: str) -> tuple[Contact, AudienceList | Topic]:
    audience = call.account.audience
    contact = audience.find_by_id(call.args["contact_id"])
    other: AudienceList | Topic | None = audience.find_list(call.args["list_id"]) if kind == "list" \
        else audience.find_topic(call.args["topic_id"])
    if contact is None or other is None:
        raise NotFound(f"Contact or {kind} not found.")
    return contact, other


def _pair_handler(kind: str, *, join: bool, added: str, already: str) -> Callable[[Call], Reply]:
    """``POST`` (201 when it joins, 200 when it already had) or ``DELETE`` (204) on a pair route."""
    def handle(call: Call) -> Reply:
        contact, target = _pair(call, kind)
        changed = contacts.change_membership(call.account.audience, contact, target, call.actor, join=join)
        if not join:
            return deleted()
        return Reply(201, {"message": added}) if changed else Reply(200, {"message": already})
    return handle


attach_list = _pair_handler("list", join=True, added="Contact added to list.",
                            already="Contact is already in this list.")
detach_list = _pair_handler("list", join=False, added="", already="")
subscribe_topic = _pair_handler("topic", join=True, added="Contact subscribed to topic.",
                                already="Contact is already subscribed to this topic.")
unsubscribe_topic = _pair_handler("topic", join=False, added="", already="")


def _bulk_handler(*, topics: bool, join: bool, names: tuple[str, str | None],
                  message: str) -> Callable[[Call], Reply]:
    """Every (contact, list or topic) pair joined or left; ``names``: the changed and unchanged counts."""
    changed_name, unchanged_name = names

    def handle(call: Call) -> Reply:
        fields = _fields(call)
        other_field = "topic_ids" if topics else "list_ids"
        contact_ids = string_ids(fields, "contact_ids", max_items=MAX_BULK_CONTACTS)
        other_ids = string_ids(fields, other_field, max_items=MAX_BULK_TARGETS)
        fields.check()
        audience = call.account.audience
        found, ids = contacts.pairs(audience, contact_ids, other_ids, "topics" if topics else "lists", other_field)
        changed = contacts.bulk_join(audience, found, ids, topics=topics, join=join, actor=call.actor)
        data = {changed_name: changed, "total_pairs": len(found) * len(ids)}
        if unchanged_name is not None:
            data[unchanged_name] = data["total_pairs"] - changed
        return ok(message, data)
    return handle


bulk_attach_lists = _bulk_handler(topics=False, join=True, names=("attached", "already_attached"),
                                  message="Contacts attached to lists.")
bulk_detach_lists = _bulk_handler(topics=False, join=False, names=("detached", "not_present"),
                                  message="Contacts detached from lists.")
bulk_subscribe_topics = _bulk_handler(topics=True, join=True, names=("subscribed", "already_subscribed"),
                                      message="Contacts subscribed to topics.")
bulk_unsubscribe_topics = _bulk_handler(topics=True, join=False, names=("unsubscribed", None),
                                        message="Contacts unsubscribed from topics.")


# -- bulk create ------------------------------------------------------------------------------------
def _topic_choices(path: str, raw: Any) -> tuple[dict[str, str], str | None]:
    """``[{id, subscription}]`` as ``{id: subscription}``, and a problem with it, if any."""
    if raw is None:
        return {}, None
    if not isinstance(raw, list) or len(raw) > MAX_BULK_TARGETS:
        return {}, f"The {path} field must be an array of at most {MAX_BULK_TARGETS} topics."
    choices: dict[str, str] = {}
    for item in raw:
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            return {}, f"Each {path} entry needs an id."
        subscription = item.get("subscription", "opt_in")
        if subscription not in DEFAULT_SUBSCRIPTIONS:
            return {}, f"The {path} subscription must be opt_in or opt_out."
        choices[item["id"]] = subscription
    return choices, None


def _email_problem(email: Any) -> tuple[str, str] | None:
    if not isinstance(email, str) or not email.strip():
        return "missing_email", "The email field is required."
    if len(email) > 255 or not is_email(email.strip()):
        return "invalid_email", "The email field must be a valid email address."
    return None


def _row_values(raw: dict[str, Any]) -> tuple[dict[str, Any], list[str], dict[str, str], tuple[str, str] | None]:
    """A row's own properties, list ids and topic choices, and what is wrong with their shape."""
    properties, lists = raw.get("properties") or {}, raw.get("list_ids") or []
    if not isinstance(properties, dict) or any(not isinstance(v, str) for v in properties.values()):
        return {}, [], {}, ("invalid_property_value", "The properties must be an object of strings.")
    if not isinstance(lists, list) or not all(isinstance(i, str) for i in lists):
        return {}, [], {}, ("unknown_list", "The list_ids must be an array of list ids.")
    topics, problem = _topic_choices("topics", raw.get("topics"))
    return properties, lists, topics, None if problem is None else ("invalid_topic_subscription", problem)


def _row(raw: Any, batch: Row) -> Row:
    """One ``contacts[]`` entry (or an ``emails[]`` address) on top of the batch-wide values."""
    if isinstance(raw, str):
        raw = {"email": raw}
    if not isinstance(raw, dict):
        return Row("", problem=("missing_email", "The row must be an object with an email."))
    email = raw.get("email")
    properties, lists, topics, problem = _row_values(raw)
    row = Row(email if isinstance(email, str) else "", {**batch.properties, **properties},
              list(dict.fromkeys([*batch.list_ids, *lists])), {**batch.topics, **topics})
    row.problem = _email_problem(email) or problem
    return row


def bulk_create(call: Call) -> Reply:
    fields = _fields(call, "BulkStoreAudienceContactsRequest")
    has_emails, has_rows = "emails" in fields.body, "contacts" in fields.body
    if has_emails == has_rows:
        fields.add("emails", "Give either emails or contacts (one of them, not both).")
    raw_rows = fields.array("contacts" if has_rows else "emails", required=True, max_items=MAX_BULK_CONTACTS)
    list_ids = string_ids(fields, "list_ids", max_items=MAX_BULK_TARGETS) if "list_ids" in fields.body else []
    single = fields.string("list_id", max_length=255)
    if single:
        list_ids.insert(0, single)
    properties = fields.string_map("properties") or {}
    topics, problem = _topic_choices("topics", fields.body.get("topics"))
    if problem is not None:
        fields.add("topics", problem)
    update_existing = bool(fields.boolean("update_existing"))
    fields.check()
    audience = call.account.audience
    audience.known_ids("topics", topics, "topics")
    batch = Row("", properties, audience.known_ids("lists", list_ids, "list_ids"), topics)
    result = contacts.bulk_create(audience, [_row(raw, batch) for raw in raw_rows], call.actor,
                                  update_existing=update_existing)
    return ok("Contacts imported.", {
        "created": result.created, "already_existed": result.already_existed, "updated": result.updated,
        "error_count": len(result.errors),
        "errors": [{"index": e.index, "email": e.email, "error_code": e.error_code, "error": e.error}
                   for e in result.errors],
        "contacts": [{"id": c.id, "email": c.email, "created": created} for c, created in result.contacts],
    }, 201)


ROUTES = [
    read_route("/audience/contacts", list_contacts),
    write_route("POST", "/audience/contacts", create_contact, "create"),
    write_route("POST", "/audience/contacts/bulk", bulk_create, "create"),
    write_route("POST", "/audience/contacts/lists/bulk", bulk_attach_lists, "update"),
    write_route("DELETE", "/audience/contacts/lists/bulk", bulk_detach_lists, "update"),
    write_route("POST", "/audience/contacts/topics/bulk", bulk_subscribe_topics, "update"),
    write_route("DELETE", "/audience/contacts/topics/bulk", bulk_unsubscribe_topics, "update"),
    read_route("/audience/contacts/<contact_id>", show_contact),
    write_route("PATCH", "/audience/contacts/<contact_id>", update_contact, "update"),
    write_route("DELETE", "/audience/contacts/<contact_id>", delete_contact, "delete"),
    write_route("POST", "/audience/contacts/<contact_id>/lists/<list_id>", attach_list, "update"),
    write_route("DELETE", "/audience/contacts/<contact_id>/lists/<list_id>", detach_list, "update"),
    write_route("POST", "/audience/contacts/<contact_id>/topics/<topic_id>", subscribe_topic, "update"),
    write_route("DELETE", "/audience/contacts/<contact_id>/topics/<topic_id>", unsubscribe_topic, "update"),
]
