"""The delivery engine: targets, outcomes, the retry schedule on the clock, 410, timeouts."""

from __future__ import annotations

import itertools
import socket
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request as StarletteRequest
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from werkzeug.wrappers import Request, Response

from pytest_lettr.clock import Clock
from pytest_lettr.webhooks.delivery import (
    LETTR_WEBHOOK_ADDRESSES,
    MAX_ATTEMPTS,
    RETRY_SCHEDULE,
    ASGITarget,
    AttemptContext,
    Delivery,
    DeliveryEngine,
    WSGITarget,
    is_loopback_host,
    send,
)

from .conftest import HANG, Receiver

T0 = datetime(2024, 1, 15, 10, 30, tzinfo=timezone.utc)
BODY = b'{"id":"evt_1","type":"email.sent","data":{}}'


def make_engine(**kwargs: Any) -> DeliveryEngine:
    clock = Clock()
    clock.set(T0, frozen=True)
    counter = itertools.count(1)
    return DeliveryEngine(clock, lambda: f"del_{next(counter):024d}", **kwargs).watch()


class ScriptedApp:
    """A WSGI receiver answering with scripted statuses (then 200), recording each request."""

    def __init__(self, *statuses: int) -> None:
        self.script = list(statuses)
        self.requests: list[Request] = []
        self.bodies: list[bytes] = []

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        self.bodies.append(request.get_data())
        self.requests.append(request)
        status = self.script.pop(0) if self.script else 200
        return Response("answer", status=status)(environ, start_response)


# --- targets ------------------------------------------------------------------------------------


def test_first_attempt_reaches_a_live_receiver_before_deliver_returns(receiver: Receiver) -> None:
    engine = make_engine()
    delivery = engine.deliver(receiver.url + "/hooks?source=lettr", BODY,
                              {"Content-Type": "application/json", "X-Test": "1"},
                              event_id="evt_1", event_type="email.sent", webhook_id="wh_1")
    assert len(receiver.requests) == 1
    got = receiver.requests[0]
    assert got.path == "/hooks?source=lettr"
    assert got.body == BODY
    assert got.headers["X-Test"] == "1" and got.headers["Content-Type"] == "application/json"
    assert got.client == "127.0.0.1"
    assert delivery.status == "succeeded" and delivery.response_code == 200
    assert delivery.attempt_count == 1 and delivery.next_retry_at is None
    attempt = delivery.attempts[0]
    assert attempt.succeeded and attempt.response_body == b"received"
    assert attempt.attempted_at == T0 and attempt.scheduled_at == T0
    assert (delivery.event_id, delivery.event_type, delivery.webhook_id) == ("evt_1", "email.sent", "wh_1")
    assert engine.deliveries == [delivery] and engine.get(delivery.id) is delivery


def test_https_receiver_on_loopback_is_verified_with_the_local_ca(tls_receiver: Receiver) -> None:
    delivery = make_engine().deliver(tls_receiver.url + "/tls", BODY, {})
    assert delivery.status == "succeeded", delivery.attempts[0].error
    assert tls_receiver.requests[0].body == BODY


def test_wsgi_target_sees_the_chosen_remote_addr_path_and_host() -> None:
    app = ScriptedApp()
    target = WSGITarget(app, "https://shop.example.test/webhooks/lettr?v=1", remote_addr="203.0.113.11")
    delivery = make_engine().deliver(target, BODY, {"Content-Type": "application/json"})
    assert delivery.status == "succeeded"
    request = app.requests[0]
    assert request.remote_addr == "203.0.113.11"
    assert request.path == "/webhooks/lettr" and request.args["v"] == "1"
    assert request.host == "shop.example.test" and request.scheme == "https"
    assert app.bodies[0] == BODY and request.mimetype == "application/json"


def test_a_bare_wsgi_app_is_delivered_from_a_lettr_address() -> None:
    app = ScriptedApp()
    make_engine().deliver(app, BODY, {})
    assert app.requests[0].remote_addr in LETTR_WEBHOOK_ADDRESSES


