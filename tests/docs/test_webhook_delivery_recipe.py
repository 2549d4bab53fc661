"""The "receiver is down or slow" recipe of docs/webhooks.md, as written there."""

from __future__ import annotations

import httpx

from pytest_lettr import LettrServer

RECEIPT = {"from": "shop@example.com", "to": ["ada@example.com"], "subject": "Receipt", "text": "Thanks"}


def test_a_send_survives_a_receiver_that_is_down(lettr_server: LettrServer) -> None:
    lettr_server.webhooks.engine.timeout = 0.5  # the whole attempt, not each read
    webhook, _ = lettr_server.add_webhook("http://127.0.0.1:9/hooks", ["email.sent"])  # nothing listens
    reply = httpx.post(lettr_server.v1_url + "/emails", json=RECEIPT,
                       headers={"Authorization": f"Bearer {lettr_server.admin_key}"})
    assert reply.status_code == 200  # the send is never held hostage by a receiver
    (delivery,) = lettr_server.webhooks.deliveries(webhook.id)
    assert delivery.status == "pending" and (delivery.attempts[0].error or "").startswith("connection error")
    lettr_server.clock.advance(minutes=1)  # the first retry is due: it runs now
    assert delivery.attempt_count == 2


def test_the_recipe_in_the_docs_is_this_test() -> None:
    from pathlib import Path

    docs = (Path(__file__).resolve().parents[2] / "docs" / "webhooks.md").read_text(encoding="utf-8")
    assert "def test_a_send_survives_a_receiver_that_is_down(lettr_server):" in docs
    assert 'lettr_server.add_webhook("http://127.0.0.1:9/hooks", ["email.sent"])' in docs
