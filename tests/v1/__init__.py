"""Through-the-wire tests of the v1 API (``/v1``), plus small helpers they share.

>>> import httpx
>>> response = httpx.Response(400, json={"error": {"code": "invalid_to", "message": "x", "param": "to"}})
>>> error_of(response, 400, "invalid_to", param="to")["message"]
'x'
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

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


def error_of(response: httpx.Response, status: int, code: str, *, param: str | None = None) -> dict[str, Any]:
    """Assert ``response`` is a v1 error envelope with ``status``/``code`` (and ``param``); return ``error``."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}, body
    inner: dict[str, Any] = body["error"]
    assert inner["code"] == code, inner
    assert isinstance(inner["message"], str) and inner["message"], inner
    if param is not None:
        assert inner.get("param") == param, inner
    return inner


def error_body(response: httpx.Response) -> dict[str, Any]:
    """The ``error`` object of a v1 error envelope (asserting nothing else is at the top level)."""
    body: dict[str, Any] = response.json()
    assert set(body) == {"error"}, body
    inner: dict[str, Any] = body["error"]
    return inner
