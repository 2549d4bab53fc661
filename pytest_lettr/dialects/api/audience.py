"""``/api/audience/lists``, ``/topics``, ``/properties`` and ``/segments``: parse, one operation, render.

Reads need ``audience:read``, writes ``audience:write`` (sandbox keys: 403). Unknown ids are 404
``"<Thing> not found."``; a ``list_id`` field or filter naming no list is 422.
"""

from __future__ import annotations

from typing import Any

from ...state.audience import Condition, Segment
from ...state.audience.models import DEFAULT_SUBSCRIPTIONS, PROPERTY_TYPES, VISIBILITIES
from ...state.audience.segments import OPERATORS
from ..base import Call, Reply, Route
from .audience_views import list_view, listing, property_view, reference, segment_view, topic_view
from .validation import Fields, Query, nullable_fields
from .wire import ok

READ = ("audience:read", "audience:read")


def _fields(call: Call, schema: str) -> Fields:
    return Fields(call.json(), nullable_fields(schema))


def deleted() -> Reply:
    return Reply(204, None)


def write_route(method: str, path: str, handler: Any, action: str) -> Route:
    return Route(method, path, handler, f"audience:{action}", scope="audience:write", write=True)


def read_route(path: str, handler: Any) -> Route:
    return Route("GET", path, handler, *READ)


# -- lists ------------------------------------------------------------------------------------------
def list_lists(call: Call) -> Reply:
    audience = call.account.audience
    return ok("Lists retrieved successfully.", listing(call, "lists", audience.lists, list_view))


def create_list(call: Call) -> Reply:
    fields = _fields(call, "StoreAudienceListRequest")
    name = fields.string("name", required=True, max_length=255)
    fields.check()
    assert name is not None
    audience = call.account.audience
    return ok("List created successfully.", list_view(audience, audience.create_list(name, call.actor)), 201)


def show_list(call: Call) -> Reply:
    audience = call.account.audience
    return ok("List retrieved successfully.", list_view(audience, audience.get_list(call.args["list_id"])))


def update_list(call: Call) -> Reply:
    audience = call.account.audience
    item = audience.get_list(call.args["list_id"])
    fields = _fields(call, "UpdateAudienceListRequest")
    name = fields.string("name", max_length=255, allow_empty=False)
    fields.check()
    return ok("List updated successfully.", list_view(audience, audience.rename_list(item, name, call.actor)))


def delete_list(call: Call) -> Reply:
    audience = call.account.audience
    audience.delete_lists([audience.get_list(call.args["list_id"]).id], call.actor)
    return deleted()


def bulk_delete_lists(call: Call) -> Reply:
    fields = _fields(call, "BulkDestroyAudienceListsRequest")
    ids = string_ids(fields, "list_ids", max_items=50)
    fields.check()
    audience = call.account.audience
    count = audience.delete_lists(audience.known_ids("lists", ids, "list_ids"), call.actor)
    return ok("Lists deleted successfully.", {"deleted": count})


def string_ids(fields: Fields, name: str, *, max_items: int) -> list[str]:
    """A required array of 1 to ``max_items`` id strings (each error named ``name.i``)."""
    items = fields._list(name, required=True, max_items=max_items)
    ids = []
    for index, item in enumerate(items):
        if isinstance(item, str) and 0 < len(item) <= 255:
            ids.append(item)
        else:
            fields.add(f"{name}.{index}", f"The {name}.{index} field must be an id string.")
    return ids


# -- topics -----------------------------------------------------------------------------------------
def list_topics(call: Call) -> Reply:
    audience = call.account.audience
    return ok("Topics retrieved successfully.", listing(call, "topics", audience.topics, topic_view))


def create_topic(call: Call) -> Reply:
    fields = _fields(call, "StoreAudienceTopicRequest")
    name = fields.string("name", required=True, max_length=255)
    description = fields.string("description", max_length=1000)
    default = fields.choice("default_subscription", DEFAULT_SUBSCRIPTIONS)
    visibility = fields.choice("visibility", VISIBILITIES)
    fields.check()
    assert name is not None
    audience = call.account.audience
    topic = audience.create_topic(name, call.actor, description=description,
                                  default_subscription=default or "opt_in", visibility=visibility or "private")
    return ok("Topic created successfully.", topic_view(audience, topic), 201)


