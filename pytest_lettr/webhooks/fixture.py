"""``lettr_webhooks``: signed webhook requests (and their bad twins) for testing your own handler.

::

    def test_handler_accepts_a_delivery(lettr_webhooks):
        lettr_webhooks.secret = app.config["LETTR_WEBHOOK_SECRET"]   # or use the generated one
        request = lettr_webhooks.request("email.bounced")             # signed, seeded faker data
        assert lettr_webhooks.deliver(request, to=app).status_code == 200

    def test_handler_rejects_forgeries(lettr_webhooks):
        good = lettr_webhooks.request("email.sent")
        for name, bad in lettr_webhooks.bad_twins(good).items():
            assert lettr_webhooks.deliver(bad, to=app).status_code in (400, 401), name

``to`` is a WSGI app (Flask, Django...), an ASGI app (Starlette, FastAPI) — both called in-process
with ``REMOTE_ADDR`` / ``scope["client"]`` set to one of Lettr's webhook addresses, or to
``remote_addr`` — or a loopback ``http(s)://`` URL. Timestamps come from ``lettr_server.clock``
and every id and value from its seeded entropy, so a failing test reproduces with its seed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from .delivery import (
    DEFAULT_TIMEOUT,
    LETTR_WEBHOOK_ADDRESSES,
    USER_AGENT,
    DeliveryResponse,
    Target,
    app_target,
    send,
)
from .events import EVENT_TYPES, sample_event
from .signing import DEFAULT_TOLERANCE, SIGNATURE_HEADER, serialize_payload, sign_webhook

if TYPE_CHECKING:
    from ..clock import Clock
    from ..randomness import Entropy

__all__ = ["BAD_TWINS", "SignedRequest", "WebhookTester"]

#: The forgeries and mistakes a handler must refuse, by name (see :meth:`WebhookTester.bad_twins`).
BAD_TWINS = ("tampered", "wrong_secret", "expired", "future", "missing_signature", "malformed_signature")


@dataclass(frozen=True)
class SignedRequest:
    """A webhook POST as Lettr would send it: the exact ``body`` bytes and the ``headers``.

    ``kind`` says what it is: ``valid``, ``replay`` or one of :data:`BAD_TWINS`.
    """

    body: bytes = field(repr=False)
    headers: dict[str, str]
    event_id: str
    event_type: str
    kind: str = "valid"

    @property
    def event(self) -> dict[str, Any]:
        """The body parsed as JSON."""
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed

    @property
    def signature(self) -> str | None:
        return self.headers.get(SIGNATURE_HEADER)


class WebhookTester:
    """Builds, signs and delivers webhook requests; the object behind ``lettr_webhooks``.

    ``secret`` signs every request (a fresh ``whsec_`` one by default; set it to your app's).
    ``target`` is where :meth:`deliver` sends when no ``to`` is given; ``remote_addr`` the peer
    address in-process apps see (default ``203.0.113.10``, a Lettr webhook address).
    """

    def __init__(self, clock: Clock, entropy: Entropy, *, secret: str | None = None,
                 target: Target | None = None, url: str = "https://webhooks.example.test/lettr",
                 remote_addr: str = LETTR_WEBHOOK_ADDRESSES[0], tolerance: int = DEFAULT_TOLERANCE) -> None:
        self.clock = clock
        self.entropy = entropy
        self.secret = secret or "whsec_" + entropy.token(32)
        self.target = target
        self.url = url
        self.remote_addr = remote_addr
        self.tolerance = tolerance
        #: Every request delivered so far, with the app's response, oldest first.
        self.delivered: list[tuple[SignedRequest, DeliveryResponse]] = []

    def __repr__(self) -> str:
        return f"<WebhookTester secret=whsec_*** target={self.target!r} delivered={len(self.delivered)}>"

    # -- building -------------------------------------------------------------------------------
    def event(self, event_type: str = "email.sent", **data: Any) -> dict[str, Any]:
        """A sample event envelope of ``event_type``; keyword arguments replace ``data`` fields."""
        return sample_event(event_type, self.entropy, self.clock.now(), data=data)

    def sign(self, event: Mapping[str, Any] | bytes | str, *, secret: str | None = None,
             timestamp: int | None = None, extra_secrets: tuple[str, ...] = ()) -> SignedRequest:
        """Sign a given event (a mapping, or raw bytes/str sent as they are)."""
        body = serialize_payload(event)
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = {}
        parsed = parsed if isinstance(parsed, dict) else {}
        event_id, event_type = str(parsed.get("id", "")), str(parsed.get("type", ""))
        t = self.clock.timestamp() if timestamp is None else timestamp
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "Lettr-Event-Id": event_id,
            "Lettr-Event-Type": event_type,
            SIGNATURE_HEADER: sign_webhook(body, secret or self.secret, timestamp=t, extra_secrets=extra_secrets),
        }
        return SignedRequest(body, headers, event_id, event_type)

    def request(self, event_type: str = "email.sent", *, secret: str | None = None,
                timestamp: int | None = None, **data: Any) -> SignedRequest:
        """A valid signed request for a sample ``event_type`` (fields in ``data`` override)."""
        if event_type not in EVENT_TYPES:
            raise ValueError(f"unknown event type {event_type!r}; one of: {', '.join(EVENT_TYPES)}")
        return self.sign(self.event(event_type, **data), secret=secret, timestamp=timestamp)

    def requests(self) -> Iterator[SignedRequest]:
        """One valid request for every event type."""
        for event_type in EVENT_TYPES:
            yield self.request(event_type)

    # -- bad twins ------------------------------------------------------------------------------
    def _timestamp(self, request: SignedRequest) -> int:
        header = request.signature or ""
        for entry in header.split(","):
            key, _, value = entry.partition("=")
            if key.strip() == "t" and value.strip().isdigit():
                return int(value)
        return self.clock.timestamp()

    def tampered(self, request: SignedRequest) -> SignedRequest:
        """The same signature over a changed body (still valid JSON)."""
        try:
            event = json.loads(request.body)
        except ValueError:
            event = None
        if isinstance(event, dict) and isinstance(event.get("data"), dict):
            data = dict(event["data"])
            if "to" in data:
                data["to"] = ["attacker@example.net"] if isinstance(data["to"], list) else "attacker@example.net"
            else:
                data["tampered"] = True
            body = serialize_payload({**event, "data": data})
        else:
            body = request.body + b" "
        return replace(request, body=body, kind="tampered")

    def wrong_secret(self, request: SignedRequest) -> SignedRequest:
        """Signed at the same moment with a secret that is not yours."""
        other = "whsec_" + self.entropy.token(32)
        return replace(self.sign(request.body, secret=other, timestamp=self._timestamp(request)),
                       kind="wrong_secret")

    def expired(self, request: SignedRequest, seconds_late: int = 60) -> SignedRequest:
        """Correctly signed, but ``tolerance + seconds_late`` seconds ago (a replayed capture)."""
        t = self.clock.timestamp() - self.tolerance - seconds_late
        return replace(self.sign(request.body, timestamp=t), kind="expired")

    def future(self, request: SignedRequest, seconds_early: int = 60) -> SignedRequest:
        """Correctly signed, but ``tolerance + seconds_early`` seconds in the future."""
        t = self.clock.timestamp() + self.tolerance + seconds_early
        return replace(self.sign(request.body, timestamp=t), kind="future")

    def missing_signature(self, request: SignedRequest) -> SignedRequest:
        """No ``Lettr-Signature`` header at all."""
        headers = {k: v for k, v in request.headers.items() if k != SIGNATURE_HEADER}
        return replace(request, headers=headers, kind="missing_signature")

    def malformed_signature(self, request: SignedRequest) -> SignedRequest:
        """A ``Lettr-Signature`` that cannot be parsed (its ``v1`` without a ``t=``)."""
        v1 = [e for e in (request.signature or "").split(",") if e.startswith("v1=")]
        headers = {**request.headers, SIGNATURE_HEADER: ",".join(v1) or "v1=not-a-signature"}
        return replace(request, headers=headers, kind="malformed_signature")

    def bad_twins(self, request: SignedRequest) -> dict[str, SignedRequest]:
        """Every request a handler must refuse, built from ``request``, by name (:data:`BAD_TWINS`)."""
        return {name: getattr(self, name)(request) for name in BAD_TWINS}

    def replay(self, request: SignedRequest | None = None) -> SignedRequest:
        """The same event again (same id and body), freshly signed, as a Lettr retry sends it.

        Default: the last delivered request. A correct handler accepts it without acting twice.
        """
        if request is None:
            if not self.delivered:
                raise ValueError("nothing was delivered yet; pass the request to replay")
            request = self.delivered[-1][0]
        return replace(self.sign(request.body), kind="replay")

    # -- delivering -----------------------------------------------------------------------------
    def deliver(self, request: SignedRequest, to: Target | None = None, *, remote_addr: str | None = None,
                path: str | None = None, timeout: float = DEFAULT_TIMEOUT) -> DeliveryResponse:
        """POST ``request`` to an app (in-process) or a loopback URL; returns the response.

        An in-process app's exceptions propagate (your bug surfaces in the test). ``path``
        replaces the path of ``url`` (default ``/lettr``) for in-process apps.
        """
        target = to if to is not None else self.target
        if target is None:
            raise ValueError("give `to=` (a WSGI/ASGI app or a URL) or set lettr_webhooks.target")
        if not isinstance(target, str):
            url = self.url
            if path is not None:
                parts = urlsplit(url)
                url = urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))
            target = app_target(target, url, remote_addr or self.remote_addr)
        elif remote_addr is not None:
            raise ValueError("remote_addr applies to in-process apps; over HTTP the peer is 127.0.0.1")
        response = send(target, request.body, request.headers, timeout=timeout, raise_app_errors=True)
        self.delivered.append((request, response))
        return response
