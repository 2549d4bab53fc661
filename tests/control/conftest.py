"""Fixtures of the control API's tests: a client at ``/_lettr`` and accounts made through it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from pytest_lettr import LettrServer

NewAccount = Callable[..., dict[str, Any]]


@pytest.fixture
def control(lettr_server: LettrServer) -> Iterator[httpx.Client]:
    """Plain httpx at the control API, with no key (add one per call)."""
    with httpx.Client(base_url=lettr_server.url + "/_lettr", timeout=30) as client:
        yield client


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def new_account(control: httpx.Client) -> NewAccount:
    """``new_account(**options)``: ``POST /_lettr/accounts``, plus an ``lttr_`` key of it (``api_key``)."""

    def make(**options: Any) -> dict[str, Any]:
        created = control.post("/accounts", json=options)
        assert created.status_code == 201, created.text
        account: dict[str, Any] = created.json()
        key = control.post("/keys", json={"name": "api", "mode": "api"}, headers=bearer(account["admin_key"]))
        assert key.status_code == 201, key.text
        account["api_key"] = key.json()["key"]
        return account

    return make
