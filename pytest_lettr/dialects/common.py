"""Rules both HTTP dialects apply the same way: casing, timestamps, header names, attachments, dates.

The state speaks snake_case; a dialect that shows camelCase (v1) renders names here::

    camel("key_prefix")                                  # 'keyPrefix'
    camel_keys({"required_permission": "emails:send"})   # {'requiredPermission': 'emails:send'}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def camel(name: str) -> str:
    """``snake_case`` → ``camelCase`` (a name without ``_`` is returned as it is).

    >>> camel("next_retry_at"), camel("emailId")
    ('nextRetryAt', 'emailId')
    """
    if "_" not in name:
        return name
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def camel_keys(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The top-level names of ``fields`` in camelCase; values (a user's metadata, say) are kept."""
    return {camel(name): value for name, value in fields.items()}
