"""SMTP replies: every error class maps, once, to a reply code and an enhanced status code.

Like the HTTP dialects' ``wire`` modules map a class to its HTTP status, :data:`REPLY` maps it to
what an SMTP client sees::

    reply_of(errors.Unauthorized("Invalid API key"))    # '535 5.7.8 Authentication credentials invalid'
    reply_of(errors.RateLimited("slow down"))           # '421 4.7.0 slow down'

Lettr documents 535 (bad credentials), 550 (a bad recipient, at ``RCPT``), 421 (rate limited) and
451 (a temporary failure); the rest follow RFC 5321 and RFC 3463.
"""

from __future__ import annotations

from .. import errors
from ..state.keys import mask_keys

#: (reply code, enhanced status code) of every error class (a test checks each class is here).
REPLY: dict[type[errors.LettrError], tuple[int, str]] = {
    errors.LettrError: (554, "5.0.0"),
    errors.ServerError: (451, "4.3.0"),
    errors.InvalidJson: (550, "5.6.0"),
    errors.PayloadTooLarge: (552, "5.3.4"),
    errors.UnsupportedMediaType: (550, "5.6.0"),
    errors.MethodNotAllowed: (502, "5.5.1"),
    errors.NotFound: (550, "5.0.0"),
    errors.TemplateNotFound: (550, "5.0.0"),
    errors.MissingParameter: (550, "5.6.0"),
    errors.InvalidParameter: (550, "5.6.0"),
    errors.ValidationFailed: (550, "5.6.0"),
    errors.InvalidRecipient: (550, "5.1.3"),
    errors.InvalidSender: (550, "5.7.1"),
    errors.InvalidDomain: (550, "5.1.8"),
    errors.TransmissionFailed: (451, "4.3.0"),
    errors.ServiceUnavailable: (421, "4.3.2"),
    errors.CampaignNotSendable: (554, "5.5.1"),  # campaigns are API-only; listed so every class has a reply
    errors.CampaignNotScheduled: (554, "5.5.1"),
    errors.GatewayTimeout: (451, "4.4.1"),
    errors.Suppressed: (550, "5.1.1"),
    errors.SensitiveData: (550, "5.7.1"),
    errors.Unauthorized: (535, "5.7.8"),
    errors.KeyExpired: (535, "5.7.8"),
    errors.Forbidden: (550, "5.7.1"),
    errors.SandboxRestricted: (550, "5.7.1"),
    errors.PlanRequired: (550, "5.7.1"),
    errors.Conflict: (554, "5.0.0"),
    errors.CannotDeleteSelf: (554, "5.0.0"),
    errors.CannotModifyOwner: (554, "5.0.0"),
    errors.CannotRemoveOwner: (554, "5.0.0"),
    errors.NotCancellable: (554, "5.0.0"),
    errors.InvalidTransition: (554, "5.0.0"),
    errors.IdempotencyConflict: (554, "5.0.0"),
    errors.IdempotencyInProgress: (451, "4.3.0"),
    errors.RateLimited: (421, "4.7.0"),
    errors.QuotaExceeded: (451, "4.7.1"),
    errors.DailyQuotaExceeded: (451, "4.7.1"),
    errors.SendError: (554, "5.0.0"),
    errors.RetrievalError: (554, "5.0.0"),
}

#: The documented wording of a refused ``AUTH`` (the key itself is never echoed).
INVALID_CREDENTIALS = "Authentication credentials invalid"
#: Replies of the protocol itself (no domain error behind them).
OK = "250 2.0.0 Ok"
QUEUED = "250 2.0.0 Ok: queued"
TOO_MANY_RECIPIENTS = "452 4.5.3 Too many recipients"
RELAY_DENIED = "550 5.7.1 Relay access denied: not an inbound domain of this account"
MOCK_FAILURE = "451 4.3.0 Internal error in the Lettr mock (see lettr_server.handler_errors)"


def code_of(error: errors.LettrError) -> tuple[int, str]:
    """The reply code and enhanced code of ``error``: its class's, else its nearest listed base's."""
    return next(REPLY[cls] for cls in type(error).__mro__ if cls in REPLY)


def reply_of(error: errors.LettrError) -> str:
    """One reply line for ``error``: code, enhanced code, a message with no line break or key."""
    code, enhanced = code_of(error)
    if isinstance(error, errors.Unauthorized):
        return f"{code} {enhanced} {INVALID_CREDENTIALS}"
    text = " ".join(mask_keys(error.message).split())
    return f"{code} {enhanced} {text[:400]}"


__all__ = ["REPLY", "code_of", "reply_of"]
