"""Name casing between the state (snake_case) and the v1 wire (camelCase).

Only the top-level names of a mapping are re-cased; values — a user's metadata, say — are kept::

    camel("next_retry_at"), snake("nextRetryAt")      # ('nextRetryAt', 'next_retry_at')

``camel(snake(name)) == camel(name)`` for every name, so a detail given in either casing reaches
the wire as it did before.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = ["camel", "camel_keys", "snake", "snake_keys"]

_UPPER = re.compile(r"[A-Z]")


def camel(name: str) -> str:
    """``snake_case`` → ``camelCase`` (a name without ``_`` is returned as it is).

    >>> camel("next_retry_at"), camel("emailId")
    ('nextRetryAt', 'emailId')
    """
    if "_" not in name:
        return name
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def snake(name: str) -> str:
    """``camelCase`` → ``snake_case`` (each capital becomes ``_`` and its lower case).

    >>> snake("nextRetryAt"), snake("bounce_type"), snake("ipAddress")
    ('next_retry_at', 'bounce_type', 'ip_address')
    """
    return _UPPER.sub(lambda m: "_" + m.group().lower(), name)


def camel_keys(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The top-level names of ``fields`` in camelCase; values (a user's metadata, say) are kept."""
    return {camel(name): value for name, value in fields.items()}


def snake_keys(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The top-level names of ``fields`` in snake_case; values are kept."""
    return {snake(name): value for name, value in fields.items()}
