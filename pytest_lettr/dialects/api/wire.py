"""The current API's wire format: ``{"message", "data"}`` bodies and ``{"message", "error_code"}`` errors.

Domain errors keep their v1 ``code``; :data:`STATUS` maps each to the HTTP status and the
``error_code`` this dialect shows. Field errors become one 422::

    {"message": "Validation failed.", "error_code": "validation_error",
     "errors": {"to": ["The to field is required."]}}

401 bodies carry only ``message``: ``"API key is required."`` (no key sent) or
``"Invalid API key."`` (a key that is unknown, malformed, revoked or expired).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from werkzeug.wrappers import Response

from ... import errors
from ...clock import isoformat
from ..base import Reply, json_response

VALIDATION = (422, "validation_error")

#: (HTTP status, ``error_code``) of every domain error code this dialect can meet.
STATUS: dict[str, tuple[int, str]] = {
    "validation_error": VALIDATION,
    "invalid_json": VALIDATION,
    "missing_parameter": VALIDATION,
    "invalid_parameter": VALIDATION,
    "invalid_to": VALIDATION,
    "sensitive_data": VALIDATION,
    "payload_too_large": VALIDATION,
    "unsupported_media_type": VALIDATION,
    "invalid_domain": (400, "invalid_domain"),
    "invalid_from": (400, "unconfigured_domain"),
    "unconfigured_domain": (400, "unconfigured_domain"),
    "retrieval_error": (400, "retrieval_error"),
    "send_error": (400, "send_error"),
    "forbidden": (403, "insufficient_scope"),
    "insufficient_scope": (403, "insufficient_scope"),
    "plan_required": (403, "insufficient_scope"),
    "sandbox_restricted": (403, "sandbox_restricted"),
    "not_found": (404, "not_found"),
    "template_not_found": (404, "template_not_found"),
    "method_not_allowed": (405, "method_not_allowed"),
    "conflict": (409, "resource_already_exists"),
    "resource_already_exists": (409, "resource_already_exists"),
    "not_cancellable": (409, "schedule_cancellation_failed"),
    "idempotency_key_conflict": (409, "idempotency_key_conflict"),
    "idempotency_in_progress": (409, "idempotency_in_progress"),
    "rate_limit_exceeded": (429, "rate_limit_exceeded"),
    "quota_exceeded": (429, "quota_exceeded"),
    "daily_quota_exceeded": (429, "daily_quota_exceeded"),
    "server_error": (500, "send_error"),
}

MISSING_KEY = "API key is required."
INVALID_KEY = "Invalid API key."
INSUFFICIENT_SCOPE = "Your API key does not have the required permissions for this action."
#: Seconds an ``idempotency_in_progress`` answer asks the client to wait.
IN_PROGRESS_RETRY_AFTER = 1


def ts(moment: datetime | None) -> str | None:
    """A ``date-time`` field: ISO 8601 UTC with ``Z``, or ``None``."""
    return None if moment is None else isoformat(moment)


def ok(message: str, data: Any, status: int = 200) -> Reply:
    """A success reply: ``{"message": message, "data": data}``."""
    return Reply(status, {"message": message, "data": data})


def field_errors(error: errors.LettrError) -> dict[str, list[str]]:
    """The ``errors`` object of a 422: collected errors, or the one field to blame."""
    collected = error.extra.get("errors")
    if isinstance(collected, dict) and collected:
        return {str(name): [str(m) for m in messages] for name, messages in collected.items()}
    return {error.param or "body": [error.message]}


def error_body(error: errors.LettrError) -> tuple[int, dict[str, Any]]:
    """The status and body for ``error``."""
    if isinstance(error, errors.Unauthorized):
        return 401, {"message": INVALID_KEY if error.extra.get("key_prefix") else MISSING_KEY}
    status, code = STATUS.get(error.code, (400, "send_error"))
    if code == "validation_error":
        return status, {"message": "Validation failed.", "error_code": code, "errors": field_errors(error)}
    message = error.message
    if isinstance(error, errors.Forbidden) and error.required_permission:
        message = INSUFFICIENT_SCOPE
    return status, {"message": message, "error_code": code}


def error_response(error: errors.LettrError) -> Response:
    status, body = error_body(error)
    response = json_response(status, body)
    if isinstance(error, errors.RateLimited):
        response.headers["Retry-After"] = str(error.retry_after)
    elif isinstance(error, errors.IdempotencyInProgress):
        response.headers["Retry-After"] = str(IN_PROGRESS_RETRY_AFTER)
    return response
