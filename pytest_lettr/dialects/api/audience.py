"""``/api/audience/lists``, ``/topics``, ``/properties`` and ``/segments``: parse, one operation, render.

Reads need ``audience:read``, writes ``audience:write`` (sandbox keys: 403). Unknown ids are 404
``"<Thing> not found."``; a ``list_id`` field or filter naming no list is 422.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from ...state import Actor
from ...state.audience import Audience, Condition
from ...state.audience.models import DEFAULT_SUBSCRIPTIONS, PROPERTY_TYPES, VISIBILITIES
from ...state.audience.segments import OPERATORS
from ..base import Call, Handler, Reply, Route
from .audience_views import list_view, listing, property_view, reference, segment_view, topic_view
from .validation import Fields, Query, nullable_fields
from .wire import ok

READ = ("audience:read", "audience:read")
_R = TypeVar("_R")


def _fields(call: Call, schema: str) -> Fields:
    return Fields(call.json(), nullable_fields(schema))


def deleted() -> Reply:
    return Reply(204, None)


def write_route(method: str, path: str, handler: Any, action: str) -> Route:
    return Route(method, path, handler, f"audience:{action}", scope="audience:write", write=True)


def read_route(path: str, handler: Any) -> Route:
    return Route("GET", path, handler, *READ)


def _shown(getter: Callable[[Audience, str], _R], view: Callable[[Audience, _R], dict[str, Any]], arg: str,
           message: str) -> Handler:
    """``GET /audience/<things>/<id>``: the one named by the path (404 when unknown)."""
    def handle(call: Call) -> Reply:
        audience = call.account.audience
        return ok(message, view(audience, getter(audience, call.args[arg])))
    return handle


def _removed(getter: Callable[[Audience, str], _R], delete: Callable[[Audience, _R, Actor], object],
             arg: str) -> Handler:
    """``DELETE /audience/<things>/<id>``: 204, or 404 when unknown."""
    def handle(call: Call) -> Reply:
        audience = call.account.audience
        delete(audience, getter(audience, call.args[arg]), call.actor)
        return deleted()
    return handle


def _listed(plural: str, view: Callable[[Audience, Any], dict[str, Any]], message: str) -> Handler:
    """``GET /audience/<things>``: one page of every record, oldest first."""
    def handle(call: Call) -> Reply:
        return ok(message, listing(call, plural, getattr(call.account.audience, plural), view))
    return handle


# -- lists ------------------------------------------------------------------------------------------

def create_list(call: Call) -> Reply:
    fields = _fields(call, "StoreAudienceListRequest")
    name = fields.string("name", required=True, max_length=255)
    fields.check()
    assert name is not None
    audience = call.account.audience
    return ok("List created successfully.", list_view(audience, audience.create_list(name, call.actor)), 201)


def update_list(call: Call) -> Reply:
    audience = call.account.audience
    item = audience.get_list(call.args["list_id"])
    fields = _fields(call, "UpdateAudienceListRequest")
    name = fields.string("name", max_length=255, allow_empty=False)
    fields.check()
    return ok("List updated successfully.", list_view(audience, audience.rename_list(item, name, call.actor)))


def bulk_delete_lists(call: Call) -> Reply:
    fields = _fields(call, "BulkDestroyAudienceListsRequest")
    ids = string_ids(fields, "list_ids", max_items=50)
    fields.check()
    audience = call.account.audience
    count = audience.delete_lists(audience.known_ids("lists", ids, "list_ids"), call.actor)
    return ok("Lists deleted successfully.", {"deleted": count})


def string_ids(fields: Fields, name: str, *, max_items: int) -> list[str]:
    """A required array of 1 to ``max_items`` id strings (each error named ``name.i``)."""
    items = fields.array(name, required=True, max_items=max_items)
    ids = []
    for index, item in enumerate(items):
        if isinstance(item, str) and 0 < len(item) <= 255:
            ids.append(item)
        else:
            fields.add(f"{name}.{index}", f"The {name}.{index} field must be an id string.")
    return ids


# -- topics -----------------------------------------------------------------------------------------

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


def changed(fields: Fields, **readers: Callable[[], Any]) -> dict[str, Any]:
    """What a ``PATCH`` carries: each field read, kept when it has a value, or when it is ``null``
    and the spec lets it be (clearing it)."""
    changes = {}
    for name, read in readers.items():
        value = read()
        if value is not None or (name in fields.body and name in fields.nullable and not fields.failed(name)):
            changes[name] = value
    return changes


def update_topic(call: Call) -> Reply:
    audience = call.account.audience
    topic = audience.get_topic(call.args["topic_id"])
    fields = _fields(call, "UpdateAudienceTopicRequest")
    changes = changed(fields, name=lambda: fields.string("name", max_length=255, allow_empty=False),
                      description=lambda: fields.string("description", max_length=1000),
                      visibility=lambda: fields.choice("visibility", VISIBILITIES))
    fields.check()
    return ok("Topic updated successfully.", topic_view(audience, audience.update_topic(topic, call.actor, changes)))


# -- properties -------------------------------------------------------------------------------------

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
    groups = inner.array("groups") if "groups" in conditions else None
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


def update_segment(call: Call) -> Reply:
    audience = call.account.audience
    segment = audience.get_segment(call.args["segment_id"])
    fields = _fields(call, "UpdateAudienceSegmentRequest")
    changes = changed(fields, name=lambda: fields.string("name", max_length=255, allow_empty=False),
                      list_id=lambda: fields.string("list_id", max_length=255), groups=lambda: _groups(fields))
    fields.check()
    return ok("Segment updated successfully.",
              segment_view(audience, audience.update_segment(segment, call.actor, changes)))


list_lists = _listed("lists", list_view, "Lists retrieved successfully.")
list_topics = _listed("topics", topic_view, "Topics retrieved successfully.")
list_properties = _listed("properties", property_view, "Properties retrieved successfully.")
show_list = _shown(Audience.get_list, list_view, "list_id", "List retrieved successfully.")
delete_list = _removed(Audience.get_list, lambda a, item, actor: a.delete_lists([item.id], actor), "list_id")
show_topic = _shown(Audience.get_topic, topic_view, "topic_id", "Topic retrieved successfully.")
delete_topic = _removed(Audience.get_topic, Audience.delete_topic, "topic_id")
show_property = _shown(Audience.get_property, property_view, "property_id", "Property retrieved successfully.")
delete_property = _removed(Audience.get_property, Audience.delete_property, "property_id")
show_segment = _shown(Audience.get_segment, segment_view, "segment_id", "Segment retrieved successfully.")
delete_segment = _removed(Audience.get_segment, Audience.delete_segment, "segment_id")


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