def show_topic(call: Call) -> Reply:
    audience = call.account.audience
    return ok("Topic retrieved successfully.", topic_view(audience, audience.get_topic(call.args["topic_id"])))


def update_topic(call: Call) -> Reply:
    audience = call.account.audience
    topic = audience.get_topic(call.args["topic_id"])
    fields = _fields(call, "UpdateAudienceTopicRequest")
    changes: dict[str, Any] = {}
    name = fields.string("name", max_length=255, allow_empty=False)
    if name is not None:
        changes["name"] = name
    description = fields.string("description", max_length=1000)
    if "description" in fields.body and not fields.failed("description"):
        changes["description"] = description
    visibility = fields.choice("visibility", VISIBILITIES)
    if visibility is not None:
        changes["visibility"] = visibility
    fields.check()
    return ok("Topic updated successfully.", topic_view(audience, audience.update_topic(topic, call.actor, changes)))


def delete_topic(call: Call) -> Reply:
    audience = call.account.audience
    audience.delete_topic(audience.get_topic(call.args["topic_id"]), call.actor)
    return deleted()


# -- properties -------------------------------------------------------------------------------------
def list_properties(call: Call) -> Reply:
    audience = call.account.audience
    return ok("Properties retrieved successfully.", listing(call, "properties", audience.properties, property_view))


def create_property(call: Call) -> Reply:
    fields = _fields(call, "StoreAudiencePropertyRequest")
    name = fields.string("name", required=True, max_length=255)
    kind = fields.choice("type", PROPERTY_TYPES, required=True)
    fallback = fields.string("fallback_value", max_length=255)
    fields.check()
    assert name is not None and kind is not None
    audience = call.account.audience
    item = audience.create_property(name, kind, call.actor, fallback)
    return ok("Property created successfully.", property_view(audience, item), 201)


def show_property(call: Call) -> Reply:
    audience = call.account.audience
    item = audience.get_property(call.args["property_id"])
    return ok("Property retrieved successfully.", property_view(audience, item))


def update_property(call: Call) -> Reply:
    """Only ``fallback_value`` changes (``null`` clears it); anything else is ignored."""
    audience = call.account.audience
    item = audience.get_property(call.args["property_id"])
    fields = _fields(call, "UpdateAudiencePropertyRequest")
    fallback = fields.string("fallback_value", max_length=255)
    fields.check()
    if "fallback_value" in fields.body:
        audience.set_fallback(item, fallback, call.actor)
    return ok("Property updated successfully.", property_view(audience, item))


def delete_property(call: Call) -> Reply:
    audience = call.account.audience
    audience.delete_property(audience.get_property(call.args["property_id"]), call.actor)
    return deleted()


# -- segments ---------------------------------------------------------------------------------------
def list_segments(call: Call) -> Reply:
    audience = call.account.audience
    query = Query(call.query)
    scope = reference(query, audience.list_field, "list_id")
    segments = [s for s in audience.segments if scope is None or s.list_id == scope.id]
    return ok("Segments retrieved successfully.", listing(call, "segments", segments, segment_view, query))


def _groups(fields: Fields) -> list[list[Condition]] | None:
    """``conditions: {groups: [{conditions: [{field, operator, value}]}]}`` as condition groups."""
    conditions = fields.mapping("conditions", required=False)
    if conditions is None:
        return None
    inner = Fields(conditions)
    groups = inner._list("groups", required=False, max_items=None) if "groups" in conditions else None
    if groups is None:
        fields.add("conditions.groups", "The conditions.groups field is required.")
        return None
    parsed = [_group(fields, f"conditions.groups.{g}", group) for g, group in enumerate(groups)]
    for name, messages in inner.errors.items():
        for message in messages:
            fields.add(f"conditions.{name}", message)
    return parsed


