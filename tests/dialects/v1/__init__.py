"""Through-the-wire tests of the v1 API (``/v1``), plus small helpers they share.

The error envelope is checked by ``support.assert_v1_error`` (re-exported here)::

    assert_v1_error(response, 400, "invalid_to", param="to")["message"]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
from support import assert_v1_error

#: The type of the ``v1`` fixture (see tests/conftest.py).
V1 = Callable[..., httpx.Client]

EMAIL: dict[str, Any] = {"from": "app@example.com", "to": "ada@example.com", "subject": "Hi", "text": "Hello"}


def email(**fields: Any) -> dict[str, Any]:
    """A valid send body with ``fields`` changed (``from_=`` sets ``from``)."""
    body = dict(EMAIL)
    if "from_" in fields:
        body["from"] = fields.pop("from_")
    body.update(fields)
    return body


def error_body(response: httpx.Response) -> dict[str, Any]:
    """The ``error`` object of a v1 error envelope (asserting nothing else is at the top level)."""
    body: dict[str, Any] = response.json()
    assert set(body) == {"error"}, body
    inner: dict[str, Any] = body["error"]
    return inner


__all__ = ["EMAIL", "V1", "assert_v1_error", "email", "error_body"]
