"""Scopes of the current API over the one permission model: 403 ``insufficient_scope``."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import lettr
import pytest

from pytest_lettr import LettrServer
from pytest_lettr.permissions import SENDING_ONLY

from .conftest import send_kwargs


def test_sending_only_key_sends_but_reads_nothing_else(lettr_server: LettrServer,
                                                       make_client: Callable[[str], lettr.Lettr]) -> None:
    key = lettr_server.create_key("sender", SENDING_ONLY, mode="api")
    client = make_client(key.key)
    client.emails.send(**send_kwargs())
    client.auth_check()
    calls: list[Callable[[], object]] = [
        client.domains.list, client.emails.list, client.templates.list, client.webhooks.list,
        client.projects.list, client.folders.list, lambda: client.domains.create("x.example")]
    for call in calls:
        with pytest.raises(lettr.ForbiddenError) as caught:
            call()
        assert caught.value.error_code == "insufficient_scope"
        assert caught.value.message == "Your API key does not have the required permissions for this action."
    refused = [e for e in lettr_server.audit_log if e.action == "auth.forbidden"]
    assert [e.metadata["required_permission"] for e in refused] == [
        "domains:read", "emails:read", "templates:read", "webhooks:read", "projects:read", "templates:read",
        "domains:write"]
    assert lettr_server.permissions_used(key.id) == {"emails:send"}


def test_write_scope_covers_create_update_delete(lettr_server: LettrServer,
                                                 make_client: Callable[[str], lettr.Lettr]) -> None:
    key = lettr_server.create_key("templates", ["templates:read", "templates:write"], mode="api")
    client = make_client(key.key)
    client.templates.create(name="T", html="<p>x</p>")
    client.templates.update("t", html="<p>y</p>")
    client.templates.delete("t")
    assert lettr_server.permissions_used(key.id) == {"templates:create", "templates:update", "templates:delete"}
    with pytest.raises(lettr.ForbiddenError):
        client.domains.create("x.example")


def test_read_scope_is_not_write(lettr_server: LettrServer, make_client: Callable[[str], lettr.Lettr]) -> None:
    client = make_client(lettr_server.create_key("reader", ["domains:read", "emails:read"], mode="api").key)
    assert client.domains.list() == []
    assert client.emails.list().total_count == 0
    with pytest.raises(lettr.ForbiddenError) as caught:
        client.domains.create("x.example")
    assert caught.value.error_code == "insufficient_scope"
    with pytest.raises(lettr.ForbiddenError):
        client.emails.send(**send_kwargs())


def test_v1_permissions_apply_to_the_same_routes(lettr_server: LettrServer,
                                                 make_client: Callable[[str], lettr.Lettr]) -> None:
    v1_key = lettr_server.create_key("v1 lister", ["emails:list"])
    client = make_client(v1_key.key)
    assert client.emails.list().total_count == 0
    with pytest.raises(lettr.ForbiddenError):
        client.emails.get("123")


def test_ip_restriction(lettr_server: LettrServer, make_client: Callable[[str], lettr.Lettr]) -> None:
    key = lettr_server.create_key("office", mode="api", ip_restrictions=["10.0.0.0/8"])
    with pytest.raises(lettr.ForbiddenError) as caught:
        make_client(key.key).domains.list()
    assert caught.value.message == "Access denied. Your IP address is not allowed."
    assert lettr_server.audit_log[-1].metadata["restriction"] == "ip"
    allowed = lettr_server.create_key("local", mode="api", ip_restrictions=["127.0.0.1"])
    assert make_client(allowed.key).domains.list() == []


@pytest.mark.lettr(rate_limit=(2, 60))
def test_rate_limit(lettr_server: LettrServer, api_key: object, raw: httpx.Client) -> None:
    lettr_server.clock.freeze()  # the window is aligned to the minute
    first = raw.get("/domains")
    assert (first.headers["X-RateLimit-Limit"], first.headers["X-RateLimit-Remaining"]) == ("2", "1")
    raw.get("/domains")
    refused = raw.get("/domains")
    assert refused.status_code == 429 and refused.json()["error_code"] == "rate_limit_exceeded"
    assert int(refused.headers["Retry-After"]) >= 1
