"""SMTP: submission into the account (STARTTLS and implicit TLS, ``AUTH`` with a key) and mail to an MX.

Another intake beside the HTTP dialects: it parses its own protocol (aiosmtpd) and MIME (the
standard :mod:`email` package), asks :func:`~pytest_lettr.access.authorize`, calls
:func:`~pytest_lettr.state.sending.send`, and maps errors to replies once (:mod:`.replies`).
"""

from .handler import USERNAMES, SubmissionHandler
from .listener import SMTPListeners
from .mime import draft_of
from .replies import REPLY, reply_of

__all__ = ["REPLY", "USERNAMES", "SMTPListeners", "SubmissionHandler", "draft_of", "reply_of"]
