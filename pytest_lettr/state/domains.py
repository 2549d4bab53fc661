"""Sending domains of an account."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(eq=False)
class Domain:
    id: str
    name: str
    status: str
    created_at: datetime
    region: str = "us"
    verified_at: datetime | None = None
    record_status: dict[str, bool] = field(default_factory=lambda: {"spf": False, "dkim": False,
                                                                     "dmarc": False})
