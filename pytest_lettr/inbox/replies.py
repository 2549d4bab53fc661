"""The inbox's error replies: the HTTP status of each error class, once.

The inbox answers with HTML pages, not a dialect's JSON envelope; a class not named here takes
the status of its nearest named base (every :class:`~pytest_lettr.errors.LettrError` is 400 at worst).

>>> from pytest_lettr import errors
>>> status_of(errors.TemplateNotFound("x")), status_of(errors.InvalidTransition("x")), status_of(ValueError())
(404, 409, 400)
"""

from __future__ import annotations

from .. import errors

STATUS: dict[type[Exception], int] = {
    ValueError: 400,
    errors.LettrError: 400,
    errors.NotFound: 404,
    errors.Unauthorized: 401,
    errors.Forbidden: 403,
    errors.Conflict: 409,
    errors.InvalidTransition: 409,
    errors.RateLimited: 429,
    errors.ServerError: 500,
}


def status_of(error: Exception) -> int:
    """The status for ``error``: its class's, else its nearest base's."""
    for cls in type(error).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400
