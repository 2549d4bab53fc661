"""The recipes in docs/smtp.md and docs/inbound.md run as written."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from pytest_lettr import LettrServer

DOCS = Path(__file__).resolve().parents[2] / "docs"


def recipe(name: str) -> dict[str, Any]:
    """The namespace of the one ``python`` block of a page that defines a test."""
    path = DOCS / name
    blocks = re.findall(r"```python\n(.*?)```", path.read_text(encoding="utf-8"), flags=re.S)
    (block,) = [b for b in blocks if "def test_" in b]
    namespace: dict[str, Any] = {}
    exec(compile(block, str(path), "exec"), namespace)
    return namespace


@pytest.mark.parametrize(("page", "test", "sent"), [
    ("smtp.md", "test_the_receipt_goes_out", 1),
    ("inbound.md", "test_a_reply_opens_a_ticket", 0),
])
def test_the_recipe_passes(lettr_server: LettrServer, page: str, test: str, sent: int) -> None:
    recipe(page)[test](lettr_server)
    assert len(lettr_server.emails) == sent
