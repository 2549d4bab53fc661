"""Fixtures every test directory may use.

``v1`` makes httpx clients for the fake server's ``/v1`` API, closed when the test ends::

    def test_send(v1, lettr_server):
        admin = v1()                                   # the account's admin key
        mailer = v1(lettr_server.create_key(permissions=["emails:send"]).key)
        anonymous = v1(auth=False)                     # no Authorization header
        assert mailer.post("/emails", json={...}).status_code == 200
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from functools import cache
from typing import Any, Protocol

import httpx
import pytest

from pytest_lettr import LettrServer

pytest_plugins = ["pytester"]


class ClientFactory(Protocol):
    def __call__(self, key: str | None = None, *, auth: bool = True, **options: Any) -> httpx.Client: ...


@cache
def tls_context(ca_bundle: str | None) -> ssl.SSLContext:
    """One verifying TLS context per CA bundle (making one costs tens of milliseconds)."""
    return ssl.create_default_context(cafile=ca_bundle)


@pytest.fixture
def v1(lettr_server: LettrServer) -> Iterator[ClientFactory]:
    """``v1(key=None, *, auth=True, **httpx_options)``: a client with ``base_url`` = ``/v1``.

    ``key`` defaults to the admin key; ``auth=False`` sends no ``Authorization`` header. Extra
    keyword arguments go to :class:`httpx.Client` (e.g. ``headers={"X-Forwarded-For": "10.0.0.1"}``).
    """
    clients: list[httpx.Client] = []

    def make(key: str | None = None, *, auth: bool = True, **options: Any) -> httpx.Client:
        headers = dict(options.pop("headers", {}))
        if auth:
            headers["Authorization"] = f"Bearer {key or lettr_server.admin_key}"
        options.setdefault("verify", tls_context(lettr_server.ca_bundle))
        client = httpx.Client(base_url=lettr_server.v1_url, headers=headers, **options)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
