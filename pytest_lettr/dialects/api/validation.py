"""Request checks of the current API: every field error of a body at once, Laravel style.

>>> fields = Fields({"from": "nope", "subject": 5})
>>> fields.email("from", required=True), fields.string("subject"), fields.emails("to", required=True)
(None, None, [])
>>> try:
...     fields.check()
... except ValidationFailed as failed:
...     sorted(failed.extra["errors"])
['from', 'subject', 'to']
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from datetime import datetime, time, timedelta, timezone
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from werkzeug.datastructures import MultiDict

from ...errors import ValidationFailed
from ...spec import load_openapi
from ..common import is_email, parse_iso_datetime

#: The widest integer a field or parameter takes when the spec sets no bound (a 64-bit integer,
#: as Lettr stores them): past it, the normal range message.
INT_MIN, INT_MAX = -(2**63), 2**63 - 1


@cache
def nullable_fields(schema: str) -> frozenset[str]:
    """The properties of a request schema of the spec that may be ``null`` (``allOf`` merged).

    >>> sorted(nullable_fields("SendEmailRequest"))[:3]
    ['amp_html', 'from_name', 'html']
    """
    schemas = load_openapi()["components"]["schemas"]

    def walk(node: dict[str, Any]) -> set[str]:
        if "$ref" in node:
            return walk(schemas[node["$ref"].rsplit("/", 1)[-1]])
        found = {name for name, prop in node.get("properties", {}).items() if _allows_null(prop)}
        for part in node.get("allOf", []):
            found |= walk(part)
        return found

    return frozenset(walk(schemas[schema]))


def _allows_null(prop: dict[str, Any]) -> bool:
    kinds = prop.get("type")
    return (prop.get("nullable") is True or kinds == "null" or (isinstance(kinds, list) and "null" in kinds)
            or any(_allows_null(option) for option in prop.get("anyOf", []) + prop.get("oneOf", [])))


def _as_integer(value: Any) -> int | None:
    """A JSON integer, or a float with no fraction (``2.0``: an integer, as JSON Schema has it)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


#: A query integer: digits with an optional sign, and a whole-number fraction (``10.0``) allowed.
_QUERY_INTEGER = re.compile(r"([+-]?)0*([0-9]+)(?:\.0*)?", re.ASCII)


def label(name: str) -> str:
    return name.replace("_", " ")


