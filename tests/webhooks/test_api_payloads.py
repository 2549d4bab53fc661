"""What ``/api`` webhooks receive: Lettr's documented ``msys`` array, parsed as its pages' handlers do.

The handler below is written from Lettr's webhook and suppression pages (in this project's own
words): the body is an array; each element's ``msys`` object holds one member whose value is the
event; the event's ``type`` decides what to do; ``bounce_class`` and ``timestamp`` are read with an
integer parse, ``rcpt_meta`` as an object. Emails are sent with the official SDK; deliveries arrive
over real HTTP at a loopback receiver.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import httpx
import lettr
import pytest
from support import Receiver, client_for

from pytest_lettr import LettrServer
from pytest_lettr.webhooks.payloads import msys_envelope

HARD_BOUNCE_CLASSES = (10, 30, 100)


@dataclass
class DocsHandler:
    """A webhook handler as Lettr's pages write one."""

    delivered: list[str] = field(default_factory=list)
    opens: list[tuple[str, str]] = field(default_factory=list)
    clicks: list[str] = field(default_factory=list)
    invalid: dict[str, str] = field(default_factory=dict)
    complaints: list[tuple[str, str | None]] = field(default_factory=list)
    unsubscribes: list[tuple[str, str, str | None, datetime]] = field(default_factory=list)
    unhandled: list[str] = field(default_factory=list)
    seen_ids: set[str] = field(default_factory=set)

    def handle(self, body: bytes) -> None:
        for element in json.loads(body):
            members = element.get("msys") or {}
            category = next(iter(members), None)
            data = members.get(category) if category else None
            if not data or data["event_id"] in self.seen_ids:  # duplicates are skipped by event id
                continue
            self.seen_ids.add(data["event_id"])
            self._dispatch(data)

    def _dispatch(self, data: dict[str, Any]) -> None:
        kind = data["type"]
        if kind == "delivery":
            self.delivered.append(data["message_id"])
        elif kind in ("open", "initial_open"):
            self.opens.append((kind, data["rcpt_to"]))
        elif kind == "click":
            self.clicks.append(data["target_link_url"])
        elif kind in ("bounce", "out_of_band"):
            if int(data["bounce_class"]) in HARD_BOUNCE_CLASSES:
                self.invalid[data["rcpt_to"]] = data["raw_reason"]
        elif kind == "spam_complaint":
            self.complaints.append((data["rcpt_to"], data["rcpt_meta"].get("userId")))
        elif kind in ("list_unsubscribe", "link_unsubscribe"):
            moment = datetime.fromtimestamp(int(data["timestamp"]), tz=timezone.utc)
            self.unsubscribes.append((data["rcpt_to"], kind, data["rcpt_meta"].get("userId"), moment))
        else:
            self.unhandled.append(kind)


@pytest.fixture
def sdk(lettr_server: LettrServer) -> Iterator[lettr.Lettr]:
    client = lettr.Lettr(lettr_server.create_key("SDK", mode="api").key, base_url=lettr_server.api_url)
    yield client
    client.close()


def send(lettr_server: LettrServer, sdk: lettr.Lettr, to: str = "ada@example.com", **extra: Any) -> str:
    kwargs: dict[str, Any] = {"from_email": "app@example.com", "from_name": "Shop", "to": [to], "subject": "Your order",
                              "html": "<p>Thanks</p>", "amp_html": "<html amp4email><body>Thanks</body></html>",
                              "tag": "orders", "metadata": {"userId": "user_789"}}
    kwargs.update(extra)
    return sdk.emails.send(**kwargs).request_id


def stored(lettr_server: LettrServer, request_id: str) -> str:
    (email,) = [e for e in lettr_server.emails if e.request_id == request_id]
    return email.id


