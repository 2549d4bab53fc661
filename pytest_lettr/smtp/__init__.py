"""SMTP: submission into the account (STARTTLS and implicit TLS, ``AUTH`` with a key) and mail to an MX.

Another intake beside the HTTP dialects: it parses its own protocol (aiosmtpd) and MIME (the
standard :mod:`email` package), asks :func:`~pytest_lettr.access.authorize`, calls
:func:`~pytest_lettr.state.sending.send`, and maps errors to replies once (:mod:`.replies`).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .handler import USERNAMES, SubmissionHandler
    from .listener import SMTPListeners
    from .mime import draft_of
    from .replies import REPLY, reply_of

__all__ = ["REPLY", "USERNAMES", "SMTPListeners", "SubmissionHandler", "draft_of", "reply_of"]

#: Where each name lives: aiosmtpd loads only when the listeners are made, not when a server
#: (which imports :mod:`.inbound` for received mail) is.
_HOMES = {"USERNAMES": "handler", "SubmissionHandler": "handler", "SMTPListeners": "listener",
          "draft_of": "mime", "REPLY": "replies", "reply_of": "replies"}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)
