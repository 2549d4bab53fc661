"""Moving the clock backwards and forwards across every expiry: rate-limit windows, a rotated key's
grace end, key expiry, idempotency records and scheduled emails.

What has happened stays happened (a revoked key stays revoked, an expired idempotency record stays
expired, a sent email stays sent, however far back the clock goes); what depends only on the
moment follows the clock (a rate-limit window that would start in the future is a new window; a
key's ``expiresAt`` is a setting compared with now).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import httpx
import pytest

from pytest_lettr import LettrServer

from . import V1, assert_v1_error, email


@pytest.fixture(autouse=True)
def frozen(lettr_server: LettrServer) -> None:
    lettr_server.clock.freeze()


def jump(server: LettrServer, **delta: float) -> None:
    """Move the clock by ``delta`` (negative: back), keeping it frozen there."""
    server.clock.set(server.clock.now() + timedelta(**delta), frozen=True)


def _reset_in(response: httpx.Response, server: LettrServer) -> int:
    return int(response.headers["X-RateLimit-Reset"]) - server.clock.timestamp()


# -- rate-limit windows ---------------------------------------------------------------------------

@pytest.mark.parametrize("back", [{"days": 1}, {"seconds": 90}, {"days": 400}])
def test_a_rate_limited_key_is_not_limited_for_a_backward_jump(v1: V1, lettr_server: LettrServer,
                                                               back: dict[str, float]) -> None:
    key = lettr_server.create_key("limited", ["emails:list"], rate_limit={"requests": 2, "period": "minute"})
    client = v1(key.key)
    assert [client.get("/emails").status_code for _ in range(2)] == [200, 200]
    limited = client.get("/emails")
    assert_v1_error(limited, 429, "rate_limit_exceeded")
    assert int(limited.headers["Retry-After"]) <= 60

    jump(lettr_server, **{name: -value for name, value in back.items()})
    again = client.get("/emails")
    assert again.status_code == 200, again.text
    assert 0 < _reset_in(again, lettr_server) <= 60
    assert client.get("/emails").status_code == 200
    assert_v1_error(client.get("/emails"), 429, "rate_limit_exceeded")

    jump(lettr_server, **back)  # forward again, into the first window's minute or past it
    forward = client.get("/emails")
    assert forward.status_code in (200, 429) and 0 < _reset_in(forward, lettr_server) <= 60
    jump(lettr_server, minutes=1)
    assert client.get("/emails").status_code == 200


def test_the_server_wide_limit_restarts_its_window_after_a_backward_jump(v1: V1, lettr_server: LettrServer) -> None:
    lettr_server.set_rate_limit(1, per_seconds=3600)
    assert v1().get("/emails").status_code == 200
    assert_v1_error(v1().get("/emails"), 429, "rate_limit_exceeded")
    jump(lettr_server, hours=-2)
    response = v1().get("/emails")
    assert response.status_code == 200, response.text
    assert 0 < _reset_in(response, lettr_server) <= 3600


@pytest.mark.lettr(enforce_limits=True)  # the sandbox windows are enforced with the switch
def test_a_sandbox_key_over_its_daily_limit_is_not_limited_for_a_day_after_a_backward_jump(
        lettr_server: LettrServer) -> None:
    lettr_server.clock.set(datetime(2030, 1, 10, 12, 0, tzinfo=timezone.utc), frozen=True)
    lettr_server.sandbox.policy.per_minute = 100
    lettr_server.sandbox.policy.per_day = 3
    key = lettr_server.create_key("sandbox", mode="sandbox")
    with httpx.Client(base_url=lettr_server.api_url, headers={"Authorization": f"Bearer {key.key}"}) as api:
        assert [api.get("/auth/check").status_code for _ in range(3)] == [200, 200, 200]
        assert api.get("/auth/check").status_code == 429
        jump(lettr_server, hours=-1)  # still the same day: the same daily window, ending at midnight
        limited = api.get("/auth/check")
        assert limited.status_code == 429 and int(limited.headers["Retry-After"]) == 13 * 3600
        jump(lettr_server, days=-1)   # the day before: a window of its own
        again = api.get("/auth/check")
        assert again.status_code == 200, (again.status_code, again.headers.get("Retry-After"))


# -- a rotated key's grace period -----------------------------------------------------------------

def test_a_key_revoked_at_the_end_of_its_grace_stays_revoked_when_the_clock_moves_back(
        v1: V1, lettr_server: LettrServer) -> None:
    old = lettr_server.create_key("svc", ["emails:send"])
    new = v1().post(f"/api-keys/{old.id}/rotate", json={"gracePeriodSeconds": 3600}).json()
    jump(lettr_server, hours=1)
    assert_v1_error(v1(old.key).post("/emails", json=email()), 401, "unauthorized")
    jump(lettr_server, hours=-2)
    assert_v1_error(v1(old.key).post("/emails", json=email()), 401, "unauthorized")
    assert_v1_error(v1().get(f"/api-keys/{old.id}"), 404, "not_found")
    assert old.id not in {k["id"] for k in v1().get("/api-keys").json()["data"]}
    assert v1(new["key"]).post("/emails", json=email()).status_code == 200


def test_a_grace_end_passed_without_a_request_is_a_revocation_all_the_same(v1: V1, lettr_server: LettrServer) -> None:
    old = lettr_server.create_key("svc", ["emails:send"])
    assert v1().post(f"/api-keys/{old.id}/rotate", json={"gracePeriodSeconds": 3600}).status_code == 201
    jump(lettr_server, hours=2)    # nobody uses the old key while its grace ends...
    jump(lettr_server, hours=-2)   # ...and the clock comes back before anyone does
    assert_v1_error(v1(old.key).get("/emails"), 401, "unauthorized")


def test_a_key_in_its_grace_period_keeps_working_across_backward_jumps(v1: V1, lettr_server: LettrServer) -> None:
    old = lettr_server.create_key("svc", ["emails:send"])
    v1().post(f"/api-keys/{old.id}/rotate", json={"gracePeriodSeconds": 3600})
    jump(lettr_server, minutes=30)
    jump(lettr_server, days=-3)
    assert v1(old.key).post("/emails", json=email()).status_code == 200
    jump(lettr_server, days=3, minutes=30)
    assert_v1_error(v1(old.key).post("/emails", json=email()), 401, "unauthorized")


# -- key expiry -----------------------------------------------------------------------------------

def test_key_expiry_is_a_setting_compared_with_the_clock(v1: V1, lettr_server: LettrServer) -> None:
    key = lettr_server.create_key("temp", ["emails:list"], expires_at=lettr_server.clock.now() + timedelta(hours=1))
    jump(lettr_server, hours=1)
    assert_v1_error(v1(key.key).get("/emails"), 401, "key_expired")
    jump(lettr_server, hours=-2)
    assert v1(key.key).get("/emails").status_code == 200
    jump(lettr_server, hours=2)
    assert_v1_error(v1(key.key).get("/emails"), 401, "key_expired")


# -- idempotency records --------------------------------------------------------------------------

def _send_once(v1: V1, subject: str = "Receipt") -> httpx.Response:
    return v1(headers={"Idempotency-Key": "order-1042"}).post("/emails", json=email(subject=subject))


def test_an_idempotent_send_is_replayed_after_a_backward_jump(v1: V1, lettr_server: LettrServer) -> None:
    first = _send_once(v1)
    jump(lettr_server, days=-1)
    replay = _send_once(v1)
    assert replay.headers.get("Idempotency-Replayed") == "true" and replay.json()["id"] == first.json()["id"]
    jump(lettr_server, days=1, hours=23)
    assert _send_once(v1).headers.get("Idempotency-Replayed") == "true"
    assert len(lettr_server.emails) == 1


def test_an_expired_idempotency_record_stays_expired_when_the_clock_moves_back(v1: V1,
                                                                              lettr_server: LettrServer) -> None:
    first = _send_once(v1)
    jump(lettr_server, hours=25)   # the record expires, with no request to notice
    jump(lettr_server, hours=-24)  # back to an hour after the first send
    again = _send_once(v1)
    assert again.status_code == 200 and "Idempotency-Replayed" not in again.headers
    assert again.json()["id"] != first.json()["id"] and len(lettr_server.emails) == 2
    assert _send_once(v1).headers.get("Idempotency-Replayed") == "true"  # the new record holds


# -- scheduled emails -----------------------------------------------------------------------------

def test_a_scheduled_email_goes_out_once_whichever_way_the_clock_moves(v1: V1, lettr_server: LettrServer) -> None:
    at = (lettr_server.clock.now() + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    email_id = v1().post("/emails", json=email(scheduledAt=at)).json()["id"]
    jump(lettr_server, days=-1)
    assert v1().get(f"/emails/{email_id}").json()["status"] == "scheduled"
    jump(lettr_server, days=1, hours=2)
    assert v1().get(f"/emails/{email_id}").json()["status"] == "sent"
    jump(lettr_server, hours=-2)
    assert v1().get(f"/emails/{email_id}").json()["status"] == "sent"
    jump(lettr_server, hours=2)
    sent = [e for e in lettr_server.account.events if e.type == "email.sent" and e.email_id == email_id]
    assert len(sent) == 1


def test_a_scheduled_email_due_before_a_backward_jump_has_gone_out(v1: V1, lettr_server: LettrServer) -> None:
    at = (lettr_server.clock.now() + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    email_id = v1().post("/emails", json=email(scheduledAt=at)).json()["id"]
    jump(lettr_server, hours=2)
    jump(lettr_server, hours=-2)
    assert v1().get(f"/emails/{email_id}").json()["status"] == "sent"
