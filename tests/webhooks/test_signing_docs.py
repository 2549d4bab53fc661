"""The receiver recipe in docs/performance.md (Webhook signing) runs as written."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pytest_lettr.webhooks.fixture import WebhookTester

PAGE = Path(__file__).resolve().parents[2] / "docs" / "performance.md"


def recipe() -> dict[str, Any]:
    """The namespace of the page's ``python`` block with the receiver's test."""
    blocks = re.findall(r"```python\n(.*?)```", PAGE.read_text(encoding="utf-8"), flags=re.S)
    (block,) = [b for b in blocks if "def test_" in b and "verify_signature" in b]
    namespace: dict[str, Any] = {}
    exec(compile(block, str(PAGE), "exec"), namespace)
    return namespace


def test_the_receiver_recipe_passes(lettr_webhooks: WebhookTester) -> None:
    recipe()["test_the_receiver_accepts_lettr_and_refuses_every_forgery"](lettr_webhooks)
    statuses = [response.status_code for _, response in lettr_webhooks.delivered]
    assert statuses[0] == 200 and len(statuses) > 1 and set(statuses[1:]) == {400}


def test_the_recipe_receiver_reads_the_event_it_verified(lettr_webhooks: WebhookTester) -> None:
    namespace = recipe()
    lettr_webhooks.secret = namespace["SECRET"]
    response = lettr_webhooks.deliver(lettr_webhooks.request("email.bounced"), to=namespace["receiver"])
    assert (response.status_code, response.text) == (200, "email.bounced")
