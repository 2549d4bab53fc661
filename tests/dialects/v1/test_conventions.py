"""Conventions every v1 endpoint shares (v1 §1): pagination, idempotency, rate limits, body rules,
404/405 and the error envelope."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from pytest_lettr import LettrServer

from . import V1, assert_v1_error, email

# -- pagination -----------------------------------------------------------------------------------


def send_many(lettr_server: LettrServer, count: int) -> list[str]:
    """Send ``count`` emails; their ids oldest first."""
    client = httpx.Client(base_url=lettr_server.v1_url, headers={"Authorization": f"Bearer {lettr_server.admin_key}"})
    with client:
        body = {"emails": [email(subject=f"#{i}") for i in range(count)]}
        response = client.post("/emails/batch", json=body)
        assert response.status_code == 200, response.text
        return [e["id"] for e in response.json()["data"]]


def page(v1: V1, path: str, **params: Any) -> dict[str, Any]:
    response = v1().get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def test_default_limit_is_10(v1: V1, lettr_server: LettrServer) -> None:
    ids = send_many(lettr_server, 15)
    body = page(v1, "/emails")
    assert [e["id"] for e in body["data"]] == ids[::-1][:10]
    assert body["hasMore"] is True and body["totalCount"] == 15


@pytest.mark.parametrize(("limit", "size", "has_more"), [(1, 1, True), (100, 100, True), (7, 7, True)])
def test_limit_bounds(v1: V1, lettr_server: LettrServer, limit: int, size: int, has_more: bool) -> None:
    send_many(lettr_server, 100)
    send_many(lettr_server, 1)
    body = page(v1, "/emails", limit=limit)
    assert len(body["data"]) == size and body["hasMore"] is has_more and body["totalCount"] == 101


def test_limit_equal_to_the_count_has_no_more(v1: V1, lettr_server: LettrServer) -> None:
    send_many(lettr_server, 5)
    body = page(v1, "/emails", limit=5)
    assert len(body["data"]) == 5 and body["hasMore"] is False


@pytest.mark.parametrize("limit", ["0", "101", "abc", "-1", "1.5", "", "1e2", "9999999999", "\u00b2", "\u0661\u0662"])
@pytest.mark.parametrize("path", ["/emails", "/api-keys"])
def test_bad_limit_is_400(v1: V1, path: str, limit: str) -> None:
    assert_v1_error(v1().get(path, params={"limit": limit}), 400, "invalid_parameter", param="limit")


@pytest.mark.parametrize("limit", [1, 3, 10])
def test_walk_every_page_forwards_and_backwards(v1: V1, lettr_server: LettrServer, limit: int) -> None:
    ids = send_many(lettr_server, 10)
    newest_first = ids[::-1]

    forwards: list[str] = []
    params: dict[str, Any] = {"limit": limit}
    while True:
        body = page(v1, "/emails", **params)
        assert body["totalCount"] == 10
        forwards += [e["id"] for e in body["data"]]
        if not body["hasMore"]:
            break
        params = {"limit": limit, "starting_after": forwards[-1]}
    assert forwards == newest_first

    # From the oldest page back to the newest with ending_before.
    oldest_page = page(v1, "/emails", limit=limit, starting_after=newest_first[-limit - 1]) \
        if limit < 10 else page(v1, "/emails", limit=limit)
    backwards: list[str] = [e["id"] for e in oldest_page["data"]]
    while True:
        body = page(v1, "/emails", limit=limit, ending_before=backwards[0])
        backwards = [e["id"] for e in body["data"]] + backwards
        if not body["hasMore"]:
            break
    assert backwards == newest_first


def test_cursor_edges(v1: V1, lettr_server: LettrServer) -> None:
    ids = send_many(lettr_server, 4)
    assert page(v1, "/emails", starting_after=ids[0]) == {"object": "list", "data": [], "hasMore": False,
                                                          "totalCount": 4}
    assert page(v1, "/emails", ending_before=ids[-1])["data"] == []
    body = page(v1, "/emails", ending_before=ids[0], limit=2)
    assert [e["id"] for e in body["data"]] == [ids[2], ids[1]] and body["hasMore"] is True
    body = page(v1, "/emails", starting_after=ids[3], limit=2)
    assert [e["id"] for e in body["data"]] == [ids[2], ids[1]] and body["hasMore"] is True


@pytest.mark.parametrize("cursor", ["starting_after", "ending_before"])
@pytest.mark.parametrize("path", ["/emails", "/api-keys"])
def test_unknown_cursor_is_400(v1: V1, path: str, cursor: str) -> None:
    assert_v1_error(v1().get(path, params={cursor: "email_000000000000000000000000"}), 400, "invalid_parameter",
             param=cursor)


def test_both_cursors_at_once_is_400(v1: V1, lettr_server: LettrServer) -> None:
    ids = send_many(lettr_server, 3)
    assert_v1_error(v1().get("/emails", params={"starting_after": ids[2], "ending_before": ids[0]}), 400,
             "invalid_parameter")


def test_cursor_may_be_an_item_the_filter_leaves_out(v1: V1) -> None:
    client = v1()
    a = client.post("/emails", json=email(to="ada@example.com")).json()["id"]
    b = client.post("/emails", json=email(to="bob@example.com")).json()["id"]
    c = client.post("/emails", json=email(to="ada@example.com")).json()["id"]
    body = page(v1, "/emails", to="ada@example.com", starting_after=b)
    assert [e["id"] for e in body["data"]] == [a] and body["totalCount"] == 2
    assert [e["id"] for e in page(v1, "/emails", to="ada@example.com", ending_before=b)["data"]] == [c]


def test_api_keys_paginate_the_same_way(v1: V1, lettr_server: LettrServer) -> None:
    made = [lettr_server.create_key(f"k{i}").id for i in range(4)]
    all_ids = [lettr_server.account.admin_key.id, *made][::-1]
    first = page(v1, "/api-keys", limit=2)
    assert [k["id"] for k in first["data"]] == all_ids[:2] and first["hasMore"] and first["totalCount"] == 5
    second = page(v1, "/api-keys", limit=2, starting_after=all_ids[1])
    assert [k["id"] for k in second["data"]] == all_ids[2:4]
    back = page(v1, "/api-keys", limit=2, ending_before=all_ids[2])
    assert [k["id"] for k in back["data"]] == all_ids[:2] and back["hasMore"] is False


# -- idempotency ----------------------------------------------------------------------------------

def test_idempotent_replay_is_byte_for_byte(v1: V1, lettr_server: LettrServer) -> None:
    client = v1(headers={"Idempotency-Key": "order-42"})
    first = client.post("/emails", json=email())
    lettr_server.clock.advance(minutes=5)
    again = client.post("/emails", json=email())
    assert first.status_code == again.status_code == 200
    assert again.content == first.content
    assert again.headers["Idempotency-Replayed"] == "true" and "Idempotency-Replayed" not in first.headers
    assert again.headers["Content-Type"] == first.headers["Content-Type"]
    assert "X-RateLimit-Limit" in again.headers
    assert len(lettr_server.emails) == 1


def test_idempotency_key_with_another_body_is_409(v1: V1, lettr_server: LettrServer) -> None:
    client = v1(headers={"Idempotency-Key": "order-42"})
    client.post("/emails", json=email())
    assert_v1_error(client.post("/emails", json=email(subject="Other")), 409, "idempotency_key_conflict")
    assert_v1_error(client.post("/emails/batch", json={"emails": [email()]}), 409, "idempotency_key_conflict")
    assert len(lettr_server.emails) == 1


def test_idempotency_keys_are_scoped_per_api_key(v1: V1, lettr_server: LettrServer) -> None:
    other = lettr_server.create_key("other")
    headers = {"Idempotency-Key": "same"}
    first = v1(headers=headers).post("/emails", json=email())
    second = v1(other.key, headers=headers).post("/emails", json=email(subject="Other"))
    assert first.status_code == second.status_code == 200
    assert "Idempotency-Replayed" not in second.headers and first.json()["id"] != second.json()["id"]
    assert len(lettr_server.emails) == 2


def test_idempotency_lasts_24_hours(v1: V1, lettr_server: LettrServer) -> None:
    client = v1(headers={"Idempotency-Key": "k"})
    client.post("/emails", json=email())
    lettr_server.clock.advance(hours=23, minutes=59)
    assert client.post("/emails", json=email()).headers.get("Idempotency-Replayed") == "true"
    lettr_server.clock.advance(minutes=1)
    fresh = client.post("/emails", json=email(subject="new day"))
    assert fresh.status_code == 200 and "Idempotency-Replayed" not in fresh.headers
    assert len(lettr_server.emails) == 2


def test_errors_are_replayed_too(v1: V1, lettr_server: LettrServer) -> None:
    client = v1(headers={"Idempotency-Key": "bad"})
    first = client.post("/emails", json=email(to="nope"))
    again = client.post("/emails", json=email(to="nope"))
    assert_v1_error(again, 400, "invalid_to")
    assert again.content == first.content and again.headers["Idempotency-Replayed"] == "true"


def test_idempotency_key_is_at_most_255_characters(v1: V1, lettr_server: LettrServer) -> None:
    assert v1(headers={"Idempotency-Key": "k" * 255}).post("/emails", json=email()).status_code == 200
    assert_v1_error(v1(headers={"Idempotency-Key": "k" * 256}).post("/emails", json=email()), 400, "invalid_parameter",
             param="Idempotency-Key")
    assert len(lettr_server.emails) == 1


def test_only_post_is_idempotent(v1: V1, lettr_server: LettrServer) -> None:
    client = v1(headers={"Idempotency-Key": "k"})
    for _ in range(2):
        response = client.get("/emails")
        assert response.status_code == 200 and "Idempotency-Replayed" not in response.headers


def test_refused_requests_do_not_use_the_idempotency_key(v1: V1, lettr_server: LettrServer) -> None:
    reader = lettr_server.create_key("reader", permissions=["emails:read"])
    headers = {"Idempotency-Key": "k"}
    assert_v1_error(v1(reader.key, headers=headers).post("/emails", json=email()), 403, "forbidden")
    v1().patch(f"/api-keys/{reader.id}", json={"permissions": ["emails:send"]})
    response = v1(reader.key, headers=headers).post("/emails", json=email())
    assert response.status_code == 200 and "Idempotency-Replayed" not in response.headers


def test_a_replayed_key_creation_never_shows_the_key_again(v1: V1, lettr_server: LettrServer) -> None:
    client = v1(headers={"Idempotency-Key": "create-ci-key"})
    first = client.post("/api-keys", json={"name": "ci"})
    again = client.post("/api-keys", json={"name": "ci"})
    assert first.status_code == again.status_code == 201 and again.headers["Idempotency-Replayed"] == "true"
    created = first.json()
    assert again.json() == {k: v for k, v in created.items() if k != "key"}
    assert len(lettr_server.account.keys) == 2
    rotated = v1(headers={"Idempotency-Key": "rot"}).post(f"/api-keys/{created['id']}/rotate")
    replayed = v1(headers={"Idempotency-Key": "rot"}).post(f"/api-keys/{created['id']}/rotate")
    assert "key" in rotated.json() and "key" not in replayed.json()
    assert replayed.json()["id"] == rotated.json()["id"]


# -- rate limits ----------------------------------------------------------------------------------

def rate_headers(response: httpx.Response) -> tuple[int, int, int]:
    h = response.headers
    return int(h["X-RateLimit-Limit"]), int(h["X-RateLimit-Remaining"]), int(h["X-RateLimit-Reset"])


def test_rate_limit_headers_on_every_authenticated_response(v1: V1, lettr_server: LettrServer) -> None:
    lettr_server.clock.freeze()
    now = lettr_server.clock.timestamp()
    reader = lettr_server.create_key("reader", permissions=["emails:list"])
    responses = [v1().get("/emails"), v1().post("/emails", json={}), v1().get("/emails/email_x"),
                 v1(reader.key).post("/emails", json=email())]
    assert [r.status_code for r in responses] == [200, 400, 404, 403]
    limits = [rate_headers(r) for r in responses]
    assert [lim[0] for lim in limits] == [100] * 4
    assert [lim[1] for lim in limits] == [99, 98, 97, 99]  # counted per key
    assert all(now < lim[2] <= now + 1 for lim in limits)


def test_limiting_is_off_by_default(v1: V1, lettr_server: LettrServer) -> None:
    lettr_server.clock.freeze()
    client = v1()
    statuses = {client.get("/emails").status_code for _ in range(105)}
    assert statuses == {200}


@pytest.mark.lettr(rate_limit=(3, 60))
def test_server_wide_limit_from_the_marker(v1: V1, lettr_server: LettrServer) -> None:
    lettr_server.clock.freeze()
    client = v1()
    assert [rate_headers(client.get("/emails"))[1] for _ in range(3)] == [2, 1, 0]
    refused = client.get("/emails")
    error = assert_v1_error(refused, 429, "rate_limit_exceeded")
    assert 1 <= error["retryAfter"] <= 60
    assert refused.headers["Retry-After"] == str(error["retryAfter"])
    assert rate_headers(refused)[:2] == (3, 0)
    other = lettr_server.create_key("other")
    assert v1(other.key).get("/emails").status_code == 200  # each key has its own window
    lettr_server.clock.advance(seconds=error["retryAfter"])
    assert client.get("/emails").status_code == 200


def test_set_rate_limit_on_and_off(v1: V1, lettr_server: LettrServer) -> None:
    lettr_server.clock.freeze()
    lettr_server.set_rate_limit(1, per_seconds=1)
    client = v1()
    assert client.get("/emails").status_code == 200
    error = assert_v1_error(client.get("/emails"), 429, "rate_limit_exceeded")
    assert error["retryAfter"] == 1
    lettr_server.set_rate_limit(None)
    assert client.get("/emails").status_code == 200


def test_a_keys_own_rate_limit_always_applies(v1: V1, lettr_server: LettrServer) -> None:
    lettr_server.clock.freeze()
    key = lettr_server.create_key("slow", rate_limit={"requests": 2, "period": "hour"})
    client = v1(key.key)
    assert [client.get("/emails").status_code for _ in range(2)] == [200, 200]
    refused = client.get("/emails")
    error = assert_v1_error(refused, 429, "rate_limit_exceeded")
    assert rate_headers(refused)[:2] == (2, 0)
    assert 1 <= error["retryAfter"] <= 3600 and refused.headers["Retry-After"] == str(error["retryAfter"])
    assert v1().get("/emails").status_code == 200  # the admin key is not limited
    lettr_server.clock.advance(hours=1)
    assert client.get("/emails").status_code == 200


def test_a_keys_own_limit_replaces_the_servers(v1: V1, lettr_server: LettrServer) -> None:
    lettr_server.clock.freeze()
    lettr_server.set_rate_limit(1, per_seconds=60)
    key = lettr_server.create_key("fast", rate_limit={"requests": 3, "period": "minute"})
    assert [v1(key.key).get("/emails").status_code for _ in range(4)] == [200, 200, 200, 429]


def test_rate_limit_set_through_the_api_is_effective_at_once(v1: V1, lettr_server: LettrServer) -> None:
    lettr_server.clock.freeze()
    key = lettr_server.create_key("k")
    v1().patch(f"/api-keys/{key.id}", json={"rateLimit": {"requests": 1, "period": "second"}})
    client = v1(key.key)
    assert client.get("/emails").status_code == 200
    assert_v1_error(client.get("/emails"), 429, "rate_limit_exceeded")
    lettr_server.clock.advance(seconds=1)
    assert client.get("/emails").status_code == 200


def test_401_is_not_rate_limited_or_counted(v1: V1, lettr_server: LettrServer) -> None:
    lettr_server.clock.freeze()
    lettr_server.set_rate_limit(1, per_seconds=60)
    for _ in range(3):
        response = v1("le_" + "x" * 36).get("/emails")
        assert_v1_error(response, 401, "unauthorized")
        assert "X-RateLimit-Limit" not in response.headers
    assert v1().get("/emails").status_code == 200


# -- bodies ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data",
                                          None])
def test_write_without_json_content_type_is_415(v1: V1, lettr_server: LettrServer, content_type: str | None) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = v1().post("/emails", content=json.dumps(email()).encode(), headers=headers)
    assert_v1_error(response, 415, "unsupported_media_type")
    assert_v1_error(v1().patch(f"/api-keys/{lettr_server.account.admin_key.id}", content=b'{"name": "x"}',
                        headers=headers), 415, "unsupported_media_type")
    assert len(lettr_server.emails) == 0


@pytest.mark.parametrize("content_type", ["application/json", "application/json; charset=utf-8",
                                          "Application/JSON", "application/vnd.lettr+json"])
def test_json_content_types_are_accepted(v1: V1, content_type: str) -> None:
    response = v1().post("/emails", content=json.dumps(email()).encode(), headers={"Content-Type": content_type})
    assert response.status_code == 200, response.text


def test_a_write_without_a_body_needs_no_content_type(v1: V1, lettr_server: LettrServer) -> None:
    key = lettr_server.create_key("k")
    assert v1().post(f"/api-keys/{key.id}/rotate").status_code == 201
    assert_v1_error(v1().post("/emails"), 400, "missing_parameter", param="from")


@pytest.mark.parametrize("content", [
    b"{",
    b'{"from": }',
    b"[]",
    b'"a string"',
    b"42",
    b"null",
    b'{"to": "a@example.com", "to": "b@example.com"}',
    b'{"n": NaN}',
    b'{"n": Infinity}',
    b'{"text": "\xff\xfe"}',
    b'{"from": "a@example.com", "to": "b@example.com", "subject": "\\ud800", "text": "lone surrogate"}',
    b'{"subject": "\\udfff\\ud800"}',
    b"[" * 100 + b"]" * 100,
    b'{"a":' * 100 + b"1" + b"}" * 100,
])
def test_invalid_json_is_400(v1: V1, content: bytes) -> None:
    response = v1().post("/emails", content=content, headers={"Content-Type": "application/json"})
    assert_v1_error(response, 400, "invalid_json")


def test_escaped_surrogate_pairs_and_backslashes_are_fine(v1: V1, lettr_server: LettrServer) -> None:
    content = b'{"from": "a@example.com", "to": "b@example.com", "subject": "\\ud83d\\ude00 \\\\ud800", "text": "t"}'
    response = v1().post("/emails", content=content, headers={"Content-Type": "application/json"})
    assert response.status_code == 200, response.text
    assert lettr_server.emails[-1].subject == "\U0001f600 \\ud800"


def test_body_over_10_mib_is_413(v1: V1, lettr_server: LettrServer) -> None:
    body = json.dumps(email(text="x" * (10 * 1024 * 1024))).encode()
    assert_v1_error(v1().post("/emails", content=body, headers={"Content-Type": "application/json"}), 413,
             "payload_too_large")
    assert len(lettr_server.emails) == 0


# -- routing and the envelope ---------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/v1/nope", "/v1/emails/x/y", "/v1", "/nothing-here", "/v2/emails"])
def test_unknown_path_is_404_in_the_envelope(lettr_server: LettrServer, path: str) -> None:
    response = httpx.get(lettr_server.url + path, headers={"Authorization": f"Bearer {lettr_server.admin_key}"})
    assert_v1_error(response, 404, "not_found")
    assert response.headers["Content-Type"] == "application/json"


def test_unknown_path_is_404_even_without_a_key(v1: V1) -> None:
    assert_v1_error(v1(auth=False).get("/nope"), 404, "not_found")


@pytest.mark.parametrize(("method", "path", "allowed"), [
    ("PUT", "/emails", {"GET", "POST"}),
    ("PATCH", "/emails/email_x", {"GET", "DELETE"}),
    ("DELETE", "/api-keys", {"GET", "POST"}),
    ("PUT", "/emails/batch", {"POST"}),
    ("GET", "/api-keys/key_x/rotate", {"POST"}),
])
def test_wrong_method_is_405_with_allow(v1: V1, method: str, path: str, allowed: set[str]) -> None:
    response = v1().request(method, path)
    assert_v1_error(response, 405, "method_not_allowed")
    assert allowed <= {m.strip() for m in response.headers["Allow"].split(",")}


def test_trailing_slash_is_the_same_endpoint(v1: V1) -> None:
    assert v1().post("/emails/", json=email()).status_code == 200
    assert v1().get("/emails/").json()["totalCount"] == 1


def test_every_error_is_json_with_only_an_error_object(v1: V1, lettr_server: LettrServer) -> None:
    responses = [v1(auth=False).get("/emails"), v1().get("/emails", params={"limit": 0}),
                 v1().get("/emails/none"), v1().put("/emails")]
    for response in responses:
        assert response.headers["Content-Type"] == "application/json"
        body = response.json()
        assert list(body) == ["error"] and set(body["error"]) <= {"code", "message", "param"}


def test_timestamps_are_utc_with_z(v1: V1, lettr_server: LettrServer) -> None:
    sent = v1().post("/emails", json=email(scheduledAt="2999-01-01T01:00:00+01:00")).json()
    assert sent["scheduledAt"] == "2999-01-01T00:00:00Z"
    assert sent["createdAt"].endswith("Z") and "+" not in sent["createdAt"]
