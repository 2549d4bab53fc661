"""The v1 wire format: the error envelope, status codes and camelCase rendering helpers."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from werkzeug.wrappers import Response

from ... import errors
from ...state.keys import mask_keys
from ..base import json_response
from ..common import camel

#: HTTP status of every error class (a test checks that each class of :mod:`pytest_lettr.errors` is here).
STATUS: dict[type[errors.LettrError], int] = {
    errors.LettrError: 400,
    errors.ServerError: 500,
    errors.InvalidJson: 400,
    errors.PayloadTooLarge: 413,
    errors.UnsupportedMediaType: 415,
    errors.MethodNotAllowed: 405,
    errors.NotFound: 404,
    errors.TemplateNotFound: 404,
    errors.MissingParameter: 400,
    errors.InvalidParameter: 400,
    errors.ValidationFailed: 400,
    errors.InvalidRecipient: 400,
    errors.InvalidSender: 400,
    errors.InvalidDomain: 400,
    errors.Suppressed: 400,
    errors.SensitiveData: 400,
    errors.Unauthorized: 401,
    errors.KeyExpired: 401,
    errors.Forbidden: 403,
    errors.SandboxRestricted: 403,
    errors.PlanRequired: 403,
    errors.Conflict: 409,
    errors.CannotDeleteSelf: 400,
    errors.CannotModifyOwner: 400,
    errors.CannotRemoveOwner: 400,
    errors.NotCancellable: 400,
    errors.InvalidTransition: 409,
    errors.IdempotencyConflict: 409,
    errors.IdempotencyInProgress: 409,
    errors.RateLimited: 429,
    errors.QuotaExceeded: 429,
    errors.DailyQuotaExceeded: 429,
    errors.SendError: 400,
    errors.RetrievalError: 400,
    errors.ServiceUnavailable: 503,
    errors.GatewayTimeout: 504,
    errors.CampaignNotSendable: 422,
    errors.CampaignNotScheduled: 422,
    errors.TransmissionFailed: 502,
}


#: State field names whose v1 spelling is not their plain camelCase.
_IRREGULAR_NAMES = {"require_2fa": "require2FA"}


def wire_name(name: str) -> str:
    """A state field name as v1 spells it::

        wire_name("ip_restrictions"), wire_name("require_2fa")   # ('ipRestrictions', 'require2FA')
    """
    return _IRREGULAR_NAMES.get(name) or camel(name)


@contextmanager
def state_params() -> Iterator[None]:
    """Name the field a state operation blames in v1's spelling (``new_owner_id`` → ``newOwnerId``)::

        with state_params():
            account.team.transfer_ownership(member_id, actor)
    """
    try:
        yield
    except errors.LettrError as error:
        if error.param is not None:
            error.param = wire_name(error.param)
        raise


def status_of(error: errors.LettrError) -> int:
    """The HTTP status of ``error``: its class's, else its nearest listed base class's."""
    return next(STATUS[cls] for cls in type(error).__mro__ if cls in STATUS)


def error_body(error: errors.LettrError) -> dict[str, Any]:
    """``{"error": {"code", "message", "param"?, ...}}`` — nothing else at the top level.

    Anything shaped like a key in the message or ``param`` (a key put in the URL path, say) is
    masked: an error never echoes a secret.
    """
    inner: dict[str, Any] = {"code": error.code, "message": mask_keys(error.message)}
    if error.param is not None:
        inner["param"] = mask_keys(error.param)
    if isinstance(error, errors.Forbidden) and error.required_permission:
        inner["requiredPermission"] = error.required_permission
    if isinstance(error, errors.RateLimited):
        inner["retryAfter"] = error.retry_after
    return {"error": inner}


def error_response(error: errors.LettrError) -> Response:
    response = json_response(status_of(error), error_body(error))
    if isinstance(error, errors.RateLimited):
        response.headers["Retry-After"] = str(error.retry_after)
    return response


def page_body(items: list[dict[str, Any]], has_more: bool, total: int) -> dict[str, Any]:
    return {"object": "list", "data": items, "hasMore": has_more, "totalCount": total}
