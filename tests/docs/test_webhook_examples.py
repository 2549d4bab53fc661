"""The webhook recipes in docs/examples work: accept, refuse forgeries, stale and foreign requests, dedupe."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from pytest_lettr import LettrServer
from pytest_lettr.webhooks.fixture import BAD_TWINS, WebhookTester

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
SECRET = "whsec_" + "k3y" * 10 + "ab"


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"docs_example_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def make_app(name: str, lettr_server: LettrServer) -> tuple[Any, dict[str, Any]]:
    """The example app (verifying against the server's clock) and its record of processed events."""
    app = load(name).create_app(SECRET, clock=lambda: lettr_server.clock.timestamp())
    processed = app.extensions["lettr_processed"] if name == "flask_app" else app.state.processed
    return app, processed


@pytest.fixture(params=["flask_app", "starlette_app"])
def example(request: pytest.FixtureRequest, lettr_server: LettrServer,
            lettr_webhooks: WebhookTester) -> tuple[Any, dict[str, Any]]:
    lettr_webhooks.secret = SECRET
    lettr_webhooks.url = "https://shop.example.test/webhooks/lettr"
    return make_app(request.param, lettr_server)


def test_accepts_a_signed_delivery(example: tuple[Any, dict[str, Any]], lettr_webhooks: WebhookTester) -> None:
    app, processed = example
    request = lettr_webhooks.request("email.bounced", bounceType="hard")
    response = lettr_webhooks.deliver(request, to=app)
    assert response.status_code == 200 and response.json() == {"status": "processed"}
    assert list(processed) == [request.event_id]
    assert processed[request.event_id]["data"]["bounceType"] == "hard"


def test_accepts_every_event_type(example: tuple[Any, dict[str, Any]], lettr_webhooks: WebhookTester) -> None:
    app, processed = example
    for request in lettr_webhooks.requests():
        assert lettr_webhooks.deliver(request, to=app).status_code == 200, request.event_type
    assert len(processed) == 9


def test_rejects_a_tampered_body(example: tuple[Any, dict[str, Any]], lettr_webhooks: WebhookTester) -> None:
    app, processed = example
    response = lettr_webhooks.deliver(lettr_webhooks.tampered(lettr_webhooks.request()), to=app)
    assert response.status_code == 400 and response.json() == {"error": "signature mismatch"}
    assert processed == {}


def test_rejects_an_expired_and_a_future_timestamp(example: tuple[Any, dict[str, Any]],
                                                   lettr_webhooks: WebhookTester) -> None:
    app, processed = example
    good = lettr_webhooks.request()
    for bad in (lettr_webhooks.expired(good), lettr_webhooks.future(good)):
        response = lettr_webhooks.deliver(bad, to=app)
        assert response.status_code == 400, bad.kind
        assert response.json() == {"error": "timestamp outside tolerance"}
    assert processed == {}


def test_rejects_every_bad_twin(example: tuple[Any, dict[str, Any]], lettr_webhooks: WebhookTester) -> None:
    app, processed = example
    twins = lettr_webhooks.bad_twins(lettr_webhooks.request("email.clicked"))
    codes = {name: lettr_webhooks.deliver(bad, to=app).status_code for name, bad in twins.items()}
    assert codes == dict.fromkeys(BAD_TWINS, 400)
    assert processed == {}


def test_rejects_a_request_from_another_address(example: tuple[Any, dict[str, Any]],
                                                lettr_webhooks: WebhookTester) -> None:
    app, processed = example
    request = lettr_webhooks.request()
    response = lettr_webhooks.deliver(request, to=app, remote_addr="198.51.100.23")
    assert response.status_code == 403 and processed == {}
    for address in ("203.0.113.10", "203.0.113.11", "203.0.113.12"):
        assert lettr_webhooks.deliver(request, to=app, remote_addr=address).status_code == 200


def test_a_replayed_event_is_acknowledged_but_processed_once(example: tuple[Any, dict[str, Any]],
                                                             lettr_webhooks: WebhookTester,
                                                             lettr_server: LettrServer) -> None:
    app, processed = example
    lettr_server.clock.freeze()
    first = lettr_webhooks.request("email.delivered")
    assert lettr_webhooks.deliver(first, to=app).json() == {"status": "processed"}
    lettr_server.clock.advance(minutes=10)
    stale = lettr_webhooks.deliver(first, to=app)  # the captured request itself is now too old
    assert stale.status_code == 400
    replay = lettr_webhooks.replay(first)
    response = lettr_webhooks.deliver(replay, to=app)
    assert response.status_code == 200 and response.json() == {"status": "duplicate"}
    assert list(processed) == [first.event_id]


@pytest.mark.parametrize("name", ["flask_app", "starlette_app"])
def test_real_deliveries_from_the_mock_reach_the_example(name: str, lettr_server: LettrServer) -> None:
    app, processed = make_app(name, lettr_server)
    webhook, _ = lettr_server.add_webhook(app, ["email.*"], url="https://shop.example.test/webhooks/lettr",
                                           secret=SECRET)
    with httpx.Client(base_url=lettr_server.v1_url,
                      headers={"Authorization": f"Bearer {lettr_server.admin_key}"}) as client:
        sent = client.post("/emails", json={"from": "shop@example.com", "to": ["ada@example.com"],
                                            "subject": "Receipt", "text": "Thanks", "metadata": {"order": "42"}})
        assert sent.status_code == 200
        [event] = processed.values()
        assert event["type"] == "email.sent" and event["data"]["emailId"] == sent.json()["id"]
        assert event["data"]["metadata"] == {"order": "42"}
        # a Lettr retry of the same event is acknowledged without being processed again
        delivery = lettr_server.webhook_deliveries[-1]
        retried = client.post(f"/webhooks/{webhook.id}/deliveries/{delivery.id}/retry").json()
        assert retried["status"] == "succeeded" and retried["attempts"] == 2
        assert json.loads(delivery.attempts[-1].response_body) == {"status": "duplicate"}
    assert len(processed) == 1


def test_the_examples_refuse_to_start_without_a_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LETTR_WEBHOOK_SECRET", raising=False)
    for name in ("flask_app", "starlette_app"):
        with pytest.raises(KeyError):
            load(name).create_app()
    monkeypatch.setenv("LETTR_WEBHOOK_SECRET", SECRET)
    assert load("flask_app").create_app() is not None
