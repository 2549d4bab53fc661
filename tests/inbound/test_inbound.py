"""Inbound mail: to an inbound domain over SMTP (as to an MX) or through ``receive``, relayed to webhooks."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from email.message import EmailMessage
from email.policy import SMTP
from typing import Any

import httpx
import pytest
from flask import Flask, request
from support import Receiver, smtp_client
from werkzeug.serving import make_server

from pytest_lettr import LettrServer

DOMAIN = "in.example.com"


def reply_message() -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "Ada Lovelace <ada@example.com>"
    msg["To"] = f"support@{DOMAIN}"
    msg["Cc"] = "Team <team@example.com>"
    msg["Subject"] = "Re: Your order =?utf-8?q?=E2=9C=93?="
    msg["Message-ID"] = "<reply-1@example.com>"
    msg["In-Reply-To"] = "<order-1@shop.example.com>"
    msg.set_content("Thanks, it arrived.")
    msg.add_alternative("<p>Thanks, it <b>arrived</b>.</p>", subtype="html")
    msg.add_attachment(b"\x89PNG photo", maintype="image", subtype="png", filename="photo.png")
    return msg


@pytest.fixture
def flask_inbox() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A Flask app that handles inbound replies as Lettr's guide does, served on loopback."""
    app = Flask("inbox")
    handled: list[dict[str, Any]] = []

    @app.post("/webhooks/inbound")
    def inbound() -> tuple[str, int]:
        for event in request.get_json():
            relay = event["msys"]["relay_message"]
            handled.append({"sender": relay["msg_from"], "recipient": relay["rcpt_to"],
                            "subject": relay["content"]["subject"], "body": relay["content"]["text"],
                            "headers": relay["content"]["headers"], "relay": relay})
        return "", 200

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/webhooks/inbound", handled
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_an_inbound_reply_over_smtp_reaches_a_flask_handler_in_the_documented_shape(
        lettr_server: LettrServer, flask_inbox: tuple[str, list[dict[str, Any]]]) -> None:
    url, handled = flask_inbox
    lettr_server.add_inbound_domain(DOMAIN)
    hook = lettr_server.api_webhooks.create("Inbound", url, event_types=["relay.relay_delivery"])
    with smtp_client(lettr_server, login=False) as mx:  # as a sending MTA would: no AUTH
        mx.send_message(reply_message(), from_addr="bounces@example.com", to_addrs=[f"support@{DOMAIN}"])
    (got,) = handled
    relay = got["relay"]
    assert (got["sender"], got["recipient"]) == ("bounces@example.com", f"support@{DOMAIN}")
    assert relay["friendly_from"] == "Ada Lovelace <ada@example.com>"
    assert relay["webhook_id"] == hook.id and relay["customer_id"] == lettr_server.inbound.customer_id
    assert got["subject"] == "Re: Your order ✓" and got["body"].strip() == "Thanks, it arrived."
    assert "<b>arrived</b>" in relay["content"]["html"]
    assert {"In-Reply-To": "<order-1@shop.example.com>"} in got["headers"]
    assert {"To": [f"support@{DOMAIN}"]} in got["headers"] and {"CC": ["team@example.com"]} in got["headers"]
    assert relay["content"]["to"] == [f"support@{DOMAIN}"]
    assert "Message-ID: <reply-1@example.com>" in relay["content"]["email_rfc822"]
    (message,) = lettr_server.inbound.messages
    assert message.events == ["relay.relay_injection", "relay.relay_delivery"]
    assert len(lettr_server.emails) == 0  # received mail is not sent mail


def test_receive_takes_a_message_object_bytes_or_fields(lettr_server: LettrServer) -> None:
    lettr_server.add_inbound_domain(DOMAIN)
    with Receiver() as receiver:
        lettr_server.api_webhooks.create("Inbound", receiver.url + "/in", event_types=["relay.relay_delivery"])
        lettr_server.receive(reply_message())
        lettr_server.receive(reply_message().as_bytes(), to=f"help@{DOMAIN}", mail_from="x@example.com")
        lettr_server.receive(sender="eve@example.com", to=f"sales@{DOMAIN}", subject="Quote?", text="How much?")
        bodies = [r.json()[0]["msys"]["relay_message"] for r in receiver.requests]
    assert [b["rcpt_to"] for b in bodies] == [f"support@{DOMAIN}", f"help@{DOMAIN}", f"sales@{DOMAIN}"]
    assert [b["msg_from"] for b in bodies] == ["ada@example.com", "x@example.com", "eve@example.com"]
    assert bodies[2]["content"]["subject"] == "Quote?" and bodies[2]["content"]["text"].strip() == "How much?"


