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
    errors.ServiceUnavailable: (503, "service_unavailable"),
    errors.GatewayTimeout: (504, "gateway_timeout"),
    errors.CampaignNotSendable: (422, "campaign_not_sendable"),
    errors.CampaignNotScheduled: (422, "campaign_not_scheduled"),
    errors.TransmissionFailed: (502, "transmission_failed"),
}


def status_of(error: errors.LettrError) -> tuple[int, str]:
    """The status and ``error_code`` of ``error``: its class's, else its nearest listed base's."""
    return next(STATUS[cls] for cls in type(error).__mro__ if cls in STATUS)

MISSING_KEY = "API key is required."
INVALID_KEY = "Invalid API key."
INSUFFICIENT_SCOPE = "Your API key does not have the required permissions for this action."
#: The documented message of a key used from an address its IP restriction does not allow (the
#: pages show no ``error_code``; the spec's ``ErrorResponse`` requires one, so it is kept).
IP_NOT_ALLOWED = "Access denied. Your IP address is not allowed."
#: The documented 403 of a sandbox key on a blocked endpoint (it alone carries ``"status": "error"``).
SANDBOX_RESTRICTED = "Sandbox API keys are restricted to email sending and read-only endpoints."
#: The documented message of a 429 ``rate_limit_exceeded`` (the wait is in ``Retry-After``).
RATE_LIMITED = "Rate limit exceeded. Please slow down your requests."
#: Paths whose template lookups answer ``not_found`` (a send or a contact's opt-in answers
#: ``template_not_found``), as each operation's 404 example in the spec shows.
TEMPLATE_RESOURCE = "/templates"
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


def _documented_body(error: errors.LettrError, code: str) -> dict[str, Any] | None:
    """The body of a refusal whose wording the docs fix (the sandbox's, the IP restriction's)."""
    if isinstance(error, errors.SandboxRestricted):
        return {"status": "error", "error_code": code, "message": SANDBOX_RESTRICTED}
    if isinstance(error, errors.Forbidden) and error.restriction == "ip":
        return {"message": IP_NOT_ALLOWED, "error_code": code}
    return None


def _message(error: errors.LettrError) -> str:
    if isinstance(error, errors.Forbidden) and error.required_permission:
        return INSUFFICIENT_SCOPE
    if isinstance(error, errors.RateLimited):
        return RATE_LIMITED
    return mask_keys(error.message)


def error_body(error: errors.LettrError, path: str | None = None) -> tuple[int, dict[str, Any]]:
    """The status and body for ``error`` on the route ``path``; anything shaped like a key in a
    message is masked."""
    if isinstance(error, errors.Unauthorized):
        return 401, {"message": INVALID_KEY if error.extra.get("key_prefix") else MISSING_KEY}
    status, code = status_of(error)
    if code == "validation_error":
        return status, {"message": "Validation failed.", "error_code": code, "errors": field_errors(error)}
    documented = _documented_body(error, code)
    if documented is not None:
        return status, documented
    if isinstance(error, errors.TemplateNotFound) and (path or "").startswith(TEMPLATE_RESOURCE):
        code = "not_found"
    return status, {"message": _message(error), "error_code": code}


def error_response(error: errors.LettrError, path: str | None = None) -> Response:
    status, body = error_body(error, path)
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
    """A sandbox key's minute and day windows as the documented ``X-Sandbox-RateLimit-*`` headers."""
    return {
        "X-Sandbox-RateLimit-Minute-Limit": str(sandbox.minute.limit),
        "X-Sandbox-RateLimit-Minute-Remaining": str(sandbox.minute.remaining),
        "X-Sandbox-RateLimit-Day-Limit": str(sandbox.day.limit),
        "X-Sandbox-RateLimit-Day-Remaining": str(sandbox.day.remaining),
    }