def test_a_handler_written_from_the_docs_sees_every_delivery(lettr_server: LettrServer, sdk: lettr.Lettr,
                                                              receiver: Receiver) -> None:
    lettr_server.clock.freeze()
    sdk.webhooks.create(name="All", url=receiver.url + "/hooks", auth_type="none", events_mode="all")
    ada, bob, cy = (stored(lettr_server, send(lettr_server, sdk, to)) for to in
                    ("ada@example.com", "bob@example.com", "cy@example.com"))
    for step in ("delivery", "open", "open", "click"):
        lettr_server.simulate(ada, step, url="https://shop.example/orders/1")
    lettr_server.simulate(bob, "bounce", bounce_type="hard")
    lettr_server.simulate(cy, "delivery")
    lettr_server.simulate(cy, "spam_complaint")
    lettr_server.clock.advance(seconds=90)
    lettr_server.simulate(ada, "list_unsubscribe")

    handler = DocsHandler()
    for request in receiver.requests:
        handler.handle(request.body)
        handler.handle(request.body)  # a retried delivery changes nothing
    assert handler.delivered == [ada.removeprefix("email_"), cy.removeprefix("email_")]
    assert handler.opens == [("initial_open", "ada@example.com"), ("open", "ada@example.com")]
    assert handler.clicks == ["https://shop.example/orders/1"]
    assert list(handler.invalid) == ["bob@example.com"] and handler.invalid["bob@example.com"].startswith("550 ")
    assert handler.complaints == [("cy@example.com", "user_789")]
    unsubscribed_at = lettr_server.clock.now().replace(microsecond=0)  # Unix seconds on the wire
    assert handler.unsubscribes == [("ada@example.com", "list_unsubscribe", "user_789", unsubscribed_at)]
    assert handler.unhandled == ["injection"] * 3
    assert len(handler.seen_ids) == len(receiver.requests) == 11


#: Every documented webhook event type but relay ones (spelled as the event-type page does), the
#: steps that make it happen after a send, and the ``msys`` member it arrives in.
FIRING: list[tuple[str, list[str], str]] = [
    ("message.injection", [], "message_event"),
    ("message.delivery", ["delivery"], "message_event"),
    ("message.bounce", ["bounce"], "message_event"),
    ("message.delay", ["delay"], "message_event"),
    ("message.out_of_band", ["delivery", "out_of_band"], "message_event"),
    ("message.spam_complaint", ["delivery", "spam_complaint"], "message_event"),
    ("message.policy_rejection", ["policy_rejection"], "message_event"),
    ("engagament.open", ["delivery", "open", "open"], "track_event"),
    ("engagament.initial_open", ["delivery", "open"], "track_event"),
    ("engagament.click", ["delivery", "click"], "track_event"),
    ("engagament.amp_open", ["delivery", "amp_open", "amp_open"], "track_event"),
    ("engagament.amp_initial_open", ["delivery", "amp_open"], "track_event"),
    ("engagament.amp_click", ["delivery", "amp_click"], "track_event"),
    ("generation.generation_failure", ["generation_failure"], "gen_event"),
    ("generation.generation_rejection", ["generation_rejection"], "gen_event"),
    ("unsubscribe.list_unsubscribe", ["delivery", "list_unsubscribe"], "unsubscribe_event"),
    ("unsubscribe.link_unsubscribe", ["delivery", "link_unsubscribe"], "unsubscribe_event"),
]


@pytest.mark.parametrize(("subscription", "steps", "member"), FIRING)
def test_every_documented_event_type_can_fire_alone(lettr_server: LettrServer, sdk: lettr.Lettr,
                                                    receiver: Receiver, subscription: str, steps: list[str],
                                                    member: str) -> None:
    sdk.webhooks.create(name="One", url=receiver.url + "/hooks", auth_type="none", events_mode="selected",
                        events=[subscription])
    email_id = stored(lettr_server, send(lettr_server, sdk))
    for step in steps:
        lettr_server.simulate(email_id, step)
    (request,) = receiver.requests
    (element,) = request.json()
    assert list(element) == ["msys"] and list(element["msys"]) == [member]
    event = element["msys"][member]
    wanted = subscription.partition(".")[2]
    assert event["type"] == wanted
    assert request.headers["Lettr-Event-Type"].partition(".")[2] == wanted
    assert event["rcpt_meta"] == {"userId": "user_789"} and event["rcpt_tags"] == ["orders"]