def _group(fields: Fields, path: str, group: Any) -> list[Condition]:
    if not isinstance(group, dict) or not isinstance(group.get("conditions"), list) or not group["conditions"]:
        fields.add(f"{path}.conditions", f"The {path}.conditions field must be an array with at least 1 item.")
        return []
    return [c for i, raw in enumerate(group["conditions"]) if (c := _condition(fields, f"{path}.conditions.{i}", raw))]


def _condition(fields: Fields, path: str, raw: Any) -> Condition | None:
    if not isinstance(raw, dict):
        fields.add(path, f"The {path} field must be an object.")
        return None
    item = Fields(raw, frozenset({"value"}))
    name = item.string("field", required=True, max_length=255)
    operator = item.choice("operator", OPERATORS, required=True)
    value = item.string("value", max_length=1000)
    for key, messages in item.errors.items():
        for message in messages:
            fields.add(f"{path}.{key}", message)
    if name is None or operator is None or item.failed("value"):
        return None
    return Condition(name, operator, value)


def create_segment(call: Call) -> Reply:
    fields = _fields(call, "StoreAudienceSegmentRequest")
    name = fields.string("name", required=True, max_length=255)
    list_id = fields.string("list_id", max_length=255)
    if "conditions" not in fields.body:
        fields.add("conditions", "The conditions field is required.")
    groups = _groups(fields)
    fields.check()
    assert name is not None and groups is not None
    audience = call.account.audience
    segment = audience.create_segment(name, groups, call.actor, list_id=list_id)
    return ok("Segment created successfully.", segment_view(audience, segment), 201)


def show_segment(call: Call) -> Reply:
    audience = call.account.audience
    return ok("Segment retrieved successfully.", segment_view(audience, _segment(call)))


def _segment(call: Call) -> Segment:
    return call.account.audience.get_segment(call.args["segment_id"])


def update_segment(call: Call) -> Reply:
    audience = call.account.audience
    segment = _segment(call)
    fields = _fields(call, "UpdateAudienceSegmentRequest")
    changes: dict[str, Any] = {}
    name = fields.string("name", max_length=255, allow_empty=False)
    if name is not None:
        changes["name"] = name
    list_id = fields.string("list_id", max_length=255)
    if "list_id" in fields.body and not fields.failed("list_id"):
        changes["list_id"] = list_id
    groups = _groups(fields)
    if groups is not None:
        changes["groups"] = groups
    fields.check()
    return ok("Segment updated successfully.",
              segment_view(audience, audience.update_segment(segment, call.actor, changes)))


def delete_segment(call: Call) -> Reply:
    call.account.audience.delete_segment(_segment(call), call.actor)
    return deleted()


ROUTES = [
    read_route("/audience/lists", list_lists),
    write_route("POST", "/audience/lists", create_list, "create"),
    write_route("DELETE", "/audience/lists/bulk", bulk_delete_lists, "delete"),
    read_route("/audience/lists/<list_id>", show_list),
    write_route("PATCH", "/audience/lists/<list_id>", update_list, "update"),
    write_route("DELETE", "/audience/lists/<list_id>", delete_list, "delete"),
    read_route("/audience/topics", list_topics),
    write_route("POST", "/audience/topics", create_topic, "create"),
    read_route("/audience/topics/<topic_id>", show_topic),
    write_route("PATCH", "/audience/topics/<topic_id>", update_topic, "update"),
    write_route("DELETE", "/audience/topics/<topic_id>", delete_topic, "delete"),
    read_route("/audience/properties", list_properties),
    write_route("POST", "/audience/properties", create_property, "create"),
    read_route("/audience/properties/<property_id>", show_property),
    write_route("PATCH", "/audience/properties/<property_id>", update_property, "update"),
    write_route("DELETE", "/audience/properties/<property_id>", delete_property, "delete"),
    read_route("/audience/segments", list_segments),
    write_route("POST", "/audience/segments", create_segment, "create"),
    read_route("/audience/segments/<segment_id>", show_segment),
    write_route("PATCH", "/audience/segments/<segment_id>", update_segment, "update"),
    write_route("DELETE", "/audience/segments/<segment_id>", delete_segment, "delete"),
]
