"""Fixtures every test directory may use.

``v1`` makes httpx clients for the fake server's ``/v1`` API, closed when the test ends::

    def test_send(v1, lettr_server):
        admin = v1()                                   # the account's admin key
        mailer = v1(lettr_server.create_key(permissions=["emails:send"]).key)
        anonymous = v1(auth=False)                     # no Authorization header
        assert mailer.post("/emails", json={...}).status_code == 200
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol

import httpx
import pytest
from support import client_for

from pytest_lettr import LettrServer

pytest_plugins = ["pytester"]


class ClientFactory(Protocol):
    def __call__(self, key: str | None = None, *, auth: bool = True, **options: Any) -> httpx.Client: ...


@pytest.fixture
def v1(lettr_server: LettrServer) -> Iterator[ClientFactory]:
    """``v1(key=None, *, auth=True, **httpx_options)``: a client with ``base_url`` = ``/v1``.

    ``key`` defaults to the admin key; ``auth=False`` sends no ``Authorization`` header. Extra
    keyword arguments go to :class:`httpx.Client` (e.g. ``headers={"X-Forwarded-For": "10.0.0.1"}``).
    """
    clients: list[httpx.Client] = []

    def make(key: str | None = None, *, auth: bool = True, **options: Any) -> httpx.Client:
        client = client_for(lettr_server, key, auth=auth, **options)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