def test_delivered_fields_follow_the_payload_examples(lettr_server: LettrServer, sdk: lettr.Lettr,
                                                      receiver: Receiver) -> None:
    lettr_server.clock.freeze()
    sdk.webhooks.create(name="Bounces", url=receiver.url + "/hooks", auth_type="none", events_mode="selected",
                        events=["message.bounce"])
    request_id = send(lettr_server, sdk)
    event = lettr_server.simulate(stored(lettr_server, request_id), "bounce", bounce_category="invalid_recipient")
    (element,) = receiver.requests[0].json()
    data = element["msys"]["message_event"]
    assert list(data)[:4] == ["type", "event_id", "timestamp", "transmission_id"]
    assert (data["type"], data["event_id"]) == ("bounce", event.id)
    assert data["timestamp"] == str(int(lettr_server.clock.timestamp()))
    assert data["transmission_id"] == data["request_id"] == request_id
    assert (data["bounce_class"], data["error_code"], data["num_retries"]) == ("10", "550", "0")
    assert data["raw_reason"].startswith("550 5.1.1")
    assert (data["rcpt_to"], data["friendly_from"], data["subject"]) == ("ada@example.com",
                                                                         "app@example.com", "Your order")
    assert (data["rcpt_meta"], data["rcpt_tags"], data["campaign_id"]) == ({"userId": "user_789"}, ["orders"],
                                                                           "orders")
    (listed,) = sdk.emails.list_events(events=["bounce"]).results
    assert (listed.event_id, listed.bounce_class, listed.rcpt_meta) == (event.id, 10, {"userId": "user_789"})
    assert listed.timestamp is not None and listed.timestamp.startswith(
        lettr_server.clock.now().strftime("%Y-%m-%dT%H:%M:%S"))  # the events list keeps ISO 8601


def test_rcpt_meta_is_an_object_even_without_metadata(lettr_server: LettrServer, sdk: lettr.Lettr,
                                                      receiver: Receiver) -> None:
    sdk.webhooks.create(name="All", url=receiver.url + "/hooks", auth_type="none", events_mode="all")
    sdk.emails.send(from_email="app@example.com", to=["ada@example.com"], subject="Hi", html="<p>Hi</p>")
    (element,) = receiver.requests[0].json()
    assert element["msys"]["message_event"]["rcpt_meta"] == {}
    assert element["msys"]["message_event"]["rcpt_tags"] == []
    (listed,) = sdk.emails.list_events().results
    assert listed.rcpt_meta is None  # the events list shows null, as its list items do


@pytest.fixture
def v1(lettr_server: LettrServer) -> Iterator[httpx.Client]:
    with client_for(lettr_server) as client:
        yield client


def test_v1_webhooks_keep_their_own_vocabulary(lettr_server: LettrServer, sdk: lettr.Lettr, v1: httpx.Client,
                                               receiver: Receiver) -> None:
    created = v1.post("/webhooks", json={"url": receiver.url + "/v1", "events": ["*"]})
    assert created.status_code in (200, 201), created.text
    ada, bob, cy = (stored(lettr_server, send(lettr_server, sdk, to)) for to in
                    ("ada@example.com", "bob@example.com", "cy@example.com"))
    lettr_server.simulate(ada, "delivery")
    lettr_server.simulate(ada, "amp_open")
    lettr_server.simulate(ada, "out_of_band")
    lettr_server.simulate(bob, "policy_rejection")
    lettr_server.simulate(cy, "generation_failure")
    bodies = [r.json() for r in receiver.requests]
    assert [b["type"] for b in bodies] == ["email.sent"] * 3 + ["email.delivered", "email.opened", "email.bounced"]
    assert bodies[4]["data"]["isFirstOpen"] is True and bodies[5]["data"]["bounceType"] == "hard"
    assert all("msys" not in body for body in bodies)
    assert [e["status"] for e in (v1.get(f"/emails/{i}").json() for i in (ada, bob, cy))] == ["bounced", "failed",
                                                                                            "failed"]


def test_msys_envelope_wraps_a_copy() -> None:
    body = {"type": "relay_delivery", "rcpt_to": "support@in.example.com"}
    wrapped = msys_envelope("relay_message", body)
    assert wrapped == {"msys": {"relay_message": {"type": "relay_delivery", "rcpt_to": "support@in.example.com"}}}
    wrapped["msys"]["relay_message"]["type"] = "changed"
    assert body["type"] == "relay_delivery"
