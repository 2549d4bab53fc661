"""Deliveries end with their account and their server (issue 10, defect 6): ``stop()`` cuts a
request blocked on a receiver instead of waiting for it, and after ``reset()`` nothing more is
delivered for the previous account."""

from __future__ import annotations

import threading
import time

import httpx
import pytest
from support import client_for
from support.rogue import Rogue

from pytest_lettr import LettrServer

SEND = {"from": "shop@example.com", "to": ["ada@example.com"], "subject": "Receipt", "text": "Thanks"}


def send_in_background(server: LettrServer) -> tuple[threading.Thread, list[object]]:
    outcome: list[object] = []

    def run() -> None:
        try:
            with client_for(server, timeout=60) as client:
                outcome.append(client.post("/emails", json=SEND).status_code)
        except httpx.HTTPError as error:
            outcome.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def wait_for(condition: object, seconds: float = 10.0) -> None:
    end = time.monotonic() + seconds
    while not condition() and time.monotonic() < end:  # type: ignore[operator]
        time.sleep(0.01)
    assert condition(), "timed out waiting"  # type: ignore[operator]


@pytest.mark.parametrize("peer", ["silent", "trickle"])
def test_stop_cuts_a_request_blocked_on_a_receiver(peer: str) -> None:
    with Rogue(peer, interval=1.0) as receiver:
        server = LettrServer().start()
        webhook, _ = server.add_webhook(receiver.url + "/slow", ["email.sent"])
        server.add_webhook(receiver.url + "/also-slow", ["email.sent"])  # one is attempted by a helper thread
        thread, _ = send_in_background(server)
        wait_for(lambda: len(receiver.requests) == 2)
        server.stop()
        # the connection thread was not left behind: its delivery was cut, so it had ended
        assert not any(t.name.startswith("lettr-connection") and t.is_alive() for t in threading.enumerate()
                       if t.name.endswith(f":{server.httpserver.port}"))
        assert not any(t.name.startswith("lettr-delivery") for t in threading.enumerate())
        (delivery,) = server.webhooks.deliveries(webhook.id)
        attempt = delivery.attempts[0]
        assert not attempt.succeeded and "the server stopped" in (attempt.error or ""), attempt.error
        assert delivery.status == "pending"
        thread.join(10)
        server.start()  # a restarted server delivers again
        try:
            server.account.delivery_engine.timeout = 0.2
            with client_for(server) as client:
                assert client.post("/emails", json=SEND).status_code == 200
            assert server.webhooks.deliveries(webhook.id)[-1].attempts[0].error == "timeout: no answer within 0.2 s"
        finally:
            server.stop()


def test_after_reset_nothing_is_delivered_for_the_previous_account() -> None:
    with Rogue("silent") as receiver, LettrServer() as server:
        previous = server.account
        webhook, _ = server.add_webhook(receiver.url + "/slow", ["email.sent"])
        thread, outcome = send_in_background(server)
        wait_for(lambda: receiver.requests)
        server.reset()
        thread.join(10)
        assert not thread.is_alive() and outcome == [200]
        (delivery,) = previous.webhooks.deliveries(webhook.id)
        assert "the account was closed" in (delivery.attempts[0].error or "")
        seen = len(receiver.requests)
        previous.clock.advance(days=3)  # every retry would be due by now
        previous.delivery_engine.run_due()
        assert len(receiver.requests) == seen
        assert all("the account was closed" in (a.error or "") for a in delivery.attempts)
        late = previous.delivery_engine.deliver(receiver.url + "/late", b"{}", {})
        assert late.attempts[0].error == "not delivered: the account was closed"
        assert len(receiver.requests) == seen
