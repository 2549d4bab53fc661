"""Segment conditions: which operators apply to which field, and whether a contact matches.

>>> from datetime import datetime, timezone
>>> ada = Contact("c1", "ada@example.com", "subscribed", datetime(2026, 1, 5, tzinfo=timezone.utc),
...               properties={"plan": "pro", "seats": "12"})
>>> context = MatchContext(lists={}, topics={}, property_types={"plan": "string", "seats": "number"})
>>> matches([[Condition("email", "ends_with", "@EXAMPLE.com")],
...          [Condition("properties.seats", "greater_than", "10"), Condition("status", "equals", "bounced")]],
...         ada, context)
True

Groups are ANDed and the conditions of a group ORed. String comparisons ignore case. A contact
with no value for a property fails every positive operator (``contains``, ``equals``, ``after``,
``is_true``, ...) and passes every negated one (``not_contains``, ``not_equals``, ...) — and
``is_false``. ``topics`` and ``lists`` match by **name**: ``equals`` is "is a member of the one
so named", ``not_equals`` "is not".
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from .models import Condition, Contact

STRING_OPERATORS = ("contains", "not_contains", "starts_with", "not_starts_with", "ends_with", "not_ends_with",
                    "equals", "not_equals")
NUMBER_OPERATORS = ("equals", "not_equals", "greater_than", "greater_than_or_equal", "less_than",
                    "less_than_or_equal")
BOOLEAN_OPERATORS = ("is_true", "is_false")
DATE_OPERATORS = ("before", "after")
MEMBERSHIP_OPERATORS = ("equals", "not_equals")
#: Every operator of the spec's ``SegmentOperator``.
OPERATORS = tuple(dict.fromkeys(STRING_OPERATORS + NUMBER_OPERATORS + BOOLEAN_OPERATORS + DATE_OPERATORS))
NO_VALUE = BOOLEAN_OPERATORS

#: The operators each kind of field takes (a property's kind is its type; ``json`` is a string).
OPERATORS_BY_KIND: dict[str, tuple[str, ...]] = {
    "string": STRING_OPERATORS,
    "json": STRING_OPERATORS,
    "number": NUMBER_OPERATORS,
    "boolean": BOOLEAN_OPERATORS,
    "date": DATE_OPERATORS,
    "status": MEMBERSHIP_OPERATORS,
    "membership": MEMBERSHIP_OPERATORS,
}
#: The contact's own fields and their kinds; anything else is ``properties.<name>``.
BUILT_IN_FIELDS = {"email": "string", "status": "status", "created_at": "date", "topics": "membership",
                   "lists": "membership"}
PROPERTY_PREFIX = "properties."
_NEGATED = {"not_contains", "not_starts_with", "not_ends_with", "not_equals", "is_false"}


@dataclass(frozen=True)
class MatchContext:
    """What matching needs besides the contact: list and topic names by id, property types."""

    lists: Mapping[str, str]
    topics: Mapping[str, str]
    property_types: Mapping[str, str]


def field_kind(field_name: str, property_types: Mapping[str, str]) -> str | None:
    """``"string"``, ``"number"``, ... for a field a condition may name, else ``None``."""
    if field_name in BUILT_IN_FIELDS:
        return BUILT_IN_FIELDS[field_name]
    name = field_name.removeprefix(PROPERTY_PREFIX)
    return property_types.get(name)


def condition_problem(condition: Condition, property_types: Mapping[str, str]) -> str | None:
    """Why ``condition`` cannot be evaluated (unknown field, operator for another type, bad value)."""
    kind = field_kind(condition.field, property_types)
    if kind is None:
        return (f"The field '{condition.field[:64]}' is not a contact field (email, status, created_at, topics, "
                "lists) or a property of this team (properties.<name>).")
    if condition.operator not in OPERATORS_BY_KIND[kind]:
        return (f"The operator '{condition.operator}' does not apply to {kind} fields "
                f"(use one of: {', '.join(OPERATORS_BY_KIND[kind])}).")
    if condition.operator in NO_VALUE:
        return None
    if condition.value is None or condition.value == "":
        return f"The operator '{condition.operator}' needs a value."
    if kind == "number" and _number(condition.value) is None:
        return "The value must be a number."
    if kind == "date" and _moment(condition.value) is None:
        return "The value must be an ISO 8601 date."
    return None


def matches(groups: list[list[Condition]], contact: Contact, context: MatchContext) -> bool:
    """Every group has at least one condition the contact meets (no groups: every contact)."""
    return all(any(_meets(condition, contact, context) for condition in group) for group in groups)


def _meets(condition: Condition, contact: Contact, context: MatchContext) -> bool:
    kind = field_kind(condition.field, context.property_types)
    value = _value_of(condition.field, contact, context)
    if value is None:
        return condition.operator in _NEGATED
    if kind == "membership":
        assert isinstance(value, list)
        member = condition.value in value
        return member if condition.operator == "equals" else not member
    test = _TESTS.get((kind or "string", condition.operator)) or _TESTS[("string", condition.operator)]
    return test(value, condition.value or "")


def _value_of(field_name: str, contact: Contact, context: MatchContext) -> Any:
    if field_name == "email":
        return contact.email
    if field_name == "status":
        return contact.status
    if field_name == "created_at":
        return contact.created_at
    if field_name == "lists":
        return [context.lists[i] for i in contact.list_ids if i in context.lists]
    if field_name == "topics":
        return [context.topics[i] for i in contact.topic_ids if i in context.topics]
    return contact.properties.get(field_name.removeprefix(PROPERTY_PREFIX))


def _number(text: Any) -> float | None:
    try:
        number = float(str(text).strip())
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _moment(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    try:
        moment = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _truthy(text: str) -> bool:
    return text.strip().lower() in ("true", "1", "yes")


def _compare(test: Callable[[float, float], bool]) -> Callable[[Any, str], bool]:
    def run(value: Any, wanted: str) -> bool:
        left, right = _number(value), _number(wanted)
        return left is not None and right is not None and test(left, right)
    return run


def _dates(test: Callable[[datetime, datetime], bool]) -> Callable[[Any, str], bool]:
    def run(value: Any, wanted: str) -> bool:
        left, right = _moment(value), _moment(wanted)
        return left is not None and right is not None and test(left, right)
    return run


def _text(test: Callable[[str, str], bool]) -> Callable[[Any, str], bool]:
    return lambda value, wanted: test(str(value).lower(), wanted.lower())


_TESTS: dict[tuple[str, str], Callable[[Any, str], bool]] = {
    ("string", "contains"): _text(lambda v, w: w in v),
    ("string", "not_contains"): _text(lambda v, w: w not in v),
    ("string", "starts_with"): _text(lambda v, w: v.startswith(w)),
    ("string", "not_starts_with"): _text(lambda v, w: not v.startswith(w)),
    ("string", "ends_with"): _text(lambda v, w: v.endswith(w)),
    ("string", "not_ends_with"): _text(lambda v, w: not v.endswith(w)),
    ("string", "equals"): _text(lambda v, w: v == w),
    ("string", "not_equals"): _text(lambda v, w: v != w),
    ("number", "equals"): _compare(lambda v, w: v == w),
    ("number", "not_equals"): _compare(lambda v, w: v != w),
    ("number", "greater_than"): _compare(lambda v, w: v > w),
    ("number", "greater_than_or_equal"): _compare(lambda v, w: v >= w),
    ("number", "less_than"): _compare(lambda v, w: v < w),
    ("number", "less_than_or_equal"): _compare(lambda v, w: v <= w),
    ("boolean", "is_true"): lambda v, _: _truthy(str(v)),
    ("boolean", "is_false"): lambda v, _: not _truthy(str(v)),
    ("date", "before"): _dates(lambda v, w: v < w),
    ("date", "after"): _dates(lambda v, w: v > w),
}


def property_value_problem(kind: str, value: str) -> str | None:
    """Why ``value`` is not a valid string form of a ``kind`` property, else ``None``."""
    if kind == "number" and _number(value) is None:
        return "must be a number"
    if kind == "boolean" and value.strip().lower() not in ("true", "false", "1", "0"):
        return "must be true or false"
    if kind == "date" and _moment(value) is None:
        return "must be an ISO 8601 date"
    if kind == "json":
        try:
            json.loads(value)
        except ValueError:
            return "must be valid JSON"
    return None
