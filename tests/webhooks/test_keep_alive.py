"""Keep-alive per target: one connection carries a webhook's deliveries, in order; a connection
the receiver closed while idle is replaced without losing the delivery."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from support import client_for

from pytest_lettr import LettrServer


class KeepAliveReceiver:
    """HTTP/1.1 with persistent connections; records (connection port, event id) per POST."""

    def __init__(self) -> None:
        self.seen: list[tuple[int, str]] = []
        self.close_next = False
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.seen.append((self.client_address[1], json.loads(body)["id"]))
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()
                if receiver.close_next:  # answer, then hang up without saying so
                    receiver.close_next = False
                    self.wfile.flush()
                    self.close_connection = True

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02},
                                       daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture
def receiver() -> Iterator[KeepAliveReceiver]:
    running = KeepAliveReceiver()
    running.thread.start()
    yield running
    running.server.shutdown()
    running.server.server_close()


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
