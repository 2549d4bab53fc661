"""``/api/webhooks`` (filled in below)."""

from __future__ import annotations

from ..base import Route

ROUTES: list[Route] = []
