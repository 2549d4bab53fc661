"""The v1 dialect (``/v1/...``): camelCase bodies and the ``{"error": {...}}`` envelope.

Each resource module lists its ``ROUTES``; :data:`MODULES` below is the whole v1 API.
"""

from __future__ import annotations

from itertools import chain

from werkzeug.wrappers import Response

from ... import errors
from ...state import ApiKey
from ..base import Call, Dialect, Reply, json_response
from . import audit, domains, emails, keys, stats, team, webhooks
from .wire import error_response

MODULES = (keys, emails, webhooks, team, audit, stats, domains)


class V1Dialect(Dialect):
    """Serves ``/v1``; every error is ``{"error": {"code", "message", "param"?}}``."""

    prefix = "/v1"

    def __init__(self) -> None:
        super().__init__(chain.from_iterable(module.ROUTES for module in MODULES))

    def render(self, call: Call | None, reply: Reply) -> Response:
        return json_response(reply.status, reply.body, reply.headers)

    def render_error(self, call: Call | None, error: errors.LettrError) -> Response:
        return error_response(error)

    def intake_checks(self, call: Call, key: ApiKey) -> None:
        """Sandbox keys (``lttr_sandbox_``) belong to the current API and its sandbox rules; on v1
        they would send real mail and mint live keys, so they are refused here."""
        if key.sandbox:
            raise errors.Forbidden("Sandbox API keys work only on the current API (/api)", restriction="sandbox")