class Fields:
    """Typed reads of a JSON body that collect errors; :meth:`check` raises them together.

    Every reader returns ``None`` (or an empty value) when the field is absent, null or wrong.
    """

    def __init__(self, body: Mapping[str, Any], nullable: frozenset[str] = frozenset()) -> None:
        self.body = body
        self.nullable = nullable
        self.errors: dict[str, list[str]] = {}

    def add(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)

    def has(self, name: str) -> bool:
        """Whether the field holds a value. Reading a field is where its ``null`` is judged: absent
        when the spec lets it be null (``nullable``), else an error of its own."""
        value = self.body.get(name)
        if value is None and name in self.body and name not in self.nullable and not self.failed(name):
            self.add(name, f"The {label(name)} field must not be null.")
        return value is not None

    def failed(self, name: str) -> bool:
        return name in self.errors

    def check(self) -> None:
        if self.errors:
            raise ValidationFailed(self.errors)

    def _required(self, name: str, required: bool) -> bool:
        """Whether there is a value to check (records ``required`` when missing)."""
        if self.has(name):
            return True
        if required and not self.failed(name):  # a null has its own error already
            self.add(name, f"The {label(name)} field is required.")
        return False

    def string(self, name: str, *, required: bool = False, max_length: int | None = None,
               allow_empty: bool = True) -> str | None:
        if not self._required(name, required):
            return None
        value = self.body[name]
        return self.check_string(name, value, max_length=max_length, allow_empty=allow_empty and not required,
                                 required=required)

    def check_string(self, name: str, value: Any, *, max_length: int | None = None,
                     allow_empty: bool = True, required: bool = False) -> str | None:
        if not isinstance(value, str):
            self.add(name, f"The {label(name)} field must be a string.")
            return None
        if "\x00" in value:
            self.add(name, f"The {label(name)} field must not contain NUL characters.")
            return None
        if not allow_empty and not value.strip():
            wrong = "is required" if required else "must not be empty" if not value else "must not be blank"
            self.add(name, f"The {label(name)} field {wrong}.")
            return None
        if max_length is not None and len(value) > max_length:
            self.add(name, f"The {label(name)} field must not be greater than {max_length} characters.")
            return None
        return value

    def integer(self, name: str, *, required: bool = False, minimum: int | None = None,
                maximum: int | None = None) -> int | None:
        if not self._required(name, required):
            return None
        value = _as_integer(self.body[name])
        if value is None:
            self.add(name, f"The {label(name)} field must be an integer.")
            return None
        minimum, maximum = max(INT_MIN, minimum if minimum is not None else INT_MIN), \
            min(INT_MAX, maximum if maximum is not None else INT_MAX)
        if value < minimum:
            self.add(name, f"The {label(name)} field must be at least {minimum}.")
            return None
        if value > maximum:
            self.add(name, f"The {label(name)} field must not be greater than {maximum}.")
            return None
        return value

    def boolean(self, name: str, *, required: bool = False) -> bool | None:
        if not self._required(name, required):
            return None
        value = self.body[name]
        if not isinstance(value, bool):
            self.add(name, f"The {label(name)} field must be true or false.")
            return None
        return value

    def choice(self, name: str, choices: Sequence[str], *, required: bool = False) -> str | None:
        if not self._required(name, required):
            return None
        value = self.body[name]
        if not isinstance(value, str) or value not in choices:
            self.add(name, f"The selected {label(name)} is invalid (use one of: {', '.join(choices)}).")
            return None
        return value

    def email(self, name: str, *, required: bool = False, max_length: int = 255) -> str | None:
        if not self._required(name, required):
            return None
        value = self.check_string(name, self.body[name], max_length=max_length)
        if value is None:
            return None
        if not is_email(value.strip()):
            self.add(name, f"The {label(name)} field must be a valid email address.")
            return None
        return value.strip()

    def emails(self, name: str, *, required: bool = False, max_items: int | None = None,
               max_length: int = 255) -> list[str]:
        items = self._list(name, required=required, max_items=max_items)
        result = []
        for index, item in enumerate(items):
            if not isinstance(item, str) or len(item) > max_length or not is_email(item.strip()):
                self.add(f"{name}.{index}", f"The {label(name)}.{index} field must be a valid email address.")
                continue
            result.append(item.strip())
        return result

    def array(self, name: str, *, required: bool = False, max_items: int | None = None) -> list[Any]:
        """The field as a list of anything (``[]`` with an error when it is not one, too long or empty)."""
        return self._list(name, required=required, max_items=max_items)

    def _list(self, name: str, *, required: bool, max_items: int | None) -> list[Any]:
        """The field as a list (``[]`` with an error when it is not one, or is too long or empty)."""
        if not self._required(name, required):
            return []
        value = self.body[name]
        if not isinstance(value, list):
            self.add(name, f"The {label(name)} field must be an array.")
        elif required and not value:
            self.add(name, f"The {label(name)} field must have at least 1 item.")
        elif max_items is not None and len(value) > max_items:
            self.add(name, f"The {label(name)} field must not have more than {max_items} items.")
        else:
            return value
        return []

    def mapping(self, name: str, *, required: bool = False) -> dict[str, Any] | None:
        if not self._required(name, required):
            return None
        value = self.body[name]
        if not isinstance(value, dict):
            self.add(name, f"The {label(name)} field must be an object.")
            return None
        return value

    def string_map(self, name: str, *, max_items: int | None = None,
                   max_value: int | None = None) -> dict[str, str] | None:
        value = self.mapping(name)
        if value is None:
            return None
        if max_items is not None and len(value) > max_items:
            self.add(name, f"The {label(name)} field must not have more than {max_items} items.")
            return None
        ok = True
        for key, item in value.items():
            path = f"{name}.{key[:64]}"
            if not isinstance(item, str):
                self.add(path, f"The {path} field must be a string.")
                ok = False
            elif max_value is not None and len(item) > max_value:
                self.add(path, f"The {path} field must not be greater than {max_value} characters.")
                ok = False
        return dict(value) if ok else None

    def url(self, name: str, *, required: bool = False, max_length: int = 2048) -> str | None:
        value = self.string(name, required=required, max_length=max_length, allow_empty=False)
        if value is None:
            return None
        try:
            parts = urlsplit(value.strip())
            parts.port  # noqa: B018 - a bad port raises ValueError
        except ValueError:
            parts = None
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname \
                or any(c.isspace() for c in value.strip()):
            self.add(name, f"The {label(name)} field must be a valid URL.")
            return None
        return value.strip()


