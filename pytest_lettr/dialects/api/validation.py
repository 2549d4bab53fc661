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
from datetime import datetime, time, timezone
from typing import Any
from urllib.parse import urlsplit

from werkzeug.datastructures import MultiDict

from ...errors import ValidationFailed
from ..common import is_email, parse_iso_datetime


def label(name: str) -> str:
    return name.replace("_", " ")


class Fields:
    """Typed reads of a JSON body that collect errors; :meth:`check` raises them together.

    Every reader returns ``None`` (or an empty value) when the field is absent, null or wrong.
    """

    def __init__(self, body: Mapping[str, Any]) -> None:
        self.body = body
        self.errors: dict[str, list[str]] = {}

    def add(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)

    def has(self, name: str) -> bool:
        return self.body.get(name) is not None

    def failed(self, name: str) -> bool:
        return name in self.errors

    def check(self) -> None:
        if self.errors:
            raise ValidationFailed(self.errors)

    def _required(self, name: str, required: bool) -> bool:
        """Whether there is a value to check (records ``required`` when missing)."""
        if self.has(name):
            return True
        if required:
            self.add(name, f"The {label(name)} field is required.")
        return False

    def string(self, name: str, *, required: bool = False, max_length: int | None = None,
               allow_empty: bool = True) -> str | None:
        if not self._required(name, required):
            return None
        value = self.body[name]
        return self.check_string(name, value, max_length=max_length, allow_empty=allow_empty and not required)

    def check_string(self, name: str, value: Any, *, max_length: int | None = None,
                     allow_empty: bool = True) -> str | None:
        if not isinstance(value, str):
            self.add(name, f"The {label(name)} field must be a string.")
            return None
        if "\x00" in value:
            self.add(name, f"The {label(name)} field must not contain NUL characters.")
            return None
        if not allow_empty and not value.strip():
            self.add(name, f"The {label(name)} field is required.")
            return None
        if max_length is not None and len(value) > max_length:
            self.add(name, f"The {label(name)} field must not be greater than {max_length} characters.")
            return None
        return value

    def integer(self, name: str, *, required: bool = False, minimum: int | None = None,
                maximum: int | None = None) -> int | None:
        if not self._required(name, required):
            return None
        value = self.body[name]
        if isinstance(value, bool) or not isinstance(value, int):
            self.add(name, f"The {label(name)} field must be an integer.")
            return None
        if minimum is not None and value < minimum:
            self.add(name, f"The {label(name)} field must be at least {minimum}.")
            return None
        if maximum is not None and value > maximum:
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


#: Dates outside this range are refused, so date arithmetic (windows, offsets) never overflows.
EARLIEST = datetime(1970, 1, 1, tzinfo=timezone.utc)
LATEST = datetime(9000, 1, 1, tzinfo=timezone.utc)


def parse_datetime(value: Any) -> datetime | None:
    """An ISO 8601 date-time (``Z``, an offset, or naive = UTC) or a date → aware UTC, else None."""
    moment = parse_iso_datetime(value)
    return moment if moment is not None and EARLIEST <= moment <= LATEST else None


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
        text = raw.strip()
        if not re.fullmatch(r"-?\d{1,9}", text):
            self.fields.add(name, f"The {label(name)} parameter must be an integer.")
            return default
        value = int(text)
        if minimum is not None and value < minimum:
            self.fields.add(name, f"The {label(name)} parameter must be at least {minimum}.")
            return default
        if maximum is not None and value > maximum:
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
