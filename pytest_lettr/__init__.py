"""pytest-lettr: a pytest plugin and a fake Lettr server.

::

    from pytest_lettr import LettrServer

    with LettrServer() as server:
        print(server.v1_url, server.admin_key)

Everything a test touches is importable from here: the server and its outbox, the records it
hands out (:class:`Email`, :class:`Event`, :class:`ApiKey`, ...), the clock, the webhook signing
helpers, and every domain error (:mod:`pytest_lettr.errors`).
"""

from __future__ import annotations

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
from .webhooks.signing import WebhookVerificationError, sign_webhook, verify_webhook

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
    "verify_webhook",
]
__version__ = "0.1.0"