def test_asgi_apps_are_called_in_process_with_the_client_address() -> None:
    seen: list[tuple[str | None, str, bytes, str | None]] = []

    async def hook(request: StarletteRequest) -> PlainTextResponse:
        client = request.client.host if request.client else None
        seen.append((client, request.url.path, await request.body(), request.headers.get("x-test")))
        return PlainTextResponse("accepted", status_code=202)

    app = Starlette(routes=[Route("/hooks", hook, methods=["POST"])])
    bare = make_engine().deliver(app, BODY, {"X-Test": "yes"})  # a bare app gets "/": no route there
    assert bare.response_code == 404 and bare.status == "pending" and seen == []
    target = ASGITarget(app, "https://api.example.test/hooks", "203.0.113.12")
    delivery = make_engine().deliver(target, BODY, {"X-Test": "yes"})
    assert delivery.status == "succeeded" and delivery.response_code == 202
    assert seen == [("203.0.113.12", "/hooks", BODY, "yes")]
    assert delivery.attempts[0].response_body == b"accepted"


def test_an_app_that_raises_counts_as_a_500_and_keeps_the_exception() -> None:
    def broken(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        raise RuntimeError("handler bug")

    delivery = make_engine().deliver(broken, BODY, {})
    attempt = delivery.attempts[0]
    assert attempt.response_code == 500 and not attempt.succeeded
    assert attempt.error is not None and "RuntimeError: handler bug" in attempt.error
    assert delivery.status == "pending"
    with pytest.raises(RuntimeError, match="handler bug"):
        send(broken, BODY, {}, raise_app_errors=True)


def test_non_loopback_urls_are_never_contacted() -> None:
    delivery = make_engine().deliver("https://hooks.example.com/lettr", BODY, {})
    attempt = delivery.attempts[0]
    assert attempt.response_code is None and not attempt.succeeded
    assert attempt.error is not None and "not a loopback host" in attempt.error


@pytest.mark.parametrize(("host", "loopback"), [
    ("localhost", True), ("LOCALHOST", True), ("127.0.0.1", True), ("127.255.0.9", True),
    ("::1", True), ("[::1]", True), ("128.0.0.1", False), ("10.0.0.1", False),
    ("example.com", False), ("localhost.example.com", False), ("", False), (None, False),
    ("::ffff:8.8.8.8", False),
])
def test_loopback_hosts(host: str | None, loopback: bool) -> None:
    assert is_loopback_host(host) is loopback


def test_connection_refused_is_a_failed_attempt() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    delivery = make_engine().deliver(f"http://127.0.0.1:{port}/", BODY, {})
    attempt = delivery.attempts[0]
    assert attempt.response_code is None and attempt.error is not None
    assert attempt.error.startswith("connection error")
    assert delivery.status == "pending" and delivery.next_retry_at == T0 + timedelta(minutes=1)


def test_a_receiver_that_does_not_answer_in_time_is_a_timeout(receiver: Receiver) -> None:
    engine = make_engine(timeout=0.2)
    receiver.script = [HANG]
    delivery = engine.deliver(receiver.url, BODY, {})
    attempt = delivery.attempts[0]
    assert attempt.response_code is None
    assert attempt.error == "timeout: no answer within 0.2 s"
    assert delivery.status == "pending"


def test_a_per_delivery_timeout_overrides_the_engine(receiver: Receiver) -> None:
    engine = make_engine()
    receiver.script = [HANG]
    delivery = engine.deliver(receiver.url, BODY, {}, timeout=0.2)
    assert delivery.attempts[0].error == "timeout: no answer within 0.2 s"


def test_redirects_are_not_followed(receiver: Receiver) -> None:
    receiver.script = [302]
    delivery = make_engine().deliver(receiver.url, BODY, {})
    assert delivery.response_code == 302 and delivery.status == "pending"
    assert len(receiver.requests) == 1


# --- the schedule -------------------------------------------------------------------------------


def test_the_full_retry_schedule_runs_on_the_clock() -> None:
    engine = make_engine()
    app = ScriptedApp(*[500] * 10)
    delivery = engine.deliver(app, BODY, {})
    assert len(app.requests) == 1 and delivery.next_retry_at == T0 + timedelta(minutes=1)
    due = T0
    for number, wait in enumerate(RETRY_SCHEDULE, start=2):
        due += wait
        assert delivery.next_retry_at == due
        engine.clock.advance(seconds=wait.total_seconds() - 1)
        assert len(app.requests) == number - 1, "a retry ran before it was due"
        engine.clock.advance(seconds=1)
        assert len(app.requests) == number
        assert delivery.attempts[-1].scheduled_at == due == delivery.attempts[-1].attempted_at
    assert delivery.attempt_count == MAX_ATTEMPTS == 7
    assert delivery.status == "failed" and delivery.next_retry_at is None
    assert [a.response_code for a in delivery.attempts] == [500] * 7
    engine.clock.advance(days=30)
    assert len(app.requests) == 7


def test_the_schedule_waits_are_exactly_lettrs() -> None:
    assert [w.total_seconds() for w in RETRY_SCHEDULE] == [60, 300, 1800, 7200, 28800, 86400]


def test_a_big_clock_jump_runs_every_retry_that_came_due_in_order() -> None:
    engine = make_engine()
    app = ScriptedApp(*[503] * 10)
    delivery = engine.deliver(app, BODY, {})
    engine.clock.advance(hours=3)  # due by then: +1m, +6m, +36m, +2h36m
    assert delivery.attempt_count == 5 and delivery.status == "pending"
    scheduled = [a.scheduled_at - T0 for a in delivery.attempts]
    assert scheduled == [timedelta(0), timedelta(minutes=1), timedelta(minutes=6), timedelta(minutes=36),
                         timedelta(hours=2, minutes=36)]
    assert all(a.attempted_at == T0 + timedelta(hours=3) for a in delivery.attempts[1:])
    assert delivery.next_retry_at == T0 + timedelta(hours=10, minutes=36)
    engine.clock.advance(days=2)
    assert delivery.attempt_count == 7 and delivery.status == "failed"


def test_a_successful_retry_ends_the_delivery() -> None:
    engine = make_engine()
    app = ScriptedApp(500, 503)
    delivery = engine.deliver(app, BODY, {})
    engine.clock.advance(minutes=1)
    assert delivery.status == "pending" and delivery.response_code == 503
    engine.clock.advance(minutes=5)
    assert delivery.status == "succeeded" and delivery.response_code == 200
    assert [a.status for a in delivery.attempts] == ["failed", "failed", "succeeded"]
    engine.clock.advance(days=3)
    assert delivery.attempt_count == 3


def test_410_stops_at_once_and_reports_gone() -> None:
    engine = make_engine()
    gone: list[Delivery] = []
    seen: list[int | None] = []
    delivery = engine.deliver(ScriptedApp(410), BODY, {}, on_gone=gone.append,
                              on_attempt=lambda d, a: seen.append(a.response_code))
    assert delivery.status == "failed" and delivery.next_retry_at is None
    assert gone == [delivery] and seen == [410] and delivery.attempts[0].gone
    engine.clock.advance(days=2)
    assert delivery.attempt_count == 1


def test_max_attempts_one_is_never_retried() -> None:
    engine = make_engine()
    delivery = engine.deliver(ScriptedApp(500), BODY, {}, max_attempts=1)
    assert delivery.status == "failed" and delivery.next_retry_at is None
    engine.clock.advance(days=2)
    assert delivery.attempt_count == 1


def test_send_later_runs_on_the_next_check() -> None:
    engine = make_engine()
    app = ScriptedApp()
    delivery = engine.deliver(app, BODY, {}, send_now=False)
    assert delivery.status == "pending" and app.requests == [] and delivery.next_retry_at == T0
    assert [a.number for a in engine.run_due()] == [1]
    assert delivery.status == "succeeded"


def test_run_due_does_nothing_before_the_time() -> None:
    engine = make_engine()
    delivery = engine.deliver(ScriptedApp(500), BODY, {})
    assert engine.run_due() == [] and delivery.attempt_count == 1
    assert engine.pending() == [delivery]


# --- headers, manual retries, cancelling --------------------------------------------------------


def test_a_header_callable_is_asked_before_every_attempt() -> None:
    engine = make_engine()
    contexts: list[AttemptContext] = []

    def headers(context: AttemptContext) -> dict[str, str]:
        contexts.append(context)
        return {"X-Attempt": str(context.number), "X-At": str(int(context.moment.timestamp()))}

    app = ScriptedApp(500)
    delivery = engine.deliver(app, BODY, headers)
    engine.clock.advance(minutes=1)
    assert [c.number for c in contexts] == [1, 2]
    assert [c.moment for c in contexts] == [T0, T0 + timedelta(minutes=1)]
    assert all(c.delivery is delivery for c in contexts)
    assert [r.headers["X-Attempt"] for r in app.requests] == ["1", "2"]
    assert app.requests[1].headers["X-At"] == str(int((T0 + timedelta(minutes=1)).timestamp()))


def test_a_header_callable_that_fails_is_a_failed_attempt_and_is_retried() -> None:
    engine = make_engine()
    calls = itertools.count()

    def token(context: AttemptContext) -> dict[str, str]:
        if next(calls) == 0:
            raise ConnectionError("token endpoint down")
        return {"Authorization": "Bearer tok_fresh"}

    app = ScriptedApp()
    delivery = engine.deliver(app, BODY, token)
    first = delivery.attempts[0]
    assert app.requests == [] and not first.succeeded
    assert first.error == "not sent: headers failed: ConnectionError: token endpoint down"
    engine.clock.advance(minutes=1)
    assert delivery.status == "succeeded"
    assert app.requests[0].headers["Authorization"] == "Bearer tok_fresh"


def test_authorization_values_are_masked_in_the_log_but_sent() -> None:
    app = ScriptedApp()
    delivery = make_engine().deliver(app, BODY, {"Authorization": "Basic dXNlcjpwYXNz",
                                                 "Proxy-Authorization": "Bearer abc", "X-Keep": "v"})
    assert app.requests[0].headers["Authorization"] == "Basic dXNlcjpwYXNz"
    logged = delivery.attempts[0].request_headers
    assert logged == {"Authorization": "Basic ***", "Proxy-Authorization": "Bearer ***", "X-Keep": "v"}
    assert "dXNlcjpwYXNz" not in repr(delivery) + repr(delivery.attempts)


def test_manual_retry_of_a_failed_delivery() -> None:
    engine = make_engine()
    app = ScriptedApp(500)
    delivery = engine.deliver(app, BODY, {}, max_attempts=1)
    assert delivery.status == "failed"
    attempt = engine.retry(delivery)
    assert attempt.manual and attempt.succeeded and attempt.number == 2
    assert delivery.status == "succeeded" and delivery.attempt_count == 2


def test_a_failed_manual_retry_keeps_the_automatic_schedule() -> None:
    engine = make_engine()
    app = ScriptedApp(500, 500, 500)
    delivery = engine.deliver(app, BODY, {})
    engine.clock.advance(seconds=30)
    attempt = engine.retry(delivery)
    assert attempt.manual and not attempt.succeeded
    assert delivery.status == "pending" and delivery.next_retry_at == T0 + timedelta(minutes=1)
    engine.clock.advance(seconds=30)
    assert delivery.attempt_count == 3 and delivery.next_retry_at == T0 + timedelta(minutes=6)


def test_cancel_stops_pending_retries() -> None:
    engine = make_engine()
    app = ScriptedApp(500, 500)
    kept = engine.deliver(app, BODY, {}, webhook_id="wh_keep")
    dropped = engine.deliver(app, BODY, {}, webhook_id="wh_drop")
    assert engine.cancel(lambda d: d.webhook_id == "wh_drop", "webhook disabled") == [dropped]
    assert dropped.status == "failed" and dropped.cancelled == "webhook disabled"
    assert dropped.next_retry_at is None
    engine.clock.advance(minutes=1)
    assert kept.attempt_count == 2 and dropped.attempt_count == 1


def test_body_must_be_bytes_and_attempts_in_range() -> None:
    engine = make_engine()
    with pytest.raises(TypeError):
        engine.deliver(ScriptedApp(), "text", {})  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        engine.deliver(ScriptedApp(), BODY, {}, max_attempts=8)
    with pytest.raises(ValueError):
        DeliveryEngine(Clock(), lambda: "x", max_attempts=9)


def test_closing_the_engine_stops_clock_driven_retries() -> None:
    engine = make_engine()
    delivery = engine.deliver(ScriptedApp(500), BODY, {})
    engine.close()
    engine.clock.advance(minutes=5)
    assert delivery.attempt_count == 1
    engine.run_due()
    assert delivery.attempt_count == 2


def test_due_retries_also_run_on_the_next_api_request(lettr_server: Any) -> None:
    app = ScriptedApp(500)
    lettr_server.add_webhook(app, ["email.delivered"])
    lettr_server.account.emit("email.delivered", None, {"email_id": "email_x"})
    delivery = lettr_server.webhook_deliveries[0]
    assert delivery.status == "pending"
    lettr_server.clock.set(lettr_server.clock.now() + timedelta(minutes=2))  # set() tells no listener
    assert delivery.attempt_count == 1
    httpx.get(lettr_server.v1_url + "/webhooks",
              headers={"Authorization": f"Bearer {lettr_server.admin_key}"})
    assert delivery.attempt_count == 2 and delivery.status == "succeeded"
