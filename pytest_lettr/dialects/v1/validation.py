"""Field checks for v1 request bodies and queries. Each failure names its ``param``.

>>> require_string({"name": "ci"}, "name", max_length=100)
'ci'
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from werkzeug.datastructures import MultiDict

from ...errors import InvalidParameter, MissingParameter
from ..common import DATE_ONLY_RE, parse_iso_datetime

T = TypeVar("T")
_DIGITS = re.compile(r"[0-9]{1,6}")

def require(body: dict[str, Any], name: str, param: str | None = None) -> Any:
    if name not in body or body[name] is None:
        raise MissingParameter(f"The '{name}' field is required", param=param or name)
    return body[name]


def require_string(body: dict[str, Any], name: str, *, max_length: int | None = None,
                   min_length: int = 1, param: str | None = None) -> str:
    value = require(body, name, param)
    return check_string(value, param or name, max_length=max_length, min_length=min_length)


def check_string(value: Any, param: str, *, max_length: int | None = None, min_length: int = 0) -> str:
    if not isinstance(value, str):
        raise InvalidParameter(f"The '{param}' field must be a string", param=param)
    if "\x00" in value:
        raise InvalidParameter(f"The '{param}' field must not contain NUL characters", param=param)
    if len(value) < min_length:
        raise InvalidParameter(f"The '{param}' field must not be empty", param=param)
    if max_length is not None and len(value) > max_length:
        raise InvalidParameter(f"The '{param}' field must be at most {max_length} characters", param=param)
    return value


def optional(body: dict[str, Any], name: str, check: Callable[[Any, str], T], param: str | None = None,
             default: T | None = None) -> T | None:
    """``check(value, param)`` if ``name`` is present and not null, else ``default``."""
    if name not in body or body[name] is None:
        return default
    return check(body[name], param or name)


def check_bool(value: Any, param: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidParameter(f"The '{param}' field must be a boolean", param=param)
    return value


def check_int(value: Any, param: str, *, minimum: int | None = None, maximum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidParameter(f"The '{param}' field must be an integer", param=param)
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        bounds = f"between {minimum} and {maximum}" if maximum is not None else f"at least {minimum}"
        raise InvalidParameter(f"The '{param}' field must be {bounds}", param=param)
    return value


def check_string_list(value: Any, param: str, *, max_items: int | None = None,
                      item_max_length: int | None = None) -> list[str]:
    if not isinstance(value, list):
        raise InvalidParameter(f"The '{param}' field must be an array of strings", param=param)
    if max_items is not None and len(value) > max_items:
        raise InvalidParameter(f"The '{param}' field allows at most {max_items} items", param=param)
    return [check_string(item, f"{param}.{i}", max_length=item_max_length, min_length=1)
            for i, item in enumerate(value)]


def check_object(value: Any, param: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidParameter(f"The '{param}' field must be an object", param=param)
    return value


def parse_timestamp(value: Any, param: str) -> datetime:
    """An ISO 8601 timestamp (``Z`` or offset; naive is taken as UTC) → aware UTC datetime."""
    moment = parse_iso_datetime(value) if isinstance(value, str) and not DATE_ONLY_RE.fullmatch(value.strip()) \
        else None
    if moment is None:
        raise InvalidParameter(f"The '{param}' field must be an ISO 8601 timestamp", param=param)
    return moment


def parse_date_or_timestamp(value: str, param: str, *, end_of_day: bool = False) -> datetime:
    """``YYYY-MM-DD`` (start of that day, or its end with ``end_of_day``) or a full timestamp."""
    if DATE_ONLY_RE.fullmatch(value.strip()):
        moment = parse_iso_datetime(value, end_of_day=end_of_day)
        if moment is None:
            raise InvalidParameter(f"The '{param}' parameter is not a valid date", param=param)
        return moment
    return parse_timestamp(value, param)


def check_choice(value: Any, param: str, choices: Sequence[str]) -> str:
    if value not in choices:
        raise InvalidParameter(f"The '{param}' field must be one of: {', '.join(choices)}", param=param)
    return str(value)


def query_limit(query: MultiDict[str, str], default: int = 10, maximum: int = 100) -> int:
    raw = query.get("limit")
    if raw is None:
        return default
    if not _DIGITS.fullmatch(raw.strip()):  # ASCII digits only: "²".isdigit() is True, int("²") fails
        raise InvalidParameter(f"The 'limit' parameter must be an integer between 1 and {maximum}",
                               param="limit")
    value = int(raw)
    if not 1 <= value <= maximum:
        raise InvalidParameter(f"The 'limit' parameter must be an integer between 1 and {maximum}",
                               param="limit")
    return value
