"""One event, many webhooks: the body is rendered once and signed once per webhook, the POSTs go
out together, a slow receiver holds up no other, and each webhook keeps its order and its
connection."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
from support import Receiver, client_for
from support.rogue import Rogue

from pytest_lettr import LettrServer, verify_webhook
from pytest_lettr.webhooks import payloads

from .conftest import KeepAliveReceiver

SEND = {"from": "shop@example.com", "to": ["ada@example.com"], "subject": "Receipt", "text": "Thanks"}


def send(server: LettrServer, count: int = 1) -> None:
    with client_for(server) as client:
        for _ in range(count):
            assert client.post("/emails", json=SEND).status_code == 200


@pytest.fixture
def keep_alive() -> Iterator[list[KeepAliveReceiver]]:
    receivers = [KeepAliveReceiver() for _ in range(3)]
    for receiver in receivers:
        receiver.__enter__()
    yield receivers
    for receiver in receivers:
        receiver.__exit__()


def test_one_events_body_is_rendered_once_and_signed_once_per_webhook(
        lettr_server: LettrServer, receiver: Receiver, monkeypatch: pytest.MonkeyPatch) -> None:
    secrets = {f"/hook{n}": lettr_server.add_webhook(f"{receiver.url}/hook{n}", ["email.sent"])[1] for n in range(5)}
    for n in range(2):
        lettr_server.api_webhooks.create(f"api {n}", f"{receiver.url}/api{n}")
    signed: list[bytes] = []
    real_sign = payloads.sign_webhook

    def counting(body: bytes, *args: object, **kwargs: object) -> str:
        signed.append(body)
        return real_sign(body, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(payloads, "sign_webhook", counting)
    send(lettr_server)
    v1 = lettr_server.webhooks.deliveries()
    api = lettr_server.api_webhooks.deliveries()
    assert len(v1) == 5 and len(api) == 2
    assert all(d.body is v1[0].body for d in v1) and all(d.body is api[0].body for d in api)
    assert len(signed) == 5 and all(body is v1[0].body for body in signed)
    by_path = {r.path: r for r in receiver.requests}
    for path, secret in secrets.items():  # each receiver can check its own signature
        request = by_path[path]
        assert verify_webhook(request.body, request.headers["Lettr-Signature"], secret, tolerance=None)["type"] == \
            "email.sent"


@pytest.mark.parametrize("peer", ["silent", "trickle"])
def test_a_slow_receiver_holds_up_no_other(lettr_server: LettrServer, receiver: Receiver, peer: str) -> None:
    """The slow webhook is the first one: read in turn, the others would wait out its deadline."""
    lettr_server.account.delivery_engine.timeout = 1.0
    with Rogue(peer, interval=0.05, answer=Rogue.response(200, b"x" * 200)) as slow:
        stuck, _ = lettr_server.add_webhook(slow.url + "/slow", ["email.sent"])
        fast = [lettr_server.add_webhook(f"{receiver.url}/fast{n}", ["email.sent"])[0] for n in range(3)]
        started = time.monotonic()
        send(lettr_server)
        took = time.monotonic() - started
    (cut,) = lettr_server.webhooks.deliveries(stuck.id)
    assert cut.attempts[0].error == "timeout: no answer within 1 s" and cut.status == "pending"
    for webhook in fast:
        (delivery,) = lettr_server.webhooks.deliveries(webhook.id)
        assert delivery.status == "succeeded" and delivery.attempts[0].duration < 0.8, delivery.attempts[0]
    assert 1.0 <= took < 3.0  # one deadline, not one per webhook
    assert sorted(r.path for r in receiver.requests) == ["/fast0", "/fast1", "/fast2"]


def test_each_webhook_keeps_its_order_and_its_connection(lettr_server: LettrServer,
                                                         keep_alive: list[KeepAliveReceiver]) -> None:
    for peer in keep_alive:
        lettr_server.add_webhook(peer.url + "/hooks", ["email.sent"])
    send(lettr_server, 8)
    events = [e.id for e in lettr_server.account.events if e.type == "email.sent"]
    for peer in keep_alive:
        assert [event for _, event in peer.seen] == events
        assert len({port for port, _ in peer.seen}) == 1
    assert len(lettr_server.webhook_deliveries) == 24
    assert {d.status for d in lettr_server.webhook_deliveries} == {"succeeded"}


def test_kept_connections_closed_while_idle_are_replaced_in_a_fan_out(
        lettr_server: LettrServer, keep_alive: list[KeepAliveReceiver]) -> None:
    for peer in keep_alive:
        lettr_server.add_webhook(peer.url + "/hooks", ["email.sent"])
    send(lettr_server)
    for peer in keep_alive[:2]:
        peer.close_next = True
    send(lettr_server, 2)
    events = [e.id for e in lettr_server.account.events if e.type == "email.sent"]
    for n, peer in enumerate(keep_alive):
        assert [event for _, event in peer.seen] == events
        assert len({port for port, _ in peer.seen}) == (2 if n < 2 else 1)
    assert all(d.status == "succeeded" and len(d.attempts) == 1 for d in lettr_server.webhook_deliveries)


def test_a_fan_out_mixes_plain_https_and_in_process_receivers(lettr_server: LettrServer, receiver: Receiver,
                                                              tls_receiver: Receiver) -> None:
    from werkzeug.wrappers import Response

    threads: list[str] = []

    def app(environ: dict[str, object], start_response: object) -> object:
        threads.append(threading.current_thread().name)
        return Response("ok")(environ, start_response)  # type: ignore[arg-type]

    for url in (receiver.url + "/a", tls_receiver.url + "/tls", receiver.url + "/b"):
        lettr_server.add_webhook(url, ["email.sent"])
    lettr_server.add_webhook(app, ["email.sent"])
    send(lettr_server)
    assert [d.status for d in lettr_server.webhook_deliveries] == ["succeeded"] * 4
    assert sorted(r.path for r in receiver.requests) == ["/a", "/b"] and len(tls_receiver.requests) == 1
    assert len(threads) == 1 and threads[0] != "" and not threads[0].startswith("lettr-delivery")


def test_refused_and_off_machine_targets_fail_alone() -> None:
    """Engine level: the URL check at registration would refuse a non-loopback host."""
    from pytest_lettr.clock import Clock
    from pytest_lettr.webhooks.delivery import DeliveryEngine

    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    engine = DeliveryEngine(Clock(), iter(f"del_{n}" for n in range(10)).__next__, timeout=2.0)
    with Receiver() as live, engine.batch():
        refused = engine.deliver(f"http://127.0.0.1:{port}/h", b"{}", {}, webhook_id="a")
        away = engine.deliver("http://example.com/h", b"{}", {}, webhook_id="b")
        bad = engine.deliver(live.url + "/h", b"{}", {"X-Bad": "line\r\nbreak"}, webhook_id="c")
        fine = engine.deliver(live.url + "/ok", b"{}", {}, webhook_id="d")
    assert (refused.attempts[0].error or "").startswith("connection error: ConnectionRefusedError")
    assert (away.attempts[0].error or "").startswith("not delivered: example.com is not a loopback host")
    assert (bad.attempts[0].error or "").startswith("not sent: the X-Bad header value has a CR")
    assert fine.status == "succeeded" and [r.path for r in live.requests] == ["/ok"]
    engine.shutdown()


def test_a_reset_cuts_a_fan_out_in_flight() -> None:
    with Rogue("silent") as one, Rogue("silent") as two, LettrServer() as server:
        previous = server.account
        for peer in (one, two):
            server.add_webhook(peer.url + "/slow", ["email.sent"])
        answered: list[int] = []

        def post() -> None:
            with client_for(server) as client:
                answered.append(client.post("/emails", json=SEND).status_code)

        thread = threading.Thread(target=post, daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while not (one.requests and two.requests) and time.monotonic() < deadline:
            time.sleep(0.01)
        started = time.monotonic()
        server.reset()
        thread.join(10)
        assert not thread.is_alive() and answered == [200] and time.monotonic() - started < 5
        errors = [d.attempts[0].error or "" for d in previous.delivery_engine.deliveries]
        assert len(errors) == 2 and all("the account was closed" in e for e in errors), errors
        assert server.webhook_deliveries == []


class Overlap:
    """A receiver holding each POST 50 ms, recording the most POSTs per path it held at once."""

    def __init__(self) -> None:
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.busy: dict[str, int] = {}
        self.most: dict[str, int] = {}
        self.order: list[tuple[str, bytes]] = []
        lock = threading.Lock()
        overlap = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with lock:
                    overlap.order.append((self.path, body))
                    overlap.busy[self.path] = overlap.busy.get(self.path, 0) + 1
                    overlap.most[self.path] = max(overlap.most.get(self.path, 0), overlap.busy[self.path])
                time.sleep(0.05)
                with lock:
                    overlap.busy[self.path] -= 1
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_several_deliveries_of_one_webhook_in_one_batch_go_one_after_another() -> None:
    """An event emitted while another is delivered joins its batch: a webhook getting both
    receives them in order, never two at once, while other webhooks are attempted alongside."""
    from pytest_lettr.clock import Clock
    from pytest_lettr.webhooks.delivery import DeliveryEngine

    overlap = Overlap()
    engine = DeliveryEngine(Clock(), iter(f"del_{n}" for n in range(20)).__next__, timeout=5.0)
    try:
        with engine.batch():
            for n in range(3):
                engine.deliver(overlap.url + "/a", b"a%d" % n, {}, webhook_id="wh_a")
                engine.deliver(overlap.url + f"/b{n}", b"b", {}, webhook_id=f"wh_b{n}")
    finally:
        overlap.close()
        engine.shutdown()
    assert [body for path, body in overlap.order if path == "/a"] == [b"a0", b"a1", b"a2"]
    assert overlap.most["/a"] == 1
    assert len(overlap.order) == 6 and all(d.status == "succeeded" for d in engine.deliveries)


def test_a_big_body_to_a_receiver_that_stops_reading_stalls_no_other() -> None:
    """8 MiB to a listener that never accepts fills the socket buffers and blocks the write until
    the deadline; written in turn with the others, it would use up their time too."""
    from pytest_lettr.clock import Clock
    from pytest_lettr.webhooks.delivery import PIPELINED_BODY, DeliveryEngine

    stalled = socket.create_server(("127.0.0.1", 0))  # never accepts, never reads
    engine = DeliveryEngine(Clock(), iter(f"del_{n}" for n in range(10)).__next__, timeout=1.0)
    try:
        with Receiver() as live, engine.batch():
            big = engine.deliver(f"http://127.0.0.1:{stalled.getsockname()[1]}/h", b"x" * (8 << 20), {},
                                 webhook_id="big")
            small = [engine.deliver(f"{live.url}/ok{n}", b"{}", {}, webhook_id=f"s{n}") for n in range(2)]
    finally:
        stalled.close()
        engine.shutdown()
    assert len(big.body) > PIPELINED_BODY and big.attempts[0].error == "timeout: no answer within 1 s"
    for delivery in small:
        assert delivery.status == "succeeded" and delivery.attempts[0].duration < 0.8, delivery.attempts[0]


PEERS = {
    "closing": (dict(behaviour="close"), "connection error: RemoteDisconnected"),
    "garbage": (dict(answer=b"SMTP ready\r\n\r\n"), "connection error: BadStatusLine"),
    "redirecting": (dict(answer=Rogue.response(307, b"", {"Location": "http://127.0.0.1:9/"})), None),
    "huge": (dict(behaviour="huge"), None),
}


@pytest.mark.parametrize("name", PEERS)
def test_a_misbehaving_receiver_in_a_fan_out_fails_alone(lettr_server: LettrServer, receiver: Receiver,
                                                         name: str) -> None:
    options, error = PEERS[name]
    lettr_server.account.delivery_engine.timeout = 2.0
    with Rogue(**options) as peer:  # type: ignore[arg-type]
        odd, _ = lettr_server.add_webhook(peer.url + "/odd", ["email.sent"])
        good, _ = lettr_server.add_webhook(receiver.url + "/good", ["email.sent"])
        send(lettr_server)
    (attempt,) = lettr_server.webhooks.deliveries(odd.id)[0].attempts
    if name == "huge":  # judged by its status; 64 KiB of the body kept
        assert attempt.succeeded and len(attempt.response_body) == 64 * 1024
    elif error is None:
        assert attempt.response_code == 307 and not attempt.succeeded
    else:
        assert (attempt.error or "").startswith(error), attempt.error
    assert [d.status for d in lettr_server.webhooks.deliveries(good.id)] == ["succeeded"]
    assert [r.path for r in receiver.requests] == ["/good"] and lettr_server.handler_errors == []


def test_without_poll_the_default_selector_waits_for_the_answers(
        lettr_server: LettrServer, receiver: Receiver, monkeypatch: pytest.MonkeyPatch) -> None:
    """Where the system has no poll(2) (Windows), the same fan-out runs on the default selector."""
    import select

    monkeypatch.delattr(select, "poll")
    lettr_server.account.delivery_engine.timeout = 1.0
    with Rogue("silent") as slow:
        stuck, _ = lettr_server.add_webhook(slow.url + "/slow", ["email.sent"])
        for n in range(2):
            lettr_server.add_webhook(f"{receiver.url}/fast{n}", ["email.sent"])
        send(lettr_server, 2)
    assert [d.attempts[0].error for d in lettr_server.webhooks.deliveries(stuck.id)] == \
        ["timeout: no answer within 1 s"] * 2
    fast = [d for d in lettr_server.webhook_deliveries if d.webhook_id != stuck.id]
    assert len(fast) == 4 and all(d.status == "succeeded" and d.attempts[0].duration < 0.8 for d in fast)
