"""Every domain error, one class per error, each with its stable ``code``.

The state and the intakes raise these; each dialect maps a class to its HTTP status (and, for the
current API, its ``error_code``) once, in its ``wire`` module. ``param`` names the field to blame
as a dotted path (``attachments.0.filename``); the state names fields in snake_case and a dialect
shows them in its own casing.

>>> try:
...     raise InvalidParameter("The 'to' field must be a list", param="to")
... except LettrError as error:
...     (error.code, error.param)
('invalid_parameter', 'to')
>>> Suppressed.code, issubclass(TemplateNotFound, NotFound)
('suppressed', True)
"""

from __future__ import annotations

from typing import Any, ClassVar


class LettrError(Exception):
    """Base of every error the fake Lettr reports to a client."""

    code: ClassVar[str] = "server_error"

    def __init__(self, message: str, *, param: str | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        self.extra: dict[str, Any] = extra


class ServerError(LettrError):
    """A bug in the fake itself (the request is answered 500 and the test fails)."""

    code = "server_error"


# -- the request itself ---------------------------------------------------------------------------
class InvalidJson(LettrError):
    code = "invalid_json"


class PayloadTooLarge(LettrError):
    code = "payload_too_large"


class UnsupportedMediaType(LettrError):
    code = "unsupported_media_type"


class MethodNotAllowed(LettrError):
    code = "method_not_allowed"


class NotFound(LettrError):
    code = "not_found"


class TemplateNotFound(NotFound):
    code = "template_not_found"


# -- validation -----------------------------------------------------------------------------------
class MissingParameter(LettrError):
    code = "missing_parameter"


class InvalidParameter(LettrError):
    code = "invalid_parameter"


class ValidationFailed(LettrError):
    """Several fields to blame at once: ``errors`` is ``{field: [messages]}``."""

    code = "validation_error"

    def __init__(self, field_errors: dict[str, list[str]], message: str = "Validation failed.") -> None:
        super().__init__(message, param=next(iter(field_errors), None), errors=field_errors)


class InvalidRecipient(LettrError):
    """A recipient address that is no email address."""

    code = "invalid_to"


class InvalidSender(LettrError):
    """The sender's domain is not a verified domain of the account."""

    code = "invalid_from"


class InvalidDomain(InvalidSender):
    """No sender domain can be told from the sender's address (``user@localhost``, an IP literal)."""

    code = "invalid_domain"


class Suppressed(LettrError):
    """A recipient is on the account's suppression list."""

    code = "suppressed"


class SensitiveData(LettrError):
    code = "sensitive_data"


# -- authentication and authorization -------------------------------------------------------------
class Unauthorized(LettrError):
    code = "unauthorized"


class KeyExpired(Unauthorized):
    code = "key_expired"


class Forbidden(LettrError):
    """A permission, IP or domain restriction refused the request.

    ``required_permission`` names the missing permission, ``restriction`` the rule that refused
    (``ip``, ``domain`` or ``sandbox``); both end up in the audit log's ``auth.forbidden`` entry.
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


class SandboxRestricted(Forbidden):
    """A sandbox key tried a write operation."""

    code = "sandbox_restricted"


class PlanRequired(LettrError):
    code = "plan_required"


# -- state conflicts ------------------------------------------------------------------------------
class Conflict(LettrError):
    code = "conflict"


class CannotDeleteSelf(LettrError):
    code = "cannot_delete_self"


class CannotModifyOwner(LettrError):
    code = "cannot_modify_owner"


class CannotRemoveOwner(LettrError):
    code = "cannot_remove_owner"


class NotCancellable(LettrError):
    """A scheduled email that has already gone out (or was cancelled) cannot be cancelled."""

    code = "not_cancellable"


class InvalidTransition(LettrError):
    """The email cannot go through that event now (e.g. opening a bounced email)."""

    code = "invalid_transition"


class IdempotencyConflict(LettrError):
    code = "idempotency_key_conflict"


class IdempotencyInProgress(LettrError):
    code = "idempotency_in_progress"


# -- limits ---------------------------------------------------------------------------------------
class RateLimited(LettrError):
    code = "rate_limit_exceeded"

    def __init__(self, message: str, *, retry_after: int, **extra: Any) -> None:
        super().__init__(message, **extra)
        self.retry_after = retry_after


class QuotaExceeded(LettrError):
    code = "quota_exceeded"


class DailyQuotaExceeded(QuotaExceeded):
    code = "daily_quota_exceeded"


# -- the current API's own failures ---------------------------------------------------------------
class SendError(LettrError):
    """A send the current API refuses for a reason of the account (e.g. a sandbox key with no owner)."""

    code = "send_error"


class RetrievalError(LettrError):
    """A read the current API refuses for a reason of the account."""

    code = "retrieval_error"


def error_classes() -> list[type[LettrError]]:
    """Every error class of this module (what each dialect's status table must cover).

    >>> MissingParameter in error_classes() and LettrError in error_classes()
    True
    """
    found: list[type[LettrError]] = [LettrError]
    pending = [LettrError]
    while pending:
        for child in pending.pop().__subclasses__():
            if child.__module__ == __name__ and child not in found:
                found.append(child)
                pending.append(child)
    return found
