"""Misbehaving receivers and OAuth2 token URLs (issue 10, defects 2 and 6).

Whatever a receiver or token URL does — stay silent, answer one byte at a time, hang up,
redirect, send a huge body, send non-latin-1 header bytes, hand out a token with CR/LF or
non-ASCII characters — the send that triggered the event succeeds, the attempt is recorded as
failed with a reason (and retried), and no token or secret shows anywhere a user can see.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import lettr
import pytest
from support import Receiver
from support.rogue import Rogue

from pytest_lettr import LettrServer
from pytest_lettr.webhooks.delivery import Delivery

CLIENT_SECRET = "client-secret-that-must-never-show"
BAD_TOKENS = ["tok-1\n", "tok-1\r\nX-Injected: yes", "tok\u20ac1", "tok 1", "\u00e9t\u00e9", "tok\x00", "tok\x7f"]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as running:
        yield running


def send(sdk: lettr.Lettr) -> str:
    return sdk.emails.send(from_email="app@example.com", to=["ada@example.com"], subject="Hi",
                           html="<p>Hi</p>").request_id


def oauth_webhook(sdk: lettr.Lettr, url: str, token_url: str) -> str:
    return sdk.webhooks.create(name="OAuth", url=url, auth_type="oauth2", events_mode="all",
                               oauth_client_id="hooks", oauth_client_secret=CLIENT_SECRET,
                               oauth_token_url=token_url).id


def everything_visible(server: LettrServer, delivery: Delivery, *extra: Any) -> str:
    """Every text a user can see about the account and this delivery."""
    parts: list[Any] = [repr(delivery), delivery.attempts, [a.error for a in delivery.attempts],
                        [a.request_headers for a in delivery.attempts], server.audit_log,
                        [repr(w) for w in server.api_webhooks.all()], repr(server.api_webhooks.tokens),
                        server.handler_errors, *extra]
    return repr(parts)


# -- tokens a header cannot carry -------------------------------------------------------------------
@pytest.mark.parametrize("token", BAD_TOKENS)
def test_a_token_a_header_cannot_carry_is_a_failed_attempt(
        lettr_server: LettrServer, sdk: lettr.Lettr, receiver: Receiver, token: str) -> None:
    with Rogue(answer=Rogue.json({"access_token": token, "token_type": "Bearer"})) as token_url:
        webhook_id = oauth_webhook(sdk, receiver.url + "/hook", token_url.url + "/token")
        send(sdk)  # answers 200 (no 500) although the token is unusable
        (delivery,) = lettr_server.api_webhooks.deliveries(webhook_id)
    attempt = delivery.attempts[0]
    assert not attempt.succeeded and delivery.status == "pending" and delivery.next_retry_at is not None
    assert "characters a header cannot carry" in (attempt.error or "")
    assert receiver.requests == []  # nothing was sent with a broken header
    assert webhook_id not in lettr_server.api_webhooks.tokens  # nothing cached
    visible = everything_visible(lettr_server, delivery)
    assert token.strip() not in visible and CLIENT_SECRET not in visible
    assert lettr_server.handler_errors == []


def test_a_header_callable_that_returns_cr_lf_fails_the_attempt_without_showing_it(
        lettr_server: LettrServer, receiver: Receiver) -> None:
    engine = lettr_server.account.delivery_engine
    secret = "Bearer leaked-value\r\nX-Evil: 1"
    delivery = engine.deliver(receiver.url + "/h", b"{}", lambda attempt: {"Authorization": secret})
    assert delivery.status == "pending" and receiver.requests == []
    assert "Authorization header value" in (delivery.attempts[0].error or "")
    assert "leaked-value" not in repr([delivery, delivery.attempts, delivery.attempts[0].error])


def test_a_token_with_a_huge_expires_in_is_cached_a_year_at_most(
        lettr_server: LettrServer, sdk: lettr.Lettr, receiver: Receiver) -> None:
    answer = Rogue.json({"access_token": "fine-token", "token_type": "Bearer", "expires_in": 10**400})
    with Rogue(answer=answer) as token_url:
        webhook_id = oauth_webhook(sdk, receiver.url + "/hook", token_url.url + "/token")
        send(sdk)
    (delivery,) = lettr_server.api_webhooks.deliveries(webhook_id)
    assert delivery.status == "succeeded"
    assert receiver.requests[0].headers["Authorization"] == "Bearer fine-token"


# -- token URLs that misbehave --------------------------------------------------------------------
TOKEN_PEERS = {
    "silent": dict(behaviour="silent"),
    "trickling": dict(behaviour="trickle", interval=0.02,
                      answer=Rogue.json({"access_token": "t" * 200, "token_type": "Bearer"})),
    "closing": dict(behaviour="close"),
    "redirecting": dict(answer=Rogue.response(302, b"", {"Location": "http://127.0.0.1:9/elsewhere"})),
    "huge": dict(behaviour="huge"),
    "not JSON": dict(answer=Rogue.response(200, b"<html>login</html>", {"Content-Type": "text/html"})),
    "nested JSON": dict(answer=Rogue.response(200, b"[" * 100_000 + b"]" * 100_000)),
    "non-latin-1 headers": dict(answer=Rogue.response(200, b"{}", raw_headers=b"X-Name: \xe2\x82\xac\xff\r\n")),
    "a JSON list": dict(answer=Rogue.json(["access_token"])),
}


@pytest.mark.parametrize("name", TOKEN_PEERS)
def test_a_misbehaving_token_url_is_a_failed_attempt(lettr_server: LettrServer, sdk: lettr.Lettr,
                                                     receiver: Receiver, name: str) -> None:
    lettr_server.account.delivery_engine.timeout = 1.0
    with Rogue(**TOKEN_PEERS[name]) as token_url:
        webhook_id = oauth_webhook(sdk, receiver.url + "/hook", token_url.url + "/token")
        send(sdk)
        (delivery,) = lettr_server.api_webhooks.deliveries(webhook_id)
    attempt = delivery.attempts[0]
    assert not attempt.succeeded and delivery.status == "pending", attempt
    assert (attempt.error or "").startswith("not sent: headers failed: OAuthTokenError"), attempt.error
    assert receiver.requests == [] and lettr_server.handler_errors == []
    assert CLIENT_SECRET not in everything_visible(lettr_server, delivery)


# -- receivers that misbehave ---------------------------------------------------------------------
RECEIVERS = {
    "silent": (dict(behaviour="silent"), "timeout"),
    "trickling": (dict(behaviour="trickle", interval=0.05, answer=Rogue.response(200, b"ok" * 20)), "timeout"),
    "closing": (dict(behaviour="close"), "connection error"),
    "redirecting": (dict(answer=Rogue.response(307, b"", {"Location": "http://127.0.0.1:9/"})), None),
    "garbage": (dict(answer=b"SMTP ready\r\n\r\n"), "connection error"),
}


@pytest.mark.parametrize("name", RECEIVERS)
def test_a_misbehaving_receiver_is_a_failed_attempt(lettr_server: LettrServer, name: str) -> None:
    options, error = RECEIVERS[name]
    lettr_server.account.delivery_engine.timeout = 1.0
    with Rogue(**options) as peer:
        webhook, _ = lettr_server.add_webhook(peer.url + "/hook", ["email.sent"])
        from support import client_for

        with client_for(lettr_server) as client:
            assert client.post("/emails", json={"from": "a@example.com", "to": ["b@example.com"],
                                                "subject": "s", "text": "t"}).status_code == 200
        (delivery,) = lettr_server.webhooks.deliveries(webhook.id)
    attempt = delivery.attempts[0]
    assert not attempt.succeeded and delivery.status == "pending"
    if error is None:
        assert attempt.response_code == 307
    else:
        assert (attempt.error or "").startswith(error), attempt.error


def test_a_huge_answer_is_judged_by_its_status_and_kept_in_part(lettr_server: LettrServer) -> None:
    with Rogue("huge") as peer:
        delivery = lettr_server.account.delivery_engine.deliver(peer.url + "/h", b"{}", {})
    assert delivery.status == "succeeded" and len(delivery.attempts[0].response_body) == 64 * 1024


def test_non_latin1_response_headers_are_kept_readably(lettr_server: LettrServer) -> None:
    with Rogue(answer=Rogue.response(200, b"ok", raw_headers=b"X-Name: caf\xc3\xa9 \xff\r\n")) as peer:
        delivery = lettr_server.account.delivery_engine.deliver(peer.url + "/h", b"{}", {})
    assert delivery.status == "succeeded"
    assert delivery.attempts[0].response_headers["X-Name"].startswith("caf")


# -- one deadline per attempt --------------------------------------------------------------------
def test_a_trickling_receiver_is_cut_at_the_deadline(lettr_server: LettrServer) -> None:
    """Each byte comes well within the timeout, so a per-read timeout never fires: 60 bytes at
    0.05 s take 3 s against a 0.5 s deadline."""
    engine = lettr_server.account.delivery_engine
    engine.timeout = 0.5
    with Rogue("trickle", interval=0.05, answer=Rogue.response(200, b"x" * 20)) as peer:
        delivery = engine.deliver(peer.url + "/h", b"{}", {})
    assert delivery.attempts[0].error == "timeout: no answer within 0.5 s"
    assert delivery.attempts[0].duration < 2.5  # generous: the trickle alone lasts 3 s


def test_the_token_fetch_and_the_post_share_one_deadline(lettr_server: LettrServer, sdk: lettr.Lettr) -> None:
    """A token URL and a receiver that each answer within the timeout (about 0.7 s of a 1 s
    budget), but not both together."""
    lettr_server.account.delivery_engine.timeout = 1.0
    token = Rogue.json({"access_token": "shared-deadline", "token_type": "Bearer"})
    answer = Rogue.response(200, b"y" * 90)
    with Rogue("trickle", interval=0.005, answer=token) as token_url, \
            Rogue("trickle", interval=0.005, answer=answer) as peer:
        assert 0.6 < len(token) * 0.005 < 0.8 and 0.6 < len(answer) * 0.005 < 0.8
        webhook_id = oauth_webhook(sdk, peer.url + "/hook", token_url.url + "/token")
        send(sdk)
        (delivery,) = lettr_server.api_webhooks.deliveries(webhook_id)
    assert "no answer within 1 s" in (delivery.attempts[0].error or ""), delivery.attempts[0].error


def test_one_events_webhooks_are_attempted_together(lettr_server: LettrServer, sdk: lettr.Lettr) -> None:
    """Four receivers (v1 and /api) each answer only once all four have been reached: attempted
    one after another, the first would wait in vain and time out."""
    lettr_server.account.delivery_engine.timeout = 3.0
    gate = threading.Barrier(4)
    peers = [Rogue(gate=gate) for _ in range(4)]
    for peer in peers:
        peer.__enter__()
    try:
        lettr_server.add_webhook(peers[0].url + "/v1-a", ["email.sent"])
        lettr_server.add_webhook(peers[1].url + "/v1-b", ["email.sent"])
        for peer in peers[2:]:
            sdk.webhooks.create(name=peer.url, url=peer.url + "/api", auth_type="none", events_mode="all")
        send(sdk)
    finally:
        for peer in peers:
            peer.__exit__()
    deliveries = lettr_server.webhook_deliveries
    assert len(deliveries) == 4 and {d.status for d in deliveries} == {"succeeded"}, \
        [d.attempts[0].error for d in deliveries]


# -- nothing of a token in pytest's own output ----------------------------------------------------
INNER = r'''
import json, socket, threading

import httpx

SECRET = "inner-secret-" + "ABC"  # so that the source lines in a traceback do not hold it whole


def token_url():
    server = socket.create_server(("127.0.0.1", 0))
    body = json.dumps({"access_token": "inner-token-" + "XYZ\r\nX-Evil: 1", "token_type": "Bearer"}).encode()

    def serve():
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                conn.recv(65536)
                conn.sendall(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: %d\r\n\r\n" % len(body) + body)

    threading.Thread(target=serve, daemon=True).start()
    return server


def test_send(lettr_server):
    server = token_url()
    url = "http://127.0.0.1:%d" % server.getsockname()[1]
    lettr_server.api_webhooks.create("n", url + "/hook", auth_type="oauth2", oauth_client_id="i",
                                     oauth_client_secret=SECRET, oauth_token_url=url + "/token")
    key = lettr_server.create_key("k", mode="api").key
    reply = httpx.post(lettr_server.api_url + "/emails", headers={"Authorization": "Bearer " + key},
                       json={"from": "a@example.com", "to": ["b@example.com"], "subject": "s", "html": "<p>h</p>"})
    server.close()
    deliveries = lettr_server.webhook_deliveries
    print(deliveries, deliveries[0].attempts, lettr_server.api_webhooks.all())
    assert reply.status_code == 200, reply.text
    assert False, "sent: " + repr(deliveries[0].attempts) + repr(lettr_server.api_webhooks.tokens)
'''


def test_no_token_or_secret_in_pytest_output(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_inner=INNER)
    result = pytester.runpytest("-p", "no:xdist", "-p", "no:hypothesispytest", "-rA", "-s", "--showlocals")
    output = result.stdout.str() + result.stderr.str()
    result.assert_outcomes(failed=1)  # the deliberate failure, so reports show everything they can
    assert "AssertionError: sent: " in output and "characters a header cannot carry" in output
    assert "inner-token-XYZ" not in output and "inner-secret-ABC" not in output


def test_due_retries_of_different_webhooks_run_together_and_each_webhooks_in_order() -> None:
    from pytest_lettr.clock import Clock
    from pytest_lettr.webhooks.delivery import DeliveryEngine

    engine = DeliveryEngine(Clock(), iter(f"del_{i}" for i in range(100)).__next__, timeout=3.0)
    gate = threading.Barrier(3)
    peers = [Rogue(gate=gate) for _ in range(3)]
    for peer in peers:
        peer.__enter__()
    try:
        due = [engine.deliver(peer.url + "/due", b'{"n": 1}', {}, webhook_id=f"wh_{i}", send_now=False)
               for i, peer in enumerate(peers)]
        later = engine.deliver(peers[0].url + "/due", b'{"n": 2}', {}, webhook_id="wh_0", send_now=False)
        engine.run_due()  # three receivers answer only once all three are reached
    finally:
        for peer in peers:
            peer.__exit__()
        engine.shutdown()
    assert [d.status for d in due] == ["succeeded"] * 3, [d.attempts[0].error for d in due]
    assert later.status == "succeeded"
    assert [r.rsplit(b"\r\n", 1)[-1] for r in peers[0].requests] == [b'{"n": 1}', b'{"n": 2}']
