"""The v1 wire format: the error envelope, status codes and camelCase rendering helpers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from werkzeug.wrappers import Response

from ... import errors
from ...clock import isoformat
from ..base import json_response

#: HTTP status of every v1 error code.
STATUS: dict[str, int] = {
    "invalid_json": 400,
    "missing_parameter": 400,
    "invalid_parameter": 400,
    "invalid_from": 400,
    "invalid_to": 400,
    "suppressed": 400,
    "cannot_delete_self": 400,
    "cannot_modify_owner": 400,
    "cannot_remove_owner": 400,
    "not_cancellable": 400,
    "sensitive_data": 400,
    "unauthorized": 401,
    "key_expired": 401,
    "forbidden": 403,
    "plan_required": 403,
    "not_found": 404,
    "method_not_allowed": 405,
    "conflict": 409,
    "idempotency_key_conflict": 409,
    "idempotency_in_progress": 409,
    "payload_too_large": 413,
    "unsupported_media_type": 415,
    "rate_limit_exceeded": 429,
    "server_error": 500,
}


def error_body(error: errors.LettrError) -> dict[str, Any]:
    """``{"error": {"code", "message", "param"?, ...}}`` — nothing else at the top level."""
    inner: dict[str, Any] = {"code": error.code, "message": error.message}
    if error.param is not None:
        inner["param"] = error.param
    if isinstance(error, errors.Forbidden) and error.required_permission:
        inner["requiredPermission"] = error.required_permission
    if isinstance(error, errors.RateLimited):
        inner["retryAfter"] = error.retry_after
    return {"error": inner}


def error_response(error: errors.LettrError) -> Response:
    response = json_response(STATUS.get(error.code, 400), error_body(error))
    if isinstance(error, errors.RateLimited):
        response.headers["Retry-After"] = str(error.retry_after)
    return response


def ts(moment: datetime | None) -> str | None:
    """A timestamp field: ISO 8601 UTC with ``Z``, or ``None``."""
    return None if moment is None else isoformat(moment)


def page_body(items: list[dict[str, Any]], has_more: bool, total: int) -> dict[str, Any]:
    return {"object": "list", "data": items, "hasMore": has_more, "totalCount": total}