def test_an_unknown_or_unverified_domain_is_rejected(lettr_server: LettrServer) -> None:
    lettr_server.add_inbound_domain("pending.example.com", verified=False)
    assert lettr_server.inbound.domains["pending.example.com"].status == "unverified"
    with Receiver() as receiver:
        lettr_server.api_webhooks.create("Inbound", receiver.url + "/in")
        assert lettr_server.receive(sender="a@example.com", to="x@pending.example.com", subject="s", text="t") == []
        assert lettr_server.receive(sender="a@example.com", to="x@nowhere.example.com", subject="s", text="t") == []
        assert receiver.requests == []
    assert [e.type for e in lettr_server.inbound.rejections] == ["relay.relay_rejection"] * 2
    lettr_server.inbound.set_mx("pending.example.com", found=True)
    assert lettr_server.inbound.domains["pending.example.com"].status == "valid"
    assert len(lettr_server.receive(sender="a@example.com", to="x@pending.example.com", subject="s", text="t")) == 1


def test_a_failing_receiver_gets_retries_then_tempfail_and_permfail(lettr_server: LettrServer) -> None:
    lettr_server.add_inbound_domain(DOMAIN)
    with Receiver() as receiver:
        receiver.default_status = 503
        lettr_server.api_webhooks.create("Inbound", receiver.url + "/in", event_types=["relay.relay_delivery"])
        (message,) = lettr_server.receive(sender="a@example.com", to=f"s@{DOMAIN}", subject="s", text="t")
        assert message.events == ["relay.relay_injection", "relay.relay_tempfail"]
        (delivery,) = message.deliveries
        for _ in range(delivery.max_attempts):
            lettr_server.clock.advance(days=1)
        attempts = len(receiver.requests)
    assert attempts == delivery.max_attempts and delivery.status == "failed"
    assert message.events[-1] == "relay.relay_permfail"
    assert message.events.count("relay.relay_tempfail") == delivery.max_attempts - 1


def test_a_receiver_that_recovers_gets_the_delivery(lettr_server: LettrServer) -> None:
    lettr_server.add_inbound_domain(DOMAIN)
    with Receiver() as receiver:
        receiver.script = [500]
        lettr_server.api_webhooks.create("Inbound", receiver.url + "/in", event_types=["relay.relay_delivery"])
        (message,) = lettr_server.receive(sender="a@example.com", to=f"s@{DOMAIN}", subject="s", text="t")
        lettr_server.clock.advance(hours=1)
        assert len(receiver.requests) == 2
        assert receiver.requests[0].body == receiver.requests[1].body  # the same bytes are retried
    assert message.events == ["relay.relay_injection", "relay.relay_tempfail", "relay.relay_delivery"]


def test_attachments_are_served_at_urls_that_expire_after_24_hours(lettr_server: LettrServer) -> None:
    lettr_server.add_inbound_domain(DOMAIN)
    with Receiver() as receiver:
        lettr_server.api_webhooks.create("Inbound", receiver.url + "/in", event_types=["relay.relay_delivery"])
        lettr_server.receive(reply_message())
        (attachment,) = receiver.requests[0].json()[0]["msys"]["relay_message"]["content"]["attachments"]
    assert (attachment["filename"], attachment["contentType"], attachment["size"]) == ("photo.png", "image/png", 10)
    assert attachment["url"].startswith(lettr_server.url + "/inbound/attachments/")
    fetched = httpx.get(attachment["url"])
    assert fetched.status_code == 200 and fetched.content == b"\x89PNG photo"
    assert fetched.headers["content-type"] == "image/png"
    lettr_server.clock.advance(hours=23, minutes=59)
    assert httpx.get(attachment["url"]).status_code == 200
    lettr_server.clock.advance(minutes=1)
    assert httpx.get(attachment["url"]).status_code == 410
    assert httpx.get(lettr_server.url + "/inbound/attachments/nope").status_code == 404


def test_webhooks_not_subscribed_to_relay_deliveries_get_nothing(lettr_server: LettrServer) -> None:
    lettr_server.add_inbound_domain(DOMAIN)
    with Receiver() as receiver:
        lettr_server.api_webhooks.create("Bounces", receiver.url + "/b", event_types=["message.bounce"])
        (message,) = lettr_server.receive(reply_message())
        assert receiver.requests == []
    assert message.events == ["relay.relay_injection"]


def test_an_mx_delivery_to_several_recipients_relays_each(lettr_server: LettrServer) -> None:
    lettr_server.add_inbound_domain(DOMAIN)
    with Receiver() as receiver:
        lettr_server.api_webhooks.create("Inbound", receiver.url + "/in", event_types=["relay.relay_delivery"])
        with smtp_client(lettr_server, login=False, tls=False) as mx:  # plain, as many MTAs try first
            refused = mx.sendmail("a@example.com", [f"one@{DOMAIN}", "x@elsewhere.example.com", f"two@{DOMAIN}"],
                                  reply_message().as_bytes(policy=SMTP))
        rcpts = sorted(r.json()[0]["msys"]["relay_message"]["rcpt_to"] for r in receiver.requests)
    assert list(refused) == ["x@elsewhere.example.com"] and refused["x@elsewhere.example.com"][0] == 550
    assert rcpts == [f"one@{DOMAIN}", f"two@{DOMAIN}"]


def test_a_duplicate_inbound_domain_is_a_conflict(lettr_server: LettrServer) -> None:
    from pytest_lettr import errors

    lettr_server.add_inbound_domain(DOMAIN)
    with pytest.raises(errors.Conflict):
        lettr_server.add_inbound_domain(DOMAIN.upper())
