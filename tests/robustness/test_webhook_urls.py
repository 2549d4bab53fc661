"""Odd webhook URLs on every way in, and an engine that never raises (issue 10, defects 1 and 9).

Each class of URL is decided once (``state.webhooks.check_url``): characters a URL cannot carry
raw are percent-encoded; credentials, zone ids, port 0, bad hosts and non-loopback ``http`` are
refused with the dialect's 4xx. Whatever the HTTP client raises becomes a failed attempt.
"""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from typing import Any

import lettr
import pytest
from support import Receiver, assert_api_error, assert_v1_error, client_for

from pytest_lettr import LettrServer
from pytest_lettr.errors import InvalidParameter
from pytest_lettr.webhooks import transport
from pytest_lettr.webhooks.delivery import is_loopback_host

SEND = {"from": "shop@example.com", "to": ["ada@example.com"], "subject": "Receipt", "text": "Thanks"}

REFUSED = [
    "http://user:pw@127.0.0.1:9/hook",       # credentials
    "http://@127.0.0.1:9/hook",              # an empty userinfo is still userinfo
    "http://127.0.0.1\\@evil.example/hook",  # a backslash before @
    "http://[::1%25lo]:9/hook",              # an IPv6 zone id
    "http://[fe80::1%25eth0]:9/hook",
    "http://127.0.0.1:0/hook",               # port 0
    "http://127.0.0.1:99999/hook",           # no such port
    "http://127.1/hook",                     # a legacy short form the resolver would accept
    "http://127.0.0.1.example.com/hook",     # a name, not loopback
    "http://[::ffff:8.8.8.8]/hook",
    "ftp://127.0.0.1/hook", "javascript:alert(1)", "file:///etc/passwd", "//127.0.0.1/hook",
    "https://exa_mple-.com/hook", "https://a..b/hook",
    "http://127.0.0.1:9/a\u0085b", "http://127.0.0.1:9/a\x7fb", "http://127.0.0.1:9/a\u2028b",
    "http://127.0.0.1:9/trailing\u2028", "\u00a0http://127.0.0.1:9/leading",  # not trimmed like ASCII spaces
]

ENCODED = [
    ("http://127.0.0.1:{port}/é", "http://127.0.0.1:{port}/%C3%A9"),
    ("http://127.0.0.1:{port}/hooks?who=ünïcode", "http://127.0.0.1:{port}/hooks?who=%C3%BCn%C3%AFcode"),
    ("http://127.0.0.1:{port}/<x>{{}}|^`\"", "http://127.0.0.1:{port}/%3Cx%3E%7B%7D%7C%5E%60%22"),
    ("http://LOCALHOST:{port}/💌", "http://localhost:{port}/%F0%9F%92%8C"),
]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as running:
        yield running


def port_of(receiver: Receiver) -> int:
    return int(receiver.url.rsplit(":", 1)[1])


# -- refused on every way in --------------------------------------------------------------------
@pytest.mark.parametrize("url", REFUSED)
def test_refused_on_v1_create_and_patch(lettr_server: LettrServer, url: str) -> None:
    with client_for(lettr_server) as client:
        assert_v1_error(client.post("/webhooks", json={"url": url, "events": ["*"]}), 400, "invalid_parameter",
                        param="url")
        hook = client.post("/webhooks", json={"url": "http://127.0.0.1:9/ok", "events": ["*"]}).json()
        assert_v1_error(client.patch(f"/webhooks/{hook['id']}", json={"url": url}), 400, "invalid_parameter",
                        param="url")
    assert [w.url for w in lettr_server.webhooks.all()] == ["http://127.0.0.1:9/ok"]


@pytest.mark.parametrize("url", REFUSED)
def test_refused_on_api_create_and_update(lettr_server: LettrServer, url: str) -> None:
    with client_for(lettr_server, lettr_server.create_key("k", mode="api").key, dialect="api") as client:
        created = client.post("/webhooks", json={"name": "n", "url": url, "auth_type": "none", "events_mode": "all"})
        assert_api_error(created, 422, "validation_error")
        assert "url" in created.json()["errors"]
        hook = client.post("/webhooks", json={"name": "n", "url": "http://127.0.0.1:9/ok", "auth_type": "none",
                                              "events_mode": "all"}).json()["data"]
        assert_api_error(client.put(f"/webhooks/{hook['id']}", json={"url": url}), 422, "validation_error")
        token = client.post("/webhooks", json={
            "name": "o", "url": "http://127.0.0.1:9/o", "auth_type": "oauth2", "events_mode": "all",
            "oauth_client_id": "id", "oauth_client_secret": "s", "oauth_token_url": url})
        assert_api_error(token, 422, "validation_error")
        assert "oauth_token_url" in token.json()["errors"]
    assert [w.url for w in lettr_server.api_webhooks.all()] == ["http://127.0.0.1:9/ok"]


