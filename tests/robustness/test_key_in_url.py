"""A key put anywhere in a URL — a query parameter's name or value, a path segment — is refused
when it could be mistaken for credentials, and never echoed: not in an error message, not in the
access log, not in the audit log."""

from __future__ import annotations

import dataclasses
import json
import logging
from urllib.parse import quote

import httpx
import pytest

from pytest_lettr import LettrServer

MODES = ["live", "test", "api", "sandbox"]

#: (method, target with {key}, dialect): the key is in the query string, so the request is refused.
IN_THE_QUERY = [
    ("GET", "/v1/emails?{key}=1", "v1"),
    ("GET", "/v1/emails?{key}", "v1"),
    ("GET", "/v1/emails?limit=5&filter%5B{key}%5D=1", "v1"),
    ("GET", "/v1/emails?q=Bearer%20{key}", "v1"),
    ("GET", "/v1/emails?keys=a,{key},b", "v1"),
    ("POST", "/v1/emails?{key}=", "v1"),
    ("GET", "/api/emails?{key}=1", "api"),
    ("GET", "/api/auth/check?x=token:{key}", "api"),
]

#: (method, target with {key}, status): the key is a path segment; the answer is what the path gets.
IN_THE_PATH = [
    ("GET", "/v1/{key}", 404),
    ("GET", "/v1/{key}/emails", 404),
    ("GET", "/v1/api-keys/{key}", 404),
    ("PATCH", "/v1/api-keys/{key}", 404),
    ("GET", "/v1/emails/{key}", 404),
    ("DELETE", "/v1/webhooks/{key}", 404),
    ("POST", "/v1/api-keys/{key}", 405),
    ("GET", "/v1/prefix-{key}-suffix", 404),
    ("GET", "/{key}", 404),
    ("GET", "/api/{key}", 404),
    ("GET", "/api/emails/{key}", 404),
    ("PUT", "/api/emails/{key}", 405),
]


@pytest.fixture
def werkzeug_log(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.INFO, logger="werkzeug")
    return caplog


def _leaked(server: LettrServer, caplog: pytest.LogCaptureFixture, secret: str, response: httpx.Response) -> list[str]:
    """Where ``secret`` shows up: the response, the access log, the audit log."""
    places = []
    if secret in response.text or any(secret in v for v in response.headers.values()):
        places.append("response")
    if any(secret in record.getMessage() for record in caplog.records if record.name == "werkzeug"):
        places.append("access log")
    if secret in json.dumps([dataclasses.asdict(e) for e in server.audit_log], default=str):
        places.append("audit log")
    return places


def _send(server: LettrServer, method: str, target: str) -> httpx.Response:
    key = server.create_key("api", mode="api").key if target.startswith("/api") else server.admin_key
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {key}"}) as client:
        return client.request(method, httpx.URL(server.url + target), json={} if method != "GET" else None)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("method", "target", "dialect"), IN_THE_QUERY, ids=[t for _, t, _ in IN_THE_QUERY])
def test_a_key_anywhere_in_the_query_string_is_refused_and_masked(
        lettr_server: LettrServer, werkzeug_log: pytest.LogCaptureFixture, mode: str, method: str, target: str,
        dialect: str) -> None:
    secret = lettr_server.create_key("leaked", mode=mode).key
    response = _send(lettr_server, method, target.format(key=quote(secret)))
    assert response.status_code == 401, response.text
    if dialect == "v1":
        assert response.json()["error"]["code"] == "unauthorized"
        assert "query string" in response.json()["error"]["message"]
    assert _leaked(lettr_server, werkzeug_log, secret, response) == []
    assert not lettr_server.handler_errors


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("method", "target", "status"), IN_THE_PATH, ids=[f"{m} {t}" for m, t, _ in IN_THE_PATH])
def test_a_key_in_the_path_is_never_echoed(lettr_server: LettrServer, werkzeug_log: pytest.LogCaptureFixture,
                                           mode: str, method: str, target: str, status: int) -> None:
    secret = lettr_server.create_key("leaked", mode=mode).key
    response = _send(lettr_server, method, target.format(key=secret))
    assert response.status_code == status, response.text
    assert _leaked(lettr_server, werkzeug_log, secret, response) == []
    assert not lettr_server.handler_errors


def test_the_masked_message_still_says_what_was_asked(lettr_server: LettrServer) -> None:
    secret = lettr_server.create_key("leaked").key
    response = _send(lettr_server, "GET", f"/v1/{secret}")
    assert response.json()["error"]["message"] == "No such endpoint: GET /v1/le_***"
    response = _send(lettr_server, "GET", f"/v1/api-keys/{secret}")
    assert response.json()["error"]["message"] == "API key 'le_***' not found"


def test_names_that_only_resemble_a_key_pass(lettr_server: LettrServer) -> None:
    """``file_`` + 36 characters, a 35-character tail, a key prefix alone: no key, no refusal."""
    for query in ("file_" + "a" * 36 + "=1", "x=le_" + "a" * 35, "le_=1", "tag=le_test"):
        response = _send(lettr_server, "GET", f"/v1/emails?{query}")
        assert response.status_code == 200, (query, response.text)
