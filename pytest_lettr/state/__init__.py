"""The account state: plain dataclasses and operations that raise domain errors."""

from .account import Account, AccountOptions, Event
from .audit import Actor, AuditEntry
from .emails import Email
from .keys import ApiKey, CreatedKey

__all__ = ["Account", "AccountOptions", "Actor", "ApiKey", "AuditEntry", "CreatedKey", "Email", "Event"]
