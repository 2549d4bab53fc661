"""Fixtures for driving ``/api`` with the official SDK, and the conformance sweep.

Every test here that uses ``lettr_server`` has each ``/api`` response the server sent checked
against ``openapi.json`` when it ends (whatever client made the request: the SDK, its
unauthenticated ``health()`` call, or a raw ``httpx`` client), against the document shipped in
``pytest_lettr/spec/``, so the sweep is on in every checkout.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import lettr
import pytest

from pytest_lettr import LettrServer
from pytest_lettr.state import CreatedKey

from .conformance import validate_response


def logged_api_exchanges(server: LettrServer) -> list[tuple[str, str, int, Any]]:
    """``(method, path, status, body)`` of every ``/api`` response the server logged this test."""
    exchanges = []
    for request, response in list(server.httpserver.log):
        if not (request.path == "/api" or request.path.startswith("/api/")):
            continue
        raw = response.get_data()
        body = json.loads(raw) if raw else None
        exchanges.append((request.method, request.path, response.status_code, body))
    return exchanges


def check_conformance(server: LettrServer) -> None:
    """Validate every logged ``/api`` response; one AssertionError lists all that do not conform."""
    failures = []
    for method, path, status, body in logged_api_exchanges(server):
        try:
            validate_response(method, path, status, body)
        except AssertionError as error:
            failures.append(str(error))
    if failures:
        raise AssertionError(f"{len(failures)} /api response(s) do not match openapi.json:\n\n"
                             + "\n\n".join(failures))


@pytest.fixture(autouse=True)
def _api_conformance(request: pytest.FixtureRequest) -> Iterator[None]:
    if "lettr_server" not in request.fixturenames:
        yield
        return
    server: LettrServer = request.getfixturevalue("lettr_server")
    yield
    check_conformance(server)


@pytest.fixture
def api_key(lettr_server: LettrServer) -> CreatedKey:
    """A full-access live key of the current API (``lttr_…``)."""
    return lettr_server.create_key("SDK key", mode="api")


@pytest.fixture
def make_client(lettr_server: LettrServer) -> Iterator[Callable[[str], lettr.Lettr]]:
    """``make_client(key)`` → an SDK client against the mock (closed after the test)."""
    clients: list[lettr.Lettr] = []

    def make(key: str) -> lettr.Lettr:
        client = lettr.Lettr(key, base_url=lettr_server.api_url)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def client(make_client: Callable[[str], lettr.Lettr], api_key: CreatedKey) -> lettr.Lettr:
    """The official SDK with a full-access ``lttr_`` key."""
    return make_client(api_key.key)


@pytest.fixture
def sandbox_key(lettr_server: LettrServer) -> CreatedKey:
    return lettr_server.create_key("Sandbox key", mode="sandbox")


@pytest.fixture
def sandbox(make_client: Callable[[str], lettr.Lettr], sandbox_key: CreatedKey) -> lettr.Lettr:
    """The official SDK with a sandbox key (``lttr_sandbox_…``)."""
    return make_client(sandbox_key.key)


@pytest.fixture
def raw(lettr_server: LettrServer, api_key: CreatedKey) -> Iterator[httpx.Client]:
    """Plain httpx at ``/api`` with the full-access key, for what the SDK cannot send."""
    with httpx.Client(base_url=lettr_server.api_url,
                      headers={"Authorization": f"Bearer {api_key.key}"}) as http:
        yield http


def send_kwargs(**overrides: Any) -> dict[str, Any]:
    """A minimal valid ``client.emails.send`` call."""
    kwargs: dict[str, Any] = {"from_email": "app@example.com", "to": ["ada@example.com"],
                              "subject": "Hello", "html": "<p>Hello</p>"}
    kwargs.update(overrides)
    return kwargs
