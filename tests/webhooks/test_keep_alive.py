"""Keep-alive per target: one connection carries a webhook's deliveries, in order; a connection
the receiver closed while idle is replaced without losing the delivery."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from support import client_for

from pytest_lettr import LettrServer

from .conftest import KeepAliveReceiver


@pytest.fixture
def receiver() -> Iterator[KeepAliveReceiver]:
    with KeepAliveReceiver() as running:
        yield running


SEND = {"from": "shop@example.com", "to": ["ada@example.com"], "subject": "Receipt", "text": "Thanks"}


def test_one_connection_carries_a_webhooks_deliveries_in_order(lettr_server: LettrServer,
                                                             receiver: KeepAliveReceiver) -> None:
    webhook, _ = lettr_server.add_webhook(receiver.url + "/hooks", ["email.sent"])
    with client_for(lettr_server) as client:
        for _ in range(6):
            assert client.post("/emails", json=SEND).status_code == 200
    events = [e.id for e in lettr_server.account.events if e.type == "email.sent"]
    assert [event for _, event in receiver.seen] == events
    assert len({port for port, _ in receiver.seen}) == 1
    assert {d.status for d in lettr_server.webhooks.deliveries(webhook.id)} == {"succeeded"}


def test_a_connection_closed_while_idle_is_replaced(lettr_server: LettrServer, receiver: KeepAliveReceiver) -> None:
    lettr_server.add_webhook(receiver.url + "/hooks", ["email.sent"])
    with client_for(lettr_server) as client:
        client.post("/emails", json=SEND)
        receiver.close_next = True
        client.post("/emails", json=SEND)
        client.post("/emails", json=SEND)
    assert len(receiver.seen) == 3 and len({port for port, _ in receiver.seen}) == 2
    assert {d.status for d in lettr_server.webhook_deliveries} == {"succeeded"}
    assert all(len(d.attempts) == 1 for d in lettr_server.webhook_deliveries)


def test_reset_closes_kept_connections(lettr_server: LettrServer, receiver: KeepAliveReceiver) -> None:
    lettr_server.add_webhook(receiver.url + "/hooks", ["email.sent"])
    with client_for(lettr_server) as client:
        client.post("/emails", json=SEND)
    inflight = lettr_server.account.delivery_engine.inflight
    assert inflight._idle and all(inflight._idle.values())
    lettr_server.reset()
    assert not inflight._idle


def test_in_process_apps_are_called_in_the_requesting_thread(lettr_server: LettrServer,
                                                             receiver: KeepAliveReceiver) -> None:
    """A test's database connection or app context belongs to its thread: in-process receivers
    are never called from a helper thread, even when several webhooks get the same event."""
    from werkzeug.wrappers import Response

    threads: list[str] = []

    def app(environ: dict[str, object], start_response: object) -> object:
        threads.append(threading.current_thread().name)
        return Response("ok")(environ, start_response)  # type: ignore[arg-type]

    for _ in range(3):
        lettr_server.add_webhook(app, ["email.sent"])
    lettr_server.add_webhook(receiver.url + "/hooks", ["email.sent"])
    lettr_server.account.emit("email.sent", None, {"email_id": "e"})
    assert threads == [threading.current_thread().name] * 3
    assert len(receiver.seen) == 1
