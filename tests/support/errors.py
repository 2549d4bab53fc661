"""One asserter per dialect for its documented error envelope."""

from __future__ import annotations

from typing import Any

import httpx

V1_ERROR_FIELDS = {"code", "message", "param", "requiredPermission", "retryAfter"}


def assert_v1_error(response: httpx.Response, status: int, code: str, *, param: str | None = None) -> dict[str, Any]:
    """``{"error": {"code", "message", "param"?, ...}}`` and nothing else, with ``status`` and ``code``
    (and ``param``, if given); returns the ``error`` object."""
    assert response.status_code == status, (response.status_code, response.text[:500])
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}, body
    inner: dict[str, Any] = body["error"]
    assert inner["code"] == code, inner
    assert isinstance(inner["message"], str) and inner["message"], inner
    assert set(inner) <= V1_ERROR_FIELDS, inner
    if param is not None:
        assert inner.get("param") == param, inner
    return inner


def assert_api_error(response: httpx.Response, status: int, error_code: str | None) -> dict[str, Any]:
    """The current API's ``{"message", "error_code"}`` (``errors`` too for a 422; a 401 has only
    ``message``, pass ``error_code=None``); returns the body."""
    assert response.status_code == status, (response.status_code, response.text[:500])
    body: dict[str, Any] = response.json()
    assert isinstance(body.get("message"), str) and body["message"], body
    assert body.get("error_code") == error_code, body
    if status == 422:
        assert isinstance(body.get("errors"), dict) and body["errors"], body
    return body
