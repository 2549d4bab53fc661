"""The "every receiver of one event" recipe of docs/webhooks.md, as written there."""

from __future__ import annotations

from pathlib import Path

import httpx
from pytest_httpserver import HTTPServer

from pytest_lettr import LettrServer, verify_webhook

RECEIPT = {"from": "shop@example.com", "to": ["ada@example.com"], "subject": "Receipt", "text": "Thanks"}


def test_every_subscriber_has_the_receipt_when_the_send_returns(lettr_server: LettrServer,
                                                                 httpserver: HTTPServer) -> None:
    httpserver.expect_request("/billing", method="POST").respond_with_data(status=204)
    httpserver.expect_request("/crm", method="POST").respond_with_data(status=204)
    secrets = {path: lettr_server.add_webhook(httpserver.url_for(path), ["email.sent"])[1]
               for path in ("/billing", "/crm")}
    reply = httpx.post(lettr_server.v1_url + "/emails", json=RECEIPT,
                       headers={"Authorization": f"Bearer {lettr_server.admin_key}"})
    assert reply.status_code == 200 and len(httpserver.log) == 2  # both POSTs have already arrived
    for request, _ in httpserver.log:
        secret = secrets[request.path]
        event = verify_webhook(request.get_data(), request.headers["Lettr-Signature"], secret)
        assert event["data"]["emailId"] == reply.json()["id"]
    assert {d.status for d in lettr_server.webhook_deliveries} == {"succeeded"}


def test_the_recipe_in_the_docs_is_this_test() -> None:
    docs = (Path(__file__).resolve().parents[2] / "docs" / "webhooks.md").read_text(encoding="utf-8")
    assert "def test_every_subscriber_has_the_receipt_when_the_send_returns(lettr_server, httpserver):" in docs
    assert "assert reply.status_code == 200 and len(httpserver.log) == 2" in docs
    assert 'event = verify_webhook(request.get_data(), request.headers["Lettr-Signature"], secret)' in docs
