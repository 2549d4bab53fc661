"""Receive Lettr webhooks in Starlette (FastAPI works the same way): source, signature, once.

Run it::

    LETTR_WEBHOOK_SECRET=whsec_... uvicorn starlette_app:create_app --factory

The same rules as the Flask example: verify the raw body in constant time with a five-minute
tolerance, accept only Lettr's delivery addresses, and process each event id once.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import time
from collections.abc import Callable, Iterable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

LETTR_WEBHOOK_ADDRESSES = frozenset({"203.0.113.10", "203.0.113.11", "203.0.113.12"})
TOLERANCE_SECONDS = 300


class InvalidSignature(Exception):
    """The delivery is not provably from Lettr (or is too old / too new)."""


def verify(body: bytes, header: str | None, secret: str, now: float) -> dict[str, Any]:
    """The event in ``body`` if ``header`` signs it with ``secret`` at a time close to ``now``."""
    if not header:
        raise InvalidSignature("missing signature")
    timestamp, candidates = None, []
    for entry in header.split(","):
        key, _, value = entry.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1":
            candidates.append(value)
    if timestamp is None or not candidates:
        raise InvalidSignature("malformed signature")
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    if not any(hmac.compare_digest(expected, candidate) for candidate in candidates):
        raise InvalidSignature("signature mismatch")
    if abs(now - timestamp) > TOLERANCE_SECONDS:
        raise InvalidSignature("timestamp outside tolerance")
    event: dict[str, Any] = json.loads(body)
    return event


def create_app(secret: str | None = None, *, clock: Callable[[], float] = time.time,
               allowed_ips: Iterable[str] = LETTR_WEBHOOK_ADDRESSES) -> Starlette:
    """The app; ``clock`` and ``allowed_ips`` are there so tests can pin them."""
    webhook_secret = secret or os.environ["LETTR_WEBHOOK_SECRET"]
    allowed = frozenset(allowed_ips)
    processed: dict[str, dict[str, Any]] = {}  # in production: a table with a unique event id

    async def lettr_webhook(request: Request) -> JSONResponse:
        if request.client is None or request.client.host not in allowed:
            return JSONResponse({"error": "forbidden"}, status_code=403)
        body = await request.body()
        try:
            event = verify(body, request.headers.get("Lettr-Signature"), webhook_secret, clock())
        except InvalidSignature as error:
            return JSONResponse({"error": str(error)}, status_code=400)
        if event["id"] in processed:
            return JSONResponse({"status": "duplicate"})
        processed[event["id"]] = event
        return JSONResponse({"status": "processed"})

    app = Starlette(routes=[Route("/webhooks/lettr", lettr_webhook, methods=["POST"])])
    app.state.processed = processed
    return app
