"""pytest-lettr: a pytest plugin and a fake Lettr server.

::

    from pytest_lettr import LettrServer

    with LettrServer() as server:
        print(server.v1_url, server.admin_key)

Everything a test touches is importable from here: the server and its outbox, the records it
hands out (:class:`Email`, :class:`Event`, :class:`ApiKey`, ...), the clock, the webhook signing
helpers, and every domain error (:mod:`pytest_lettr.errors`).

Importing the package is cheap: each name is imported from its module on first use (module
``__getattr__``), so a pytest run that never touches the fake does not pay for werkzeug, the
dialects or Faker. Type checkers and IDEs see the same names through ``TYPE_CHECKING`` imports.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from . import errors
    from .clock import Clock
    from .errors import InvalidTransition, LettrError
    from .faults import Fault, Faults
    from .guard import LettrSensitiveDataWarning
    from .server import EmailOutbox, LettrServer
    from .state import ApiKey, AuditEntry, CreatedKey, Email, Event
    from .state.api_webhooks import ApiWebhook
    from .state.audience import Audience, AudienceList, Contact, ContactProperty, Segment, Topic
    from .state.campaigns import Campaign, CampaignStats
    from .state.domains import Domain
    from .state.inbound import InboundDomain, InboundMessage
    from .state.quota import QuotaStatus
    from .state.templates import Project, Template
    from .state.webhooks import Webhook
    from .webhooks.delivery import Attempt, Delivery
    from .webhooks.signing import WebhookVerificationError, sign_webhook, verify_signature, verify_webhook

#: Where each public name lives (a module relative to this package; ``errors`` is the module).
_LAZY: dict[str, str] = {
    "ApiKey": ".state",
    "ApiWebhook": ".state.api_webhooks",
    "Attempt": ".webhooks.delivery",
    "Audience": ".state.audience",
    "AudienceList": ".state.audience",
    "AuditEntry": ".state",
    "Campaign": ".state.campaigns",
    "CampaignStats": ".state.campaigns",
    "Clock": ".clock",
    "Contact": ".state.audience",
    "ContactProperty": ".state.audience",
    "CreatedKey": ".state",
    "Delivery": ".webhooks.delivery",
    "Domain": ".state.domains",
    "Email": ".state",
    "EmailOutbox": ".server",
    "Event": ".state",
    "Fault": ".faults",
    "Faults": ".faults",
    "InboundDomain": ".state.inbound",
    "InboundMessage": ".state.inbound",
    "InvalidTransition": ".errors",
    "LettrError": ".errors",
    "LettrSensitiveDataWarning": ".guard",
    "LettrServer": ".server",
    "Project": ".state.templates",
    "QuotaStatus": ".state.quota",
    "Segment": ".state.audience",
    "Template": ".state.templates",
    "Topic": ".state.audience",
    "Webhook": ".state.webhooks",
    "WebhookVerificationError": ".webhooks.signing",
    "errors": ".errors",
    "sign_webhook": ".webhooks.signing",
    "verify_signature": ".webhooks.signing",
    "verify_webhook": ".webhooks.signing",
}

__all__ = [
    "ApiKey",
    "ApiWebhook",
    "Attempt",
    "Audience",
    "AudienceList",
    "AuditEntry",
    "Campaign",
    "CampaignStats",
    "Clock",
    "Contact",
    "ContactProperty",
    "CreatedKey",
    "Delivery",
    "Domain",
    "Email",
    "EmailOutbox",
    "Event",
    "Fault",
    "Faults",
    "InboundDomain",
    "InboundMessage",
    "InvalidTransition",
    "LettrError",
    "LettrSensitiveDataWarning",
    "LettrServer",
    "Project",
    "QuotaStatus",
    "Segment",
    "Template",
    "Topic",
    "Webhook",
    "WebhookVerificationError",
    "errors",
    "sign_webhook",
    "verify_signature",
    "verify_webhook",
]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    """Import a public name from its module the first time it is asked for, then keep it."""
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = import_module(module_name, __name__)
    value = module if name == "errors" else getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
