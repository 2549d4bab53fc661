"""pytest-lettr: a pytest plugin and a fake Lettr server.

::

    from pytest_lettr import LettrServer

    with LettrServer() as server:
        print(server.v1_url, server.admin_key)
"""

from __future__ import annotations

from .clock import Clock
from .errors import InvalidTransition, LettrError
from .guard import LettrSensitiveDataWarning
from .server import EmailOutbox, LettrServer
from .state import ApiKey, AuditEntry, CreatedKey, Email
from .webhooks.signing import WebhookVerificationError, sign_webhook, verify_webhook

__all__ = [
    "ApiKey",
    "AuditEntry",
    "Clock",
    "CreatedKey",
    "Email",
    "EmailOutbox",
    "InvalidTransition",
    "LettrError",
    "LettrSensitiveDataWarning",
    "LettrServer",
    "WebhookVerificationError",
    "sign_webhook",
    "verify_webhook",
]
__version__ = "0.1.0"
