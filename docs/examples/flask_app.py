"""Receive Lettr webhooks in Flask: check the source, verify the signature, act once per event.

Run it::

    LETTR_WEBHOOK_SECRET=whsec_... flask --app flask_app:create_app run

Lettr POSTs the raw JSON event with a ``Lettr-Signature: t=<unix>,v1=<hex>`` header. The handler
verifies the raw body (never re-serialised JSON) in constant time, refuses timestamps more than
five minutes away, accepts only Lettr's delivery addresses, and remembers event ids so a retried
(or replayed) event is acknowledged without being processed twice.

Behind a reverse proxy ``request.remote_addr`` is the proxy: wrap the app in werkzeug's
``ProxyFix`` so it becomes the client address again.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import time
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, request

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
               allowed_ips: Iterable[str] = LETTR_WEBHOOK_ADDRESSES) -> Flask:
    """The app; ``clock`` and ``allowed_ips`` are there so tests can pin them."""
    app = Flask(__name__)
    webhook_secret = secret or os.environ["LETTR_WEBHOOK_SECRET"]
    allowed = frozenset(allowed_ips)
    processed: dict[str, dict[str, Any]] = {}  # in production: a table with a unique event id
    app.extensions["lettr_processed"] = processed

    @app.post("/webhooks/lettr")
    def lettr_webhook() -> tuple[Any, int]:
        if request.remote_addr not in allowed:
            return {"error": "forbidden"}, 403
        try:
            event = verify(request.get_data(), request.headers.get("Lettr-Signature"), webhook_secret, clock())
        except InvalidSignature as error:
            return {"error": str(error)}, 400
        if event["id"] in processed:
            return {"status": "duplicate"}, 200
        processed[event["id"]] = event
        handle(event)
        return {"status": "processed"}, 200

    return app


def handle(event: dict[str, Any]) -> None:
    """Your business logic, e.g. mark a bounced address as undeliverable."""
    if event["type"] == "email.bounced" and event["data"].get("bounceType") == "hard":
        pass  # e.g. users.mark_undeliverable(event["data"]["to"])
