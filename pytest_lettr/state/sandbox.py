"""Sandbox keys (``lttr_sandbox_…``): their rate limits and how their emails are rewritten.

Lettr's sandbox sends every email to the key owner's address, from the sandbox domain (the local
part of the sender is kept), and limits a sandbox key to 10 requests a minute and 100 a day
(counted always, refused only under ``enforce_limits``, as every documented limit)::

    sandbox = account.sandbox
    sandbox.hit(key.id, enforce=True)         # raises RateLimited once over either window
    sandbox_sender("noreply@shop.example")    # 'noreply@dev.uselettr.com'

The limits live in ``sandbox.policy`` (a test may change them before its first request).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .limits import RateLimiter, RateLimitStatus

if TYPE_CHECKING:
    from .account import Account

__all__ = ["SANDBOX_DOMAIN", "Sandbox", "SandboxPolicy", "SandboxStatus", "sandbox_sender"]

SANDBOX_DOMAIN = "dev.uselettr.com"


def sandbox_sender(address: str, domain: str = SANDBOX_DOMAIN) -> str:
    """The sender with its domain replaced by the sandbox domain.

    >>> sandbox_sender("Shop <orders@shop.example>")
    'orders@dev.uselettr.com'
    """
    address = address.strip()
    if address.endswith(">") and "<" in address:
        address = address[address.rindex("<") + 1 : -1]
    local = address.rpartition("@")[0] or address
    return f"{local}@{domain}"


@dataclass
class SandboxPolicy:
    domain: str = SANDBOX_DOMAIN
    per_minute: int = 10
    per_day: int = 100


@dataclass(frozen=True)
class SandboxStatus:
    """Both windows after a request: what the rate-limit headers of a sandbox key report."""

    minute: RateLimitStatus
    day: RateLimitStatus


class Sandbox:
    """Per-key minute and day windows for the sandbox keys of one account."""

    def __init__(self, account: Account) -> None:
        self.policy = SandboxPolicy()
        self._minute = RateLimiter(account.clock)
        self._day = RateLimiter(account.clock)

    def hit(self, key_id: str, *, enforce: bool = False) -> SandboxStatus:
        """Count one request of a sandbox key; with ``enforce``, raise ``RateLimited`` over either limit."""
        for limiter, requests, seconds in ((self._minute, self.policy.per_minute, 60),
                                           (self._day, self.policy.per_day, 86400)):
            limiter.requests, limiter.per_seconds = requests, float(seconds)
        minute = self._minute.hit(key_id, enforce=enforce)
        day = self._day.hit(key_id, enforce=enforce)
        return SandboxStatus(minute, day)