#: The first and last moments a date can name: every valid date-time lies between them (one a
#: few hours outside UTC's years 1 to 9999, ``0001-01-01T00:00:00+01:00``, is taken as the bound).
EARLIEST = datetime.min.replace(tzinfo=timezone.utc)
LATEST = datetime.max.replace(tzinfo=timezone.utc)


def parse_datetime(value: Any) -> datetime | None:
    """An ISO 8601 date-time (``Z``, an offset, or naive = UTC) or a date → aware UTC, else None.

    >>> parse_datetime("1960-01-01").year, parse_datetime("0001-01-01T00:00:00+01:00") == EARLIEST
    (1960, True)
    """
    moment = parse_iso_datetime(value)
    if moment is None and isinstance(value, str):
        moment = _beyond_utc(value.strip())
    return moment


def _beyond_utc(text: str) -> datetime | None:
    """A valid date-time whose UTC moment falls outside Python's years 1 to 9999: the nearer bound."""
    try:
        local = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
    except ValueError:
        return None
    return EARLIEST if local.year == 1 else LATEST


def minus(moment: datetime, delta: timedelta) -> datetime:
    """``moment - delta``, or the earliest moment when that is before year 1 (no OverflowError)."""
    return moment - delta if moment - EARLIEST > delta else EARLIEST


class Query:
    """Typed reads of query parameters, collecting errors like :class:`Fields`."""

    def __init__(self, args: MultiDict[str, str]) -> None:
        self.args = args
        self.fields = Fields({})

    def check(self) -> None:
        self.fields.check()

    def integer(self, name: str, *, default: int | None = None, minimum: int | None = None,
                maximum: int | None = None) -> int | None:
        raw = self.args.get(name)
        if raw is None or raw == "":
            return default
        match = _QUERY_INTEGER.fullmatch(raw.strip())
        if match is None:
            self.fields.add(name, f"The {label(name)} parameter must be an integer.")
            return default
        sign, digits = match.groups()
        minimum, maximum = max(INT_MIN, minimum if minimum is not None else INT_MIN), \
            min(INT_MAX, maximum if maximum is not None else INT_MAX)
        # Past 19 digits no int64 fits: compare by sign alone (no 5000-digit int() either).
        value = int(sign + digits) if len(digits) <= 19 else (INT_MIN - 1 if sign == "-" else INT_MAX + 1)
        if value < minimum:
            self.fields.add(name, f"The {label(name)} parameter must be at least {minimum}.")
            return default
        if value > maximum:
            self.fields.add(name, f"The {label(name)} parameter must not exceed {maximum}.")
            return default
        return value

    def date(self, name: str, *, end_of_day: bool = False) -> datetime | None:
        raw = self.args.get(name)
        if raw is None or raw == "":
            return None
        moment = parse_datetime(raw)
        if moment is None:
            self.fields.add(name, f"The {label(name)} parameter must be a valid date.")
            return None
        if end_of_day and re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw.strip()):
            moment = datetime.combine(moment.date(), time.max, tzinfo=timezone.utc)
        return moment

    def choice(self, name: str, choices: Sequence[str]) -> str | None:
        raw = self.args.get(name)
        if raw is None or raw == "":
            return None
        if raw not in choices:
            self.fields.add(name, f"The selected {label(name)} is invalid (use one of: {', '.join(choices)}).")
            return None
        return raw

    def csv(self, name: str, *, choices: Sequence[str] | None = None) -> list[str]:
        """A comma-separated list (``events=delivery,bounce``); unknown choices are refused."""
        raw = self.args.get(name)
        if not raw:
            return []
        items = [item.strip() for item in raw.split(",") if item.strip()]
        if choices is not None:
            for item in items:
                if item not in choices:
                    self.fields.add(name, f"The selected {label(name)} value '{item[:64]}' is invalid.")
        return items

    def page(self) -> tuple[int, int]:
        """``(page, per_page)``: page ≥ 1 (default 1), per_page 1 to 100 (default 25)."""
        per_page = self.integer("per_page", default=25, minimum=1, maximum=100)
        page = self.integer("page", default=1, minimum=1)
        return page or 1, per_page or 25


def page_of(items: Sequence[Any], page: int, per_page: int) -> tuple[list[Any], dict[str, int]]:
    """One page of ``items`` and the ``pagination`` object (``last_page`` ≥ 1 even when empty)."""
    total = len(items)
    last = max(1, math.ceil(total / per_page))
    start = (page - 1) * per_page
    return list(items[start:start + per_page]), {"total": total, "per_page": per_page, "current_page": page,
                                                  "last_page": last}
