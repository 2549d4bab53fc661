"""Domain errors raised by the account state and mapped to HTTP once per dialect.

Each error carries a stable ``code`` (the v1 error code) and, where one field is to blame,
``param`` (a dotted path such as ``attachments.0.filename``). Dialects decide the status
and envelope; the state never does.

>>> try:
...     raise InvalidParameter("The 'to' field must be a list", param="to")
... except LettrError as error:
...     (error.code, error.param)
('invalid_parameter', 'to')
"""

from __future__ import annotations

from typing import Any


class LettrError(Exception):
    """Base of every error the fake Lettr reports to a client."""

    code = "server_error"

    def __init__(self, message: str, *, param: str | None = None, code: str | None = None, **extra: Any):
        super().__init__(message)
        self.message = message
        self.param = param
        if code is not None:
            self.code = code
        self.extra: dict[str, Any] = extra


class InvalidJson(LettrError):
    code = "invalid_json"


class MissingParameter(LettrError):
    code = "missing_parameter"


class InvalidParameter(LettrError):
    code = "invalid_parameter"


class Unauthorized(LettrError):
    code = "unauthorized"


class KeyExpired(Unauthorized):
    code = "key_expired"


class Forbidden(LettrError):
    """A permission, IP or domain restriction refused the request.

    ``required_permission`` names the missing permission, ``restriction`` the rule that refused
    (``ip`` or ``domain``); both end up in the audit log's ``auth.forbidden`` entry.
    """

    code = "forbidden"

    def __init__(
        self,
        message: str,
        *,
        required_permission: str | None = None,
        restriction: str | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(message, **extra)
        self.required_permission = required_permission
        self.restriction = restriction


class PlanRequired(LettrError):
    code = "plan_required"


class NotFound(LettrError):
    code = "not_found"


class Conflict(LettrError):
    code = "conflict"


class IdempotencyConflict(LettrError):
    code = "idempotency_key_conflict"


class IdempotencyInProgress(LettrError):
    code = "idempotency_in_progress"


class RateLimited(LettrError):
    code = "rate_limit_exceeded"

    def __init__(self, message: str, *, retry_after: int, **extra: Any) -> None:
        super().__init__(message, **extra)
        self.retry_after = retry_after


class QuotaExceeded(LettrError):
    code = "quota_exceeded"


class PayloadTooLarge(LettrError):
    code = "payload_too_large"


class UnsupportedMediaType(LettrError):
    code = "unsupported_media_type"


class SensitiveData(LettrError):
    code = "sensitive_data"
