"""docs/examples/api_webhook_handler.py works against the fake: a handler written from Lettr's webhook
pages receives the fake's deliveries (the recipe of docs/webhooks.md, run as written there)."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import lettr
import pytest

from pytest_lettr import LettrServer

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "api_webhook_handler.py"


def load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("docs_example_api_webhook_handler", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def recipe() -> Iterator[tuple[ModuleType, Any, str]]:
    module = load()
    subscribers = module.Subscribers()
    server = module.serve(subscribers)
    try:
        yield module, subscribers, f"http://127.0.0.1:{server.server_port}/webhooks/lettr"
    finally:
        server.shutdown()
        server.server_close()


def test_the_recipe_receives_the_fakes_deliveries(lettr_server: LettrServer,
                                                  recipe: tuple[ModuleType, Any, str]) -> None:
    _, subscribers, url = recipe
    lettr_server.clock.freeze()
    client = lettr.Lettr(lettr_server.create_key("App", mode="api").key, base_url=lettr_server.api_url)
    client.webhooks.create(name="App", url=url, auth_type="none", events_mode="all")
    ids = {}
    for address in ("ada@example.com", "bob@example.com", "cy@example.com", "dee@example.com"):
        client.emails.send(from_email="shop@example.com", to=[address], subject="Your order",
                           html="<p>Thanks</p>", metadata={"orderId": f"order-{address[0]}"})
        ids[address] = lettr_server.emails[-1].id
    lettr_server.simulate(ids["ada@example.com"], "delivery")
    lettr_server.simulate(ids["bob@example.com"], "bounce", bounce_type="hard")
    lettr_server.simulate(ids["cy@example.com"], "delivery")
    lettr_server.simulate(ids["cy@example.com"], "link_unsubscribe")
    lettr_server.simulate(ids["dee@example.com"], "delivery")
    lettr_server.simulate(ids["dee@example.com"], "out_of_band", bounce_class=10)
    client.close()

    assert subscribers.status == {"ada@example.com": "delivered", "bob@example.com": "bounced",
                                  "cy@example.com": "unsubscribed", "dee@example.com": "bounced"}
    assert subscribers.reasons["cy@example.com"] == "link_unsubscribe"
    assert subscribers.reasons["bob@example.com"].startswith("550 ")
    assert subscribers.orders == {a: f"order-{a[0]}" for a in ids}
    now = lettr_server.clock.now().replace(microsecond=0)
    assert set(subscribers.last_event_at.values()) == {now}
    assert len(subscribers.processed) == len(lettr_server.webhook_deliveries) == 10


def test_the_recipe_skips_a_retried_delivery() -> None:
    module = load()
    subscribers = module.Subscribers()
    body = (b'[{"msys":{"unsubscribe_event":{"type":"list_unsubscribe","event_id":"e1","timestamp":"1705320000",'
            b'"rcpt_to":"ada@example.com","rcpt_meta":{}}}}]')
    subscribers.handle(body)
    subscribers.status.clear()
    subscribers.handle(body)
    assert subscribers.status == {} and subscribers.processed == {"e1"}
