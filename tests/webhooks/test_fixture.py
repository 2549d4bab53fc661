"""The ``lettr_webhooks`` fixture: signed requests, their bad twins, replays, delivery to apps and URLs."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request as StarletteRequest
from starlette.responses import JSONResponse
from starlette.routing import Route
from werkzeug.wrappers import Request, Response

from pytest_lettr import LettrServer, WebhookVerificationError, sign_webhook, verify_webhook
from pytest_lettr.clock import Clock
from pytest_lettr.randomness import Entropy
from pytest_lettr.webhooks.delivery import LETTR_WEBHOOK_ADDRESSES
from pytest_lettr.webhooks.events import EVENT_TYPES
from pytest_lettr.webhooks.fixture import BAD_TWINS, SignedRequest, WebhookTester
from pytest_lettr.webhooks.signing import (
    MalformedSignatureError,
    MissingSignatureError,
    SignatureMismatchError,
    TimestampOutsideToleranceError,
)

from .conftest import Receiver

#: The ``data`` fields of each event type (§9).
FIELDS = {
    "email.sent": {"emailId", "from", "to", "subject", "sentAt"},
    "email.delivered": {"emailId", "to", "deliveredAt"},
    "email.bounced": {"emailId", "to", "bounceType", "bounceCategory", "message", "bouncedAt"},
    "email.deferred": {"emailId", "to", "reason", "retryCount", "nextRetryAt"},
    "email.opened": {"emailId", "to", "openedAt", "userAgent", "ipAddress", "isFirstOpen"},
    "email.clicked": {"emailId", "to", "url", "clickedAt", "userAgent", "ipAddress"},
    "email.complained": {"emailId", "to", "complainedAt"},
    "email.unsubscribed": {"emailId", "to", "unsubscribedAt", "reason"},
    "email.received": {"id", "from", "to", "subject", "text", "html", "receivedAt"},
}


def v1_of(secret: str, t: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()


class Verifying:
    """A minimal reference handler: verify, check the source address, process each event once."""

    def __init__(self, secret: str, clock: Clock, allowed: tuple[str, ...] = LETTR_WEBHOOK_ADDRESSES) -> None:
        self.secret, self.clock, self.allowed = secret, clock, allowed
        self.processed: list[str] = []

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        if request.remote_addr not in self.allowed:
            return Response("forbidden", 403)(environ, start_response)
        try:
            event = verify_webhook(request.get_data(), request.headers.get("Lettr-Signature"), self.secret,
                                   now=self.clock.timestamp())
        except WebhookVerificationError as error:
            return Response(error.code, 400)(environ, start_response)
        if event["id"] in self.processed:
            return Response("duplicate", 200)(environ, start_response)
        self.processed.append(event["id"])
        return Response("processed", 200)(environ, start_response)


def test_a_request_is_signed_like_lettr(lettr_webhooks: WebhookTester, lettr_server: LettrServer) -> None:
    request = lettr_webhooks.request("email.bounced")
    event = request.event
    assert event["type"] == "email.bounced" and request.event_type == "email.bounced"
    assert request.headers["Lettr-Event-Id"] == event["id"] == request.event_id
    assert request.headers["Lettr-Event-Type"] == "email.bounced"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["User-Agent"] == "Lettr-Webhooks/1.0"
    t = lettr_server.clock.timestamp()
    header = request.headers["Lettr-Signature"]
    stamp = int(header.split(",")[0].removeprefix("t="))
    assert abs(stamp - t) <= 2
    assert header == f"t={stamp},v1={v1_of(lettr_webhooks.secret, stamp, request.body)}"
    assert lettr_webhooks.secret.startswith("whsec_") and len(lettr_webhooks.secret) == 38
    assert lettr_webhooks.secret not in repr(lettr_webhooks)


@pytest.mark.parametrize("event_type", EVENT_TYPES)
def test_samples_have_the_fields_of_their_type(lettr_webhooks: WebhookTester, event_type: str) -> None:
    event = lettr_webhooks.request(event_type).event
    assert list(event) == ["id", "type", "createdAt", "data"]
    assert set(event["data"]) == FIELDS[event_type]
    assert event["id"].startswith("evt_") and len(event["id"]) == 28
    if event_type == "email.bounced":
        assert event["data"]["bounceType"] in ("hard", "soft")
    if event_type in ("email.sent", "email.received"):
        assert isinstance(event["data"]["to"], list) and "@" in event["data"]["to"][0]


def test_data_fields_can_be_overridden(lettr_webhooks: WebhookTester) -> None:
    request = lettr_webhooks.request("email.opened", isFirstOpen=False, metadata={"userId": "u_1"})
    assert request.event["data"]["isFirstOpen"] is False
    assert request.event["data"]["metadata"] == {"userId": "u_1"}
    assert [r.event_type for r in lettr_webhooks.requests()] == list(EVENT_TYPES)
    with pytest.raises(ValueError, match="unknown event type"):
        lettr_webhooks.request("email.exploded")


def test_samples_are_reproducible_from_the_seed() -> None:
    moment = datetime(2024, 1, 15, tzinfo=timezone.utc)
    clock = Clock()
    clock.set(moment, frozen=True)
    first = WebhookTester(clock, Entropy("7:test_x")).request("email.clicked")
    second = WebhookTester(clock, Entropy("7:test_x")).request("email.clicked")
    other = WebhookTester(clock, Entropy("8:test_x")).request("email.clicked")
    assert first == second and first.body != other.body


@pytest.mark.parametrize(("twin", "error", "direction"), [
    ("tampered", SignatureMismatchError, None),
    ("wrong_secret", SignatureMismatchError, None),
    ("expired", TimestampOutsideToleranceError, "past"),
    ("future", TimestampOutsideToleranceError, "future"),
    ("missing_signature", MissingSignatureError, None),
    ("malformed_signature", MalformedSignatureError, None),
])
def test_each_bad_twin_fails_verification_for_its_reason(lettr_webhooks: WebhookTester,
                                                         lettr_server: LettrServer, twin: str,
                                                         error: type[Exception], direction: str | None) -> None:
    good = lettr_webhooks.request("email.delivered")
    verify_webhook(good.body, good.signature, lettr_webhooks.secret, now=lettr_server.clock.timestamp())
    bad = lettr_webhooks.bad_twins(good)[twin]
    assert bad.kind == twin and bad.event_id == good.event_id
    with pytest.raises(error) as caught:
        verify_webhook(bad.body, bad.signature, lettr_webhooks.secret, now=lettr_server.clock.timestamp())
    if direction is not None:
        assert isinstance(caught.value, TimestampOutsideToleranceError)
        assert caught.value.direction == direction


def test_bad_twins_are_subtle(lettr_webhooks: WebhookTester, lettr_server: LettrServer) -> None:
    good = lettr_webhooks.request("email.sent")
    twins = lettr_webhooks.bad_twins(good)
    assert tuple(twins) == BAD_TWINS
    tampered = twins["tampered"]
    assert tampered.signature == good.signature and tampered.body != good.body
    assert json.loads(tampered.body)["data"]["to"] == ["attacker@example.net"]
    assert twins["wrong_secret"].body == good.body
    assert twins["wrong_secret"].signature.split(",")[0] == good.signature.split(",")[0]  # type: ignore[union-attr]
    assert "Lettr-Signature" not in twins["missing_signature"].headers
    # expired and future are authentic: they verify without a time check
    for name in ("expired", "future"):
        verify_webhook(twins[name].body, twins[name].signature, lettr_webhooks.secret, tolerance=None)
    assert good.kind == "valid"


def test_tampering_a_non_email_payload_still_changes_the_body(lettr_webhooks: WebhookTester) -> None:
    raw = lettr_webhooks.sign(b"not json")
    assert lettr_webhooks.tampered(raw).body == b"not json "
    plain = lettr_webhooks.sign({"id": "evt_1", "type": "email.opened", "createdAt": "x", "data": {}})
    assert json.loads(lettr_webhooks.tampered(plain).body)["data"] == {"tampered": True}


def test_sign_accepts_a_given_event_secret_and_time(lettr_webhooks: WebhookTester) -> None:
    event = {"id": "evt_abc", "type": "email.sent", "createdAt": "2024-01-15T10:30:00Z", "data": {"x": 1}}
    request = lettr_webhooks.sign(event, secret="whsec_other", timestamp=1705314600, extra_secrets=("whsec_b",))
    assert request.body == b'{"id":"evt_abc","type":"email.sent","createdAt":"2024-01-15T10:30:00Z","data":{"x":1}}'
    assert request.signature == (f"t=1705314600,v1={v1_of('whsec_other', 1705314600, request.body)},"
                                 f"v1={v1_of('whsec_b', 1705314600, request.body)}")
    assert request.signature == sign_webhook(event, "whsec_other", timestamp=1705314600,
                                             extra_secrets=["whsec_b"])


def test_deliver_to_a_wsgi_app_from_a_lettr_address_or_a_chosen_one(lettr_webhooks: WebhookTester,
                                                                    lettr_server: LettrServer) -> None:
    app = Verifying(lettr_webhooks.secret, lettr_server.clock)
    good = lettr_webhooks.request("email.sent")
    response = lettr_webhooks.deliver(good, to=app)
    assert (response.status_code, response.text) == (200, "processed")
    assert lettr_webhooks.deliver(good, to=app, remote_addr="198.51.100.9").status_code == 403
    for name, bad in lettr_webhooks.bad_twins(lettr_webhooks.request("email.opened")).items():
        response = lettr_webhooks.deliver(bad, to=app)
        assert response.status_code == 400, name
    assert [r.kind for r, _ in lettr_webhooks.delivered][:2] == ["valid", "valid"]
    assert len(lettr_webhooks.delivered) == 2 + len(BAD_TWINS)


def test_replay_is_the_same_event_freshly_signed(lettr_webhooks: WebhookTester, lettr_server: LettrServer) -> None:
    app = Verifying(lettr_webhooks.secret, lettr_server.clock)
    lettr_server.clock.freeze()
    first = lettr_webhooks.request("email.complained")
    assert lettr_webhooks.deliver(first, to=app).text == "processed"
    lettr_server.clock.advance(minutes=10)  # the first signature is now stale; a replay is re-signed
    replay = lettr_webhooks.replay()
    assert replay.kind == "replay" and replay.body == first.body and replay.event_id == first.event_id
    assert replay.signature != first.signature
    assert lettr_webhooks.deliver(replay, to=app).text == "duplicate"
    assert app.processed == [first.event_id]
    assert lettr_webhooks.replay(first).body == first.body


def test_replay_needs_something_delivered(lettr_webhooks: WebhookTester) -> None:
    with pytest.raises(ValueError, match="nothing was delivered"):
        lettr_webhooks.replay()


def test_deliver_to_an_asgi_app(lettr_webhooks: WebhookTester) -> None:
    seen: list[tuple[str | None, str]] = []

    async def hook(request: StarletteRequest) -> JSONResponse:
        seen.append((request.client.host if request.client else None, request.url.path))
        event = verify_webhook(await request.body(), request.headers.get("lettr-signature"), lettr_webhooks.secret,
                               tolerance=None)
        return JSONResponse({"received": event["id"]})

    app = Starlette(routes=[Route("/hooks/lettr", hook, methods=["POST"])])
    request = lettr_webhooks.request("email.unsubscribed")
    response = lettr_webhooks.deliver(request, to=app, path="/hooks/lettr", remote_addr="203.0.113.11")
    assert response.status_code == 200 and response.json() == {"received": request.event_id}
    assert seen == [("203.0.113.11", "/hooks/lettr")]


def test_deliver_over_http_to_a_live_receiver(lettr_webhooks: WebhookTester, receiver: Receiver) -> None:
    request = lettr_webhooks.request("email.delivered")
    response = lettr_webhooks.deliver(request, to=receiver.url + "/in")
    assert response.status_code == 200 and response.body == b"received"
    got = receiver.requests[0]
    assert got.path == "/in" and got.body == request.body
    assert got.headers["Lettr-Signature"] == request.signature
    with pytest.raises(ValueError, match="remote_addr"):
        lettr_webhooks.deliver(request, to=receiver.url, remote_addr="203.0.113.10")


def test_a_default_target_and_app_errors(lettr_webhooks: WebhookTester) -> None:
    request = lettr_webhooks.request()
    with pytest.raises(ValueError, match="to="):
        lettr_webhooks.deliver(request)

    def broken(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        raise KeyError("LETTR_WEBHOOK_SECRET")

    lettr_webhooks.target = broken
    with pytest.raises(KeyError, match="LETTR_WEBHOOK_SECRET"):
        lettr_webhooks.deliver(request)


def test_signed_request_repr_hides_nothing_secret(lettr_webhooks: WebhookTester) -> None:
    request: SignedRequest = lettr_webhooks.request()
    assert lettr_webhooks.secret not in repr(request)
