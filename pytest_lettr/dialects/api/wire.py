"""The current API's wire format: ``{"message", "data"}`` bodies and ``{"message", "error_code"}`` errors.

Each error class maps, in :data:`STATUS`, to the HTTP status and the ``error_code`` this dialect
shows. Field errors become one 422::

    {"message": "Validation failed.", "error_code": "validation_error",
     "errors": {"to": ["The to field is required."]}}

401 bodies carry only ``message``: ``"API key is required."`` (no key sent) or
``"Invalid API key."`` (a key that is unknown, malformed, revoked or expired).
"""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response

from ... import errors
from ...state.keys import mask_keys
from ...state.quota import QuotaStatus
from ...state.sandbox import SandboxStatus
from ..base import Reply, json_response

VALIDATION = (422, "validation_error")

#: (HTTP status, ``error_code``) of every error class (a test checks each class is here).
STATUS: dict[type[errors.LettrError], tuple[int, str]] = {
    errors.LettrError: (400, "send_error"),
    errors.ServerError: (500, "send_error"),
    errors.InvalidJson: VALIDATION,
    errors.PayloadTooLarge: VALIDATION,
    errors.UnsupportedMediaType: VALIDATION,
    errors.MethodNotAllowed: (405, "method_not_allowed"),
    errors.NotFound: (404, "not_found"),
    errors.TemplateNotFound: (404, "template_not_found"),
    errors.MissingParameter: VALIDATION,
    errors.InvalidParameter: VALIDATION,
    errors.ValidationFailed: VALIDATION,
    errors.InvalidRecipient: VALIDATION,
    errors.InvalidSender: (400, "unconfigured_domain"),
    errors.InvalidDomain: (400, "invalid_domain"),
    errors.Suppressed: (400, "send_error"),
    errors.SensitiveData: VALIDATION,
    errors.Unauthorized: (401, "unauthorized"),
    errors.KeyExpired: (401, "unauthorized"),
    errors.Forbidden: (403, "insufficient_scope"),
    errors.SandboxRestricted: (403, "sandbox_restricted"),
    errors.PlanRequired: (403, "insufficient_scope"),
    errors.Conflict: (409, "resource_already_exists"),
    errors.CannotDeleteSelf: (400, "send_error"),
    errors.CannotModifyOwner: (400, "send_error"),
    errors.CannotRemoveOwner: (400, "send_error"),
    errors.NotCancellable: (409, "schedule_cancellation_failed"),
    errors.InvalidTransition: (409, "invalid_transition"),
    errors.IdempotencyConflict: (409, "idempotency_key_conflict"),
    errors.IdempotencyInProgress: (409, "idempotency_in_progress"),
    errors.RateLimited: (429, "rate_limit_exceeded"),
    errors.QuotaExceeded: (429, "quota_exceeded"),
    errors.DailyQuotaExceeded: (429, "daily_quota_exceeded"),
    errors.SendError: (400, "send_error"),
    errors.RetrievalError: (400, "retrieval_error"),
}


def status_of(error: errors.LettrError) -> tuple[int, str]:
    """The status and ``error_code`` of ``error``: its class's, else its nearest listed base's."""
    return next(STATUS[cls] for cls in type(error).__mro__ if cls in STATUS)

MISSING_KEY = "API key is required."
INVALID_KEY = "Invalid API key."
INSUFFICIENT_SCOPE = "Your API key does not have the required permissions for this action."
#: Seconds an ``idempotency_in_progress`` answer asks the client to wait.
IN_PROGRESS_RETRY_AFTER = 1


def ok(message: str, data: Any, status: int = 200) -> Reply:
    """A success reply: ``{"message": message, "data": data}``."""
    return Reply(status, {"message": message, "data": data})


def field_errors(error: errors.LettrError) -> dict[str, list[str]]:
    """The ``errors`` object of a 422: collected errors, or the one field to blame."""
    collected = error.extra.get("errors")
    if isinstance(collected, dict) and collected:
        return {mask_keys(str(name)): [mask_keys(str(m)) for m in messages] for name, messages in collected.items()}
    return {mask_keys(error.param or "body"): [mask_keys(error.message)]}


def error_body(error: errors.LettrError) -> tuple[int, dict[str, Any]]:
    """The status and body for ``error``; anything shaped like a key in a message is masked."""
    if isinstance(error, errors.Unauthorized):
        return 401, {"message": INVALID_KEY if error.extra.get("key_prefix") else MISSING_KEY}
    status, code = status_of(error)
    if code == "validation_error":
        return status, {"message": "Validation failed.", "error_code": code, "errors": field_errors(error)}
    message = mask_keys(error.message)
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


def quota_headers(quota: QuotaStatus) -> dict[str, str]:
    """The free plan's ``X-Monthly-*`` and ``X-Daily-*`` headers."""
    return {
        "X-Monthly-Limit": str(quota.monthly_limit),
        "X-Monthly-Remaining": str(quota.monthly_remaining),
        "X-Monthly-Reset": str(quota.monthly_reset),
        "X-Daily-Limit": str(quota.daily_limit),
        "X-Daily-Remaining": str(quota.daily_remaining),
        "X-Daily-Reset": str(quota.daily_reset),
    }


def sandbox_headers(sandbox: SandboxStatus) -> dict[str, str]:
    """A sandbox key's minute window as ``X-RateLimit-*`` and its day window as ``X-RateLimit-Daily-*``."""
    return {
        "X-RateLimit-Limit": str(sandbox.minute.limit),
        "X-RateLimit-Remaining": str(sandbox.minute.remaining),
        "X-RateLimit-Reset": str(sandbox.minute.reset),
        "X-RateLimit-Daily-Limit": str(sandbox.day.limit),
        "X-RateLimit-Daily-Remaining": str(sandbox.day.remaining),
        "X-RateLimit-Daily-Reset": str(sandbox.day.reset),
    }
