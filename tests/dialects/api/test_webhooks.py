"""Webhooks of the current API: CRUD through the SDK, and deliveries with Basic or OAuth2 auth."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import lettr
import pytest
from support import Receiver

from pytest_lettr import LettrServer

from .conftest import send_kwargs


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver(username="lettr", password="hook-pass", client_id="hooks-client",
                  client_secret="client-secret") as running:
        yield running


def deliver_delivery_event(lettr_server: LettrServer) -> None:
    email = lettr_server.emails[-1]
    lettr_server.account.emit("email.delivered", email, {"email_id": email.id, "to": email.to[0]})


# -- managing -----------------------------------------------------------------------------------
def test_create_list_get_update_delete(lettr_server: LettrServer, client: lettr.Lettr) -> None:
    created = client.webhooks.create(name="Orders", url="https://hooks.example/orders", auth_type="basic",
                                     auth_username="u", auth_password="p", events_mode="selected",
                                     events=["delivery", "engagament.click", "message.bounce", "delivery"])
    assert created.id.startswith("webhook-")
    assert (created.enabled, created.auth_type, created.has_auth_credentials) == (True, "basic", True)
    assert created.event_types == ["message.delivery", "engagement.click", "message.bounce"]
    assert (created.last_status, created.last_successful_at, created.last_failure_at) == (None, None, None)
    everything = client.webhooks.create(name="All", url="https://hooks.example/all", auth_type="none",
                                        events_mode="all")
    assert (everything.event_types, everything.has_auth_credentials) == (None, False)
    assert [w.name for w in client.webhooks.list()] == ["Orders", "All"]
    assert client.webhooks.get(created.id).url == "https://hooks.example/orders"
    updated = client.webhooks.update(created.id, name="Orders v2", active=False, events=["open"],
                                     url="https://hooks.example/v2", auth_username="u", auth_password="p")
    assert (updated.name, updated.enabled, updated.event_types, updated.url) == (
        "Orders v2", False, ["engagement.open"], "https://hooks.example/v2")
    assert updated.auth_type == "basic" and updated.has_auth_credentials
    switched = client.webhooks.update(created.id, auth_type="none")
    assert (switched.auth_type, switched.has_auth_credentials) == ("none", False)
    client.webhooks.delete(created.id)
    with pytest.raises(lettr.NotFoundError) as caught:
        client.webhooks.get(created.id)
    assert (caught.value.error_code, caught.value.message) == ("not_found", "Webhook not found.")
    assert [e.action for e in lettr_server.audit_log if e.action.startswith("webhook.")] == [
        "webhook.created", "webhook.created", "webhook.updated", "webhook.updated", "webhook.deleted"]
    assert all(v != "p" for e in lettr_server.audit_log for v in e.metadata.values())


def test_credentials_are_never_shown(lettr_server: LettrServer, client: lettr.Lettr) -> None:
    created = client.webhooks.create(name="Secret", url="https://hooks.example/s", auth_type="oauth2",
                                     oauth_client_id="id", oauth_client_secret="very-secret-value",
                                     oauth_token_url="https://auth.example/token", events_mode="all")
    for _request, response in lettr_server.httpserver.log:
        assert b"very-secret-value" not in response.get_data()
    assert "very-secret-value" not in repr(lettr_server.api_webhooks.get(created.id))


def test_create_validation(client: lettr.Lettr) -> None:
    with pytest.raises(lettr.ValidationError) as caught:
        client.webhooks.create(name="x", url="https://hooks.example/x", auth_type="basic", auth_username="u",
                               events_mode="selected", events=["teleport"])
    assert set(caught.value.errors) == {"auth_password", "events.0"}
    with pytest.raises(lettr.ValidationError) as caught:
        client.webhooks.create(name="x", url="http://hooks.example/x", auth_type="oauth2", events_mode="all")
    assert set(caught.value.errors) == {"url", "oauth_client_id", "oauth_client_secret", "oauth_token_url"}
    with pytest.raises(lettr.ValidationError) as caught:
        client.webhooks.create(name="x", url="https://hooks.example/x", auth_type="token", events_mode="some")
    assert set(caught.value.errors) == {"auth_type", "events_mode"}


def test_duplicate_url_conflicts(client: lettr.Lettr) -> None:
    client.webhooks.create(name="a", url="https://hooks.example/same", auth_type="none", events_mode="all")
    with pytest.raises(lettr.ConflictError) as caught:
        client.webhooks.create(name="b", url="https://hooks.example/same", auth_type="none", events_mode="all")
    assert caught.value.error_code == "resource_already_exists"


def test_sandbox_keys_cannot_manage_webhooks(sandbox: lettr.Lettr) -> None:
    assert sandbox.webhooks.list() == []
    with pytest.raises(lettr.ForbiddenError) as caught:
        sandbox.webhooks.create(name="a", url="https://hooks.example/a", auth_type="none", events_mode="all")
    assert caught.value.error_code == "sandbox_restricted"


# -- delivering ---------------------------------------------------------------------------------
def test_basic_auth_delivery(lettr_server: LettrServer, client: lettr.Lettr, receiver: Receiver) -> None:
    hook = client.webhooks.create(name="Deliveries", url=receiver.url + "/hooks", auth_type="basic",
                                  auth_username="lettr", auth_password="hook-pass", events_mode="selected",
                                  events=["message.delivery"])
    sent = client.emails.send(**send_kwargs())
    assert receiver.requests == []  # message.injection is not subscribed
    deliver_delivery_event(lettr_server)
    (received,) = receiver.requests
    assert received.headers["Authorization"] == "Basic " + base64.b64encode(b"lettr:hook-pass").decode()
    assert received.headers["Lettr-Event-Type"] == "message.delivery"
    assert received.headers["Content-Type"] == "application/json"
    (wrapped,) = received.json()
    event = wrapped["msys"]["message_event"]
    assert (event["type"], event["request_id"], event["rcpt_to"]) == ("delivery", sent.request_id,
                                                                      "ada@example.com")
    after = client.webhooks.get(hook.id)
    assert after.last_status == "success" and after.last_successful_at is not None
    (delivery,) = lettr_server.api_webhooks.deliveries(hook.id)
    assert delivery.status == "succeeded"
    assert delivery.attempts[0].request_headers["Authorization"] != received.headers["Authorization"]  # masked


def test_wrong_basic_password_fails_and_is_retried(lettr_server: LettrServer, client: lettr.Lettr,
                                                   receiver: Receiver) -> None:
    hook = client.webhooks.create(name="d", url=receiver.url + "/hooks", auth_type="basic",
                                  auth_username="lettr", auth_password="wrong", events_mode="all")
    client.emails.send(**send_kwargs())
    assert client.webhooks.get(hook.id).last_status == "failure"
    client.webhooks.update(hook.id, auth_password="hook-pass")
    lettr_server.clock.advance(minutes=1)
    assert [r.headers["Authorization"].startswith("Basic ") for r in receiver.requests] == [True, True]
    assert client.webhooks.get(hook.id).last_status == "success"
    assert lettr_server.api_webhooks.deliveries(hook.id)[0].status == "succeeded"


def test_oauth2_delivery_fetches_and_reuses_a_token(lettr_server: LettrServer, client: lettr.Lettr) -> None:
    with Receiver(client_id="hooks-client", client_secret="client-secret", expires_in=600) as receiver:
        client.webhooks.create(name="OAuth", url=receiver.url + "/hooks", auth_type="oauth2",
                               oauth_client_id="hooks-client", oauth_client_secret="client-secret",
                               oauth_token_url=receiver.url + "/token", events_mode="all")
        client.emails.send(**send_kwargs())
        deliver_delivery_event(lettr_server)
        assert [r.headers["Authorization"] for r in receiver.requests] == ["Bearer tok-1", "Bearer tok-1"]
        assert [r.json()[0]["msys"]["message_event"]["type"] for r in receiver.requests] == ["injection",
                                                                                              "delivery"]
        (token_request,) = receiver.tokens
        assert token_request.form() == {"grant_type": "client_credentials", "client_id": "hooks-client",
                                        "client_secret": "client-secret"}
        assert token_request.headers["Content-Type"] == "application/x-www-form-urlencoded"
        lettr_server.clock.advance(seconds=601)
        deliver_delivery_event(lettr_server)
        assert receiver.requests[-1].headers["Authorization"] == "Bearer tok-2"
        assert len(receiver.tokens) == 2


def test_oauth2_token_refused_then_fixed(lettr_server: LettrServer, client: lettr.Lettr) -> None:
    with Receiver(client_id="hooks-client", client_secret="client-secret") as receiver:
        hook = client.webhooks.create(name="OAuth", url=receiver.url + "/hooks", auth_type="oauth2",
                                      oauth_client_id="hooks-client", oauth_client_secret="wrong",
                                      oauth_token_url=receiver.url + "/token", events_mode="all")
        client.emails.send(**send_kwargs())
        assert receiver.requests == [] and len(receiver.tokens) == 1
        (delivery,) = lettr_server.api_webhooks.deliveries(hook.id)
        assert "token" in (delivery.attempts[0].error or "")
        assert delivery.status == "pending"
        assert client.webhooks.get(hook.id).last_status == "failure"
        client.webhooks.update(hook.id, oauth_client_secret="client-secret")
        lettr_server.clock.advance(minutes=1)
        assert [r.headers["Authorization"] for r in receiver.requests] == ["Bearer tok-1"]
        assert lettr_server.api_webhooks.deliveries(hook.id)[0].status == "succeeded"


def test_revoked_token_is_replaced_after_a_401(lettr_server: LettrServer, client: lettr.Lettr) -> None:
    with Receiver(client_id="hooks-client", client_secret="client-secret") as receiver:
        client.webhooks.create(name="OAuth", url=receiver.url + "/hooks", auth_type="oauth2",
                               oauth_client_id="hooks-client", oauth_client_secret="client-secret",
                               oauth_token_url=receiver.url + "/token", events_mode="selected",
                               events=["message.delivery"])
        client.emails.send(**send_kwargs())
        deliver_delivery_event(lettr_server)
        receiver.revoked.add("tok-1")
        deliver_delivery_event(lettr_server)
        assert receiver.requests[-1].headers["Authorization"] == "Bearer tok-1"  # refused with 401
        lettr_server.clock.advance(minutes=1)
        assert receiver.requests[-1].headers["Authorization"] == "Bearer tok-2"
        assert len(receiver.requests) == 3


def test_disabled_webhooks_and_sandbox_emails_get_nothing(lettr_server: LettrServer, client: lettr.Lettr,
                                                          sandbox: lettr.Lettr, receiver: Receiver) -> None:
    hook = client.webhooks.create(name="all", url=receiver.url + "/hooks", auth_type="basic",
                                  auth_username="lettr", auth_password="hook-pass", events_mode="all")
    sandbox.emails.send(**send_kwargs())
    assert receiver.requests == []
    client.webhooks.update(hook.id, active=False)
    client.emails.send(**send_kwargs())
    assert receiver.requests == []
    client.webhooks.update(hook.id, active=True)
    client.emails.send(**send_kwargs())
    assert len(receiver.requests) == 1


def test_gone_endpoint_disables_the_webhook(lettr_server: LettrServer, client: lettr.Lettr,
                                            receiver: Receiver) -> None:
    receiver.default_status = 410
    hook = client.webhooks.create(name="gone", url=receiver.url + "/hooks", auth_type="basic",
                                  auth_username="lettr", auth_password="hook-pass", events_mode="all")
    client.emails.send(**send_kwargs())
    assert client.webhooks.get(hook.id).enabled is False
    client.emails.send(**send_kwargs())
    assert len(receiver.requests) == 1