@pytest.mark.parametrize("url", REFUSED)
def test_refused_by_add_webhook_and_the_stores(lettr_server: LettrServer, url: str) -> None:
    with pytest.raises(InvalidParameter):
        lettr_server.add_webhook(url)
    with pytest.raises(InvalidParameter):
        lettr_server.api_webhooks.create("n", url)
    hook = lettr_server.api_webhooks.create("n", "http://127.0.0.1:9/ok")
    with pytest.raises(InvalidParameter):
        lettr_server.api_webhooks.update(hook.id, url=url)
    with pytest.raises(InvalidParameter):
        lettr_server.api_webhooks.update(hook.id, auth_type="oauth2", oauth_client_id="i",
                                         oauth_client_secret="s", oauth_token_url=url)
    assert (hook.url, hook.auth_type) == ("http://127.0.0.1:9/ok", "none")


# -- percent-encoded, and delivered ---------------------------------------------------------------
@pytest.mark.parametrize(("given", "stored"), ENCODED)
def test_non_ascii_urls_are_stored_encoded_and_every_webhook_still_gets_the_event(
        lettr_server: LettrServer, receiver: Receiver, given: str, stored: str) -> None:
    port = port_of(receiver)
    with client_for(lettr_server) as client:
        odd = client.post("/webhooks", json={"url": given.format(port=port), "events": ["email.sent"]})
        assert odd.status_code == 201, odd.text
        assert odd.json()["url"] == stored.format(port=port)
        later = client.post("/webhooks", json={"url": f"{receiver.url}/later", "events": ["email.sent"]})
        sent = client.post("/emails", json=SEND, headers={"Idempotency-Key": "order-1"})
        again = client.post("/emails", json=SEND, headers={"Idempotency-Key": "order-1"})
    assert sent.status_code == 200 and again.json()["id"] == sent.json()["id"]
    assert len(lettr_server.emails) == 1
    paths = sorted(r.path for r in receiver.requests)  # one event's webhooks are attempted together
    assert paths == sorted([stored.format(port=port).split(str(port), 1)[1], "/later"])
    assert {d.status for d in lettr_server.webhooks.deliveries()} == {"succeeded"}
    assert later.status_code == 201


def test_patch_and_add_webhook_encode_the_same_way(lettr_server: LettrServer, receiver: Receiver) -> None:
    webhook, _ = lettr_server.add_webhook(receiver.url + "/añadido")
    assert webhook.url == receiver.url + "/a%C3%B1adido"
    with client_for(lettr_server) as client:
        patched = client.patch(f"/webhooks/{webhook.id}", json={"url": receiver.url + "/ça"})
        assert patched.json()["url"] == receiver.url + "/%C3%A7a"
        assert client.post("/emails", json=SEND).status_code == 200
    assert [r.path for r in receiver.requests] == ["/%C3%A7a"]


def test_api_put_encodes_and_delivers(lettr_server: LettrServer, receiver: Receiver, sdk: lettr.Lettr) -> None:
    hook = sdk.webhooks.create(name="n", url=receiver.url + "/first", auth_type="none", events_mode="all")
    updated = sdk.webhooks.update(hook.id, url=receiver.url + "/zweite/ß")
    assert updated.url == receiver.url + "/zweite/%C3%9F"
    sdk.emails.send(from_email="app@example.com", to=["ada@example.com"], subject="Hi", html="<p>Hi</p>")
    assert [r.path for r in receiver.requests] == ["/zweite/%C3%9F"]


def test_an_internationalised_host_is_stored_in_idna_form(lettr_server: LettrServer) -> None:
    webhook, _ = lettr_server.add_webhook("https://bücher.example/hooks")
    assert webhook.url == "https://xn--bcher-kva.example/hooks"


# -- the engine never raises ----------------------------------------------------------------------
@pytest.mark.parametrize("error", [ValueError("bad header"), UnicodeEncodeError("ascii", "é", 0, 1, "no"),
                                   RuntimeError("client bug"), http.client.InvalidURL("odd"),
                                   LookupError("what")])
def test_any_exception_from_the_http_client_is_a_failed_attempt(
        lettr_server: LettrServer, receiver: Receiver, monkeypatch: pytest.MonkeyPatch, error: Exception) -> None:
    broken, _ = lettr_server.add_webhook(receiver.url + "/broken", ["email.sent"])
    fine, _ = lettr_server.add_webhook(receiver.url + "/fine", ["email.sent"])
    real_request = transport.Connection.request

    def request(self: transport.Connection, path: str, *args: Any, **kwargs: Any) -> None:
        if path == "/broken":
            raise error
        real_request(self, path, *args, **kwargs)

    monkeypatch.setattr(transport.Connection, "request", request)
    with client_for(lettr_server) as client:
        first = client.post("/emails", json=SEND, headers={"Idempotency-Key": "retry-me"})
        second = client.post("/emails", json=SEND, headers={"Idempotency-Key": "retry-me"})
    assert first.status_code == 200, first.text
    assert second.json()["id"] == first.json()["id"] and len(lettr_server.emails) == 1
    (failed,) = lettr_server.webhooks.deliveries(broken.id)
    assert failed.status == "pending" and failed.next_retry_at is not None
    assert failed.attempts[0].error is not None and type(error).__name__ in failed.attempts[0].error
    assert [d.status for d in lettr_server.webhooks.deliveries(fine.id)] == ["succeeded"]
    assert lettr_server.webhooks.get(broken.id).status == "failing"
    assert lettr_server.handler_errors == []


