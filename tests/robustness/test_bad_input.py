"""A matrix of bad requests over the v1 API: each gets the documented 4xx envelope, the server
stays up, and nothing stored before is changed."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from pytest_lettr import LettrServer
from pytest_lettr.dialects.base import MAX_BODY_BYTES

from .conftest import SEND, Seeded, assert_unchanged, assert_v1_error, client_for, snapshot

ADMIN = object()  # the account's admin key
JSON = {"Content-Type": "application/json"}


def send(**changes: Any) -> dict[str, Any]:
    body = dict(SEND)
    body.update(changes)
    return body


def nested(depth: int) -> Any:
    value: Any = "leaf"
    for _ in range(depth):
        value = {"k": value}
    return value


@dataclass(frozen=True)
class Case:
    method: str
    path: str  # may name {email}, {key} and {webhook}: the seeded resources' ids
    status: int
    code: str
    json: Any = None
    content: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] | None = None
    auth: Any = ADMIN  # ADMIN, None (no header) or a list of raw Authorization values
    param: str | None = None


CASES: dict[str, Case] = {
    # -- not JSON, or not a JSON object --------------------------------------------------------
    "truncated json": Case("POST", "/emails", 400, "invalid_json", content=b'{"from": "a@example.com", '),
    "json array body": Case("POST", "/emails", 400, "invalid_json", content=b"[]"),
    "json string body": Case("POST", "/emails", 400, "invalid_json", content=b'"hello"'),
    "json null body": Case("POST", "/api-keys", 400, "invalid_json", content=b"null"),
    "json number body": Case("PATCH", "/api-keys/{key}", 400, "invalid_json", content=b"42"),
    "NaN is not json": Case("POST", "/emails", 400, "invalid_json",
                            content=b'{"from": "a@example.com", "subject": NaN}'),
    "byte order mark": Case("POST", "/emails", 400, "invalid_json",
                            content=b"\xef\xbb\xbf" + json.dumps(SEND).encode()),
    "trailing garbage": Case("POST", "/webhooks", 400, "invalid_json", content=b'{"url": "x"} {"url": "y"}'),
    "invalid utf-8": Case("POST", "/emails", 400, "invalid_json", content=b'{"from": "\xff\xfe@example.com"}'),
    "nul byte after json": Case("POST", "/emails", 400, "invalid_json", content=json.dumps(SEND).encode() + b"\x00"),
    "duplicate keys": Case("POST", "/emails", 400, "invalid_json",
                           content=b'{"from": "a@example.com", "from": "b@example.com", "to": "c@example.com",'
                                   b' "subject": "s", "text": "t"}'),
    "duplicate nested keys": Case("POST", "/emails", 400, "invalid_json",
                                  content=json.dumps(send())[:-1].encode() + b', "metadata": {"a": "1", "a": "2"}}'),
    "deeply nested metadata": Case("POST", "/emails", 400, "invalid_json", json=send(metadata=nested(200))),
    "100k open brackets": Case("POST", "/emails/batch", 400, "invalid_json", content=b"[" * 100_000),
    "deep but valid json": Case("POST", "/api-keys", 400, "invalid_json", json={"name": "x", "rateLimit": nested(70)}),
    "text/plain body": Case("POST", "/emails", 415, "unsupported_media_type", content=json.dumps(SEND).encode(),
                            headers={"Content-Type": "text/plain"}),
    "form body": Case("POST", "/api-keys", 415, "unsupported_media_type", content=b"name=x",
                      headers={"Content-Type": "application/x-www-form-urlencoded"}),
    # -- too big -------------------------------------------------------------------------------
    "10 MiB + 1 body": Case("POST", "/emails", 413, "payload_too_large",
                            content=b'{"text": "' + b"a" * MAX_BODY_BYTES + b'"}'),
    "11 MiB batch": Case("POST", "/emails/batch", 413, "payload_too_large",
                         content=b'{"emails": ["' + b"b" * (11 * 1024 * 1024) + b'"]}'),
    "10k recipients": Case("POST", "/emails", 400, "invalid_parameter", param="to",
                           json=send(to=[f"user{i}@example.com" for i in range(10_000)])),
    "1000-email batch": Case("POST", "/emails/batch", 400, "invalid_parameter", param="emails",
                             json={"emails": [send()] * 1000}),
    "100k tags": Case("POST", "/emails", 400, "invalid_parameter", param="tags", json=send(tags=["t"] * 100_000)),
    "1 MB subject": Case("POST", "/emails", 400, "invalid_parameter", param="subject",
                         json=send(subject="s" * 1_000_000)),
    # -- wrong types everywhere ----------------------------------------------------------------
    "to is a number": Case("POST", "/emails", 400, "invalid_parameter", param="to", json=send(to=123)),
    "from is a list": Case("POST", "/emails", 400, "invalid_parameter", param="from",
                           json=send(**{"from": ["a@b.co"]})),
    "subject is a bool": Case("POST", "/emails", 400, "invalid_parameter", param="subject", json=send(subject=True)),
    "tags is a string": Case("POST", "/emails", 400, "invalid_parameter", param="tags", json=send(tags="x")),
    "metadata is a list": Case("POST", "/emails", 400, "invalid_parameter", param="metadata", json=send(metadata=[1])),
    "header value is a number": Case("POST", "/emails", 400, "invalid_parameter", param="headers.X-Order",
                                     json=send(headers={"X-Order": 1})),
    "batch item is a string": Case("POST", "/emails/batch", 400, "invalid_parameter", param="emails.0",
                                   json={"emails": ["hello"]}),
    "batch emails is an object": Case("POST", "/emails/batch", 400, "invalid_parameter", param="emails",
                                      json={"emails": {}}),
    "key name is a number": Case("POST", "/api-keys", 400, "invalid_parameter", param="name", json={"name": 123}),
    "permissions is a string": Case("POST", "/api-keys", 400, "invalid_parameter", param="permissions",
                                    json={"name": "x", "permissions": "*"}),
    "rate limit is a string": Case("PATCH", "/api-keys/{key}", 400, "invalid_parameter", param="rateLimit",
                                   json={"rateLimit": "fast"}),
    "rate limit of 10**400": Case("PATCH", "/api-keys/{key}", 400, "invalid_json",  # no double holds it
                                  content=b'{"rateLimit": {"requests": 1' + b"0" * 400 + b', "period": "second"}}'),
    "expiry in year 99999": Case("PATCH", "/api-keys/{key}", 400, "invalid_parameter", param="expiresAt",
                                 json={"expiresAt": "99999-01-01T00:00:00Z"}),
    "grace period 1e308": Case("POST", "/api-keys/{key}/rotate", 400, "invalid_parameter", param="gracePeriodSeconds",
                               json={"gracePeriodSeconds": 1e308}),
    "webhook url is a number": Case("POST", "/webhooks", 400, "invalid_parameter", param="url",
                                    json={"url": 1, "events": ["*"]}),
    "webhook events is a string": Case("PATCH", "/webhooks/{webhook}", 400, "invalid_parameter", param="events",
                                       json={"events": "*"}),
    # -- NUL bytes -----------------------------------------------------------------------------
    "nul in subject": Case("POST", "/emails", 400, "invalid_parameter", param="subject", json=send(subject="a\x00b")),
    "nul in key name": Case("POST", "/api-keys", 400, "invalid_parameter", param="name", json={"name": "ci\x00"}),
    "nul in metadata": Case("POST", "/emails", 400, "invalid_parameter", param="metadata.order",
                            json=send(metadata={"order": "1\x002"})),
    # -- header injection ----------------------------------------------------------------------
    "crlf in header value": Case("POST", "/emails", 400, "invalid_parameter", param="headers.X-Order",
                                 json=send(headers={"X-Order": "1\r\nBcc: victim@example.com"})),
    "lf in header value": Case("POST", "/emails", 400, "invalid_parameter", param="headers.X-Order",
                               json=send(headers={"X-Order": "1\nBcc: victim@example.com"})),
    "crlf in header name": Case("POST", "/emails", 400, "invalid_parameter",
                                json=send(headers={"X-A\r\nBcc": "victim@example.com"})),
    "overriding Bcc header": Case("POST", "/emails", 400, "invalid_parameter", param="headers.Bcc",
                                  json=send(headers={"Bcc": "victim@example.com"})),
    "crlf in metadata": Case("POST", "/emails", 400, "invalid_parameter", param="metadata.order",
                             json=send(metadata={"order": "1\r\nBcc: victim@example.com"})),
    "crlf in from": Case("POST", "/emails", 400, "invalid_parameter", param="from",
                         json=send(**{"from": "shop@example.com\r\nBcc: victim@example.com"})),
    "newline in to": Case("POST", "/emails", 400, "invalid_to", param="to.0",
                          json=send(to=["ada@example.com\nvictim@example.com"])),
    # -- non-ASCII addresses -------------------------------------------------------------------
    "non-ascii address without domain": Case("POST", "/emails", 400, "invalid_to", param="to.0",
                                              json=send(to=["ädä@"])),
    "non-ascii domain without dot": Case("POST", "/emails", 400, "invalid_to", param="to.0",
                                         json=send(to=["用户@例子"])),
    "fullwidth at sign": Case("POST", "/emails", 400, "invalid_to", param="to.0",
                              json=send(to=["ada\uff20example.com"])),
    "emoji without at sign": Case("POST", "/emails", 400, "invalid_to", param="to.0", json=send(to=["📧.example.com"])),
    # -- absurd limits and cursors -------------------------------------------------------------
    "limit 0": Case("GET", "/emails", 400, "invalid_parameter", param="limit", params={"limit": "0"}),
    "limit -1": Case("GET", "/api-keys", 400, "invalid_parameter", param="limit", params={"limit": "-1"}),
    "limit 10**20": Case("GET", "/emails", 400, "invalid_parameter", param="limit", params={"limit": "1" + "0" * 20}),
    "limit 1e3": Case("GET", "/webhooks", 400, "invalid_parameter", param="limit", params={"limit": "1e3"}),
    "limit text": Case("GET", "/emails", 400, "invalid_parameter", param="limit", params={"limit": "ten"}),
    "unknown cursor": Case("GET", "/emails", 400, "invalid_parameter", param="starting_after",
                           params={"starting_after": "email_" + "0" * 24}),
    "10k-character cursor": Case("GET", "/api-keys", 400, "invalid_parameter", param="ending_before",
                                 params={"ending_before": "x" * 10_000}),
    "nul cursor": Case("GET", "/emails", 400, "invalid_parameter", param="starting_after",
                       params={"starting_after": "\x00"}),
    "both cursors": Case("GET", "/emails", 400, "invalid_parameter", param="ending_before",
                         params={"starting_after": "{email}", "ending_before": "{email}"}),
    "unknown status filter": Case("GET", "/emails", 400, "invalid_parameter", param="status",
                                  params={"status": "exploded"}),
    # -- unknown ids and wrong methods ---------------------------------------------------------
    "unknown email": Case("GET", "/emails/email_" + "0" * 24, 404, "not_found"),
    "unknown key": Case("DELETE", "/api-keys/key_" + "0" * 24, 404, "not_found"),
    "unknown webhook": Case("PATCH", "/webhooks/wh_nope", 404, "not_found", json={"description": "x"}),
    "5000-character id": Case("GET", "/api-keys/" + "k" * 5000, 404, "not_found"),
    "percent-encoded nul id": Case("GET", "/emails/%00", 404, "not_found"),
    "unknown path": Case("GET", "/emails/{email}/attachments", 404, "not_found"),
    "PUT on emails": Case("PUT", "/emails", 405, "method_not_allowed", json=send()),
    "DELETE on the key list": Case("DELETE", "/api-keys", 405, "method_not_allowed"),
    "PATCH an email": Case("PATCH", "/emails/{email}", 405, "method_not_allowed", json={"subject": "x"}),
    # -- Authorization -------------------------------------------------------------------------
    "no authorization": Case("POST", "/emails", 401, "unauthorized", json=send(), auth=None),
    "two authorization headers": Case("GET", "/emails", 401, "unauthorized", auth=["ADMIN", "ADMIN"]),
    "basic auth": Case("GET", "/emails", 401, "unauthorized", auth=["Basic dXNlcjpwYXNz"]),
    "bearer without a key": Case("GET", "/emails", 401, "unauthorized", auth=["Bearer"]),
    "malformed key": Case("GET", "/emails", 401, "unauthorized", auth=["Bearer le_short"]),
    "well-formed unknown key": Case("DELETE", "/api-keys/{key}", 401, "unauthorized", auth=["Bearer le_" + "Z" * 36]),
    "key in the query string": Case("GET", "/emails", 401, "unauthorized", auth=None, params={"api_key": "ADMIN"}),
    "key in query and header": Case("GET", "/emails", 401, "unauthorized", params={"api_key": "ADMIN"}),
    "header injection in bearer": Case("GET", "/emails", 401, "unauthorized", auth=["Bearer ADMIN\tX-Evil: 1"]),
}


def _fill(text: str, seeded: Seeded, server: LettrServer) -> str:
    return (text.replace("{email}", seeded.email_id).replace("{key}", seeded.key_id)
            .replace("{webhook}", seeded.webhook_id).replace("ADMIN", server.admin_key))


def _request(case: Case, seeded: Seeded, server: LettrServer) -> httpx.Response:
    headers: list[tuple[str, str]] = []
    if case.auth is ADMIN:
        headers.append(("Authorization", f"Bearer {server.admin_key}"))
    elif case.auth is not None:
        headers += [("Authorization", _fill(value if value != "ADMIN" else f"Bearer {value}", seeded, server))
                    for value in case.auth]
    if case.content is not None or case.json is not None:
        headers += list({**JSON, **case.headers}.items())
    content = case.content if case.content is not None else \
        json.dumps(case.json).encode() if case.json is not None else None
    params = {k: _fill(v, seeded, server) for k, v in (case.params or {}).items()}
    with client_for(server) as raw:
        raw.headers.pop("Authorization")
        return raw.request(case.method, _fill(case.path, seeded, server), content=content, params=params,
                           headers=headers)


@pytest.mark.parametrize("name", list(CASES))
def test_bad_request_gets_the_documented_error(name: str, lettr_server: LettrServer, seeded: Seeded) -> None:
    case = CASES[name]
    before = snapshot(lettr_server)
    error = assert_v1_error(_request(case, seeded, lettr_server), case.status, case.code)
    if case.param is not None:
        assert error.get("param") == case.param, error
    assert lettr_server.admin_key not in json.dumps(error)
    assert_unchanged(lettr_server, before)
    # the server is still up and serves the same account
    listed = seeded.client.get("/emails")
    assert listed.status_code == 200 and listed.json()["totalCount"] == 1


def test_the_matrix_is_big_enough() -> None:
    assert len(CASES) >= 30


def test_method_not_allowed_names_the_allowed_methods(lettr_server: LettrServer, seeded: Seeded) -> None:
    response = seeded.client.put("/emails", json=send())
    assert_v1_error(response, 405, "method_not_allowed")
    assert set(response.headers["Allow"].split(", ")) - {"HEAD"} == {"GET", "POST"}


def test_doubled_authorization_is_named(lettr_server: LettrServer, seeded: Seeded) -> None:
    response = _request(CASES["two authorization headers"], seeded, lettr_server)
    assert "exactly one Authorization header" in assert_v1_error(response, 401, "unauthorized")["message"]


@pytest.mark.lettr(strict_domains=False)  # an internationalised sender domain the account need not verify
def test_internationalised_addresses_are_accepted_and_kept(lettr_server: LettrServer, seeded: Seeded) -> None:
    response = seeded.client.post("/emails", json=send(**{"from": "Café Zoë <zoë@café.example>"},
                                                        to=["ädä@exämple.com", "用户@例子.广告"]))
    assert response.status_code == 200, response.text
    assert response.json()["to"] == ["ädä@exämple.com", "用户@例子.广告"]
    lettr_server.assert_sent(to="用户@例子.广告", sender="Café Zoë <zoë@café.example>")
    assert seeded.client.get("/emails", params={"to": "ÄDÄ@exämple.com"}).json()["totalCount"] == 1


def test_the_connection_survives_an_oversized_body(lettr_server: LettrServer, seeded: Seeded) -> None:
    """A 413 is answered without reading the body into memory, and a kept-alive client can go on."""
    with client_for(lettr_server) as client:
        first = client.post("/emails", content=b'{"text": "' + b"a" * (MAX_BODY_BYTES + 10) + b'"}', headers=JSON)
        assert_v1_error(first, 413, "payload_too_large")
        assert client.post("/emails", json=send()).status_code == 200
    assert len(lettr_server.emails) == 2


def test_a_burst_of_garbage_leaves_the_server_up(lettr_server: LettrServer, seeded: Seeded) -> None:
    """Raw bytes that are not HTTP at all, on their own connections."""
    import socket

    port = int(lettr_server.url.rsplit(":", 1)[1])
    for garbage in (b"\x00" * 100, b"GET\r\n\r\n", b"POST /v1/emails HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
                    b"GET /v1/emails HTTP/9.9\r\n\r\n", b"\x16\x03\x01\x00\x05hello", b"A" * 70_000 + b"\r\n\r\n",
                    b"POST /v1/emails HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"):
        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
            raw.sendall(garbage)
            raw.shutdown(socket.SHUT_WR)
            while raw.recv(65536):
                pass
    assert seeded.client.get("/emails").json()["totalCount"] == 1
    assert not lettr_server.handler_errors


@pytest.mark.parametrize("idempotency", [False, True])
@pytest.mark.parametrize("chunks", [b"zz\r\n", b"5\r\nab", b"ffffffffffffffffffff\r\n"])
def test_broken_chunked_bodies_get_invalid_json(lettr_server: LettrServer, seeded: Seeded, chunks: bytes,
                                                idempotency: bool) -> None:
    import socket

    before = snapshot(lettr_server)
    port = int(lettr_server.url.rsplit(":", 1)[1])
    head = (f"POST /v1/emails HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Authorization: Bearer {lettr_server.admin_key}\r\nTransfer-Encoding: chunked\r\n"
            + ("Idempotency-Key: broken-1\r\n" if idempotency else "") + "\r\n").encode()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        raw.sendall(head + chunks)
        raw.shutdown(socket.SHUT_WR)
        received = b""
        while chunk := raw.recv(65536):
            received += chunk
    status_line, _, rest = received.partition(b"\r\n")
    assert status_line == b"HTTP/1.1 400 BAD REQUEST", received[:300]
    body = json.loads(rest.partition(b"\r\n\r\n")[2])
    assert body["error"]["code"] == "invalid_json"
    assert not lettr_server.handler_errors
    assert_unchanged(lettr_server, before)
