"""A receiver for the current API's webhooks (``/api``), parsed the way Lettr's webhook pages do.

Each POST body is a JSON array; each element's ``msys`` object has one member (``message_event``,
``track_event``, ``unsubscribe_event``, ``gen_event``, ``relay_message``) whose value is the event.
The event's ``type`` says what happened; ``rcpt_to`` is the recipient, ``rcpt_meta`` the metadata
the email was sent with, ``timestamp`` Unix seconds, ``bounce_class`` a number in a string.

    subscribers = Subscribers()
    server = serve(subscribers)            # http://127.0.0.1:<port>/ on a background thread
    ...                                    # point a webhook at it; send; events arrive
    subscribers.status["ada@example.com"]  # 'delivered', 'bounced', 'unsubscribed', ...
    server.shutdown()

No framework is needed; the handler itself (:meth:`Subscribers.handle`) is plain Python that any
web framework can call with the raw body.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

#: Bounce classes that mean the address will never work (Lettr's bounce-class table).
HARD_BOUNCE_CLASSES = {10, 30, 100}


def events_of(body: bytes) -> Iterator[dict[str, Any]]:
    """Every event of one delivery, unwrapped from its ``msys`` member."""
    for element in json.loads(body):
        members = element.get("msys") or {}
        for event in members.values():
            if isinstance(event, dict) and "type" in event:
                yield event


@dataclass
class Subscribers:
    """What an application keeps about its recipients, updated from webhook events."""

    status: dict[str, str] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)
    last_event_at: dict[str, datetime] = field(default_factory=dict)
    orders: dict[str, str] = field(default_factory=dict)
    processed: set[str] = field(default_factory=set)

    def handle(self, body: bytes) -> None:
        for event in events_of(body):
            if event["event_id"] in self.processed:  # a retried delivery: already done
                continue
            self.processed.add(event["event_id"])
            self._record(event)

    def _record(self, event: dict[str, Any]) -> None:
        address, kind = event["rcpt_to"], event["type"]
        self.last_event_at[address] = datetime.fromtimestamp(int(event["timestamp"]), tz=timezone.utc)
        order = (event.get("rcpt_meta") or {}).get("orderId")
        if order:
            self.orders[address] = order
        if kind == "delivery":
            self.status.setdefault(address, "delivered")
        elif kind in ("bounce", "out_of_band") and int(event["bounce_class"]) in HARD_BOUNCE_CLASSES:
            self.status[address], self.reasons[address] = "bounced", event["raw_reason"]
        elif kind == "spam_complaint":
            self.status[address] = "complained"
        elif kind in ("list_unsubscribe", "link_unsubscribe"):
            self.status[address], self.reasons[address] = "unsubscribed", kind


def serve(subscribers: Subscribers, host: str = "127.0.0.1", port: int = 0) -> ThreadingHTTPServer:
    """Answer every POST with 200 after handing its body to ``subscribers`` (``server.server_port``)."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            subscribers.handle(body)
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer((host, port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