def test_a_url_that_bypassed_the_check_is_a_failed_attempt(lettr_server: LettrServer) -> None:
    engine = lettr_server.account.delivery_engine
    for url in ("http://127.0.0.1:9/é", "http://[::1%lo]:9/", "http://127.0.0.1:bad/", "gopher://127.0.0.1/"):
        delivery = engine.deliver(url, b"{}", {"X-Test": "1"})
        assert delivery.status == "pending" and delivery.attempts[0].error, url


@pytest.mark.parametrize(("host", "loopback"), [
    ("127.1", False), ("0x7f.1", False), ("::1%lo", False), ("[::1%25lo]", False),
    ("evil.localhost.example", False), ("localhost", True), ("127.0.0.9", True), ("[::1]", True),
])
def test_the_loopback_rule_checks_addresses_not_names(host: str, loopback: bool) -> None:
    assert is_loopback_host(host) is loopback


def resolving(monkeypatch: pytest.MonkeyPatch, *addresses: str) -> None:
    """Make the system resolver answer ``addresses`` for every name."""
    import socket

    real = socket.getaddrinfo

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if not str(host).rstrip(".").endswith("localhost"):
            return real(host, *args, **kwargs)
        return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, 0))
                for a in addresses]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def send_recording_dials(server: LettrServer, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Send one email; every address a socket was opened to on the way."""
    import socket

    dialled: list[Any] = []
    real = socket.create_connection
    monkeypatch.setattr(socket, "create_connection", lambda address, *a, **k: dialled.append(address) or real(
        address, *a, **k))
    with client_for(server) as client:
        assert client.post("/emails", json=SEND).status_code == 200
    return dialled


@pytest.mark.parametrize("name", ["localhost.", "app.localhost", "localhost"])
def test_a_localhost_name_that_resolves_elsewhere_is_refused_and_never_contacted(
        lettr_server: LettrServer, monkeypatch: pytest.MonkeyPatch, name: str) -> None:

    resolving(monkeypatch, "127.0.0.1")
    webhook, _ = lettr_server.add_webhook(f"http://{name}:9/hook", ["email.sent"])  # loopback when added
    resolving(monkeypatch, "127.0.0.1", "93.184.216.34")  # ... and the resolver changes its mind
    with pytest.raises(InvalidParameter):
        lettr_server.add_webhook(f"http://{name}:9/other")
    dialled = send_recording_dials(lettr_server, monkeypatch)
    (delivery,) = lettr_server.webhooks.deliveries(webhook.id)
    assert "not loopback" in (delivery.attempts[0].error or "")
    assert [address for address in dialled if address[1] == 9] == []


def test_a_name_that_is_not_localhost_is_never_looked_up(monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    looked_up: list[Any] = []
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: looked_up.append(a) or [])
    assert [is_loopback_host(h) for h in ("hooks.example.com", "localhost.example", "127.0.0.1.nip.io")] == [
        False, False, False]
    assert looked_up == []


def test_the_checked_address_is_dialled_and_the_name_kept_in_host(
        lettr_server: LettrServer, receiver: Receiver, monkeypatch: pytest.MonkeyPatch) -> None:

    port = port_of(receiver)
    resolving(monkeypatch, "127.0.0.1")
    webhook, _ = lettr_server.add_webhook(f"http://hooks.localhost:{port}/in", ["email.sent"])
    dialled = send_recording_dials(lettr_server, monkeypatch)
    (got,) = receiver.requests
    assert got.headers["Host"] == f"hooks.localhost:{port}"
    assert [address for address in dialled if address[1] == port] == [("127.0.0.1", port)]
    assert lettr_server.webhooks.deliveries(webhook.id)[0].status == "succeeded"


def test_every_checked_address_is_tried_in_turn(lettr_server: LettrServer, receiver: Receiver,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """``localhost`` may give ``::1`` first while the receiver listens on 127.0.0.1 only."""
    port = port_of(receiver)
    resolving(monkeypatch, "::1", "127.0.0.1")
    webhook, _ = lettr_server.add_webhook(f"http://both.localhost:{port}/in", ["email.sent"])
    dialled = send_recording_dials(lettr_server, monkeypatch)
    assert [address for address in dialled if address[1] == port] == [("::1", port), ("127.0.0.1", port)]
    assert lettr_server.webhooks.deliveries(webhook.id)[0].status == "succeeded"
    assert receiver.requests[0].headers["Host"] == f"both.localhost:{port}"
