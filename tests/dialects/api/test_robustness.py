"""No input, however malformed, makes ``/api`` answer 500; every refusal is a documented error."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_lettr import LettrServer

SCALARS = st.none() | st.booleans() | st.integers(-10**12, 10**12) | st.floats(allow_nan=False) | st.text(max_size=40)
JSON = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner,
                                                                                         max_size=4), max_leaves=12)
EMAILISH = st.sampled_from(["a@example.com", "not-an-email", "", "x@y", "A <a@example.com>", "ü@exämple.com"])
FIELD_VALUES = JSON | EMAILISH | st.lists(EMAILISH, max_size=3) | st.sampled_from(
    ["2030-01-01T00:00:00Z", "0001-01-01T00:00:00+01:00", "9999-12-31", "tomorrow", "delivery", "basic", "oauth2"])

SEND_FIELDS = ["from", "to", "cc", "bcc", "subject", "html", "text", "amp_html", "from_name", "reply_to",
               "reply_to_name", "template_slug", "template_version", "project_id", "tag", "metadata", "headers",
               "substitution_data", "options", "attachments", "scheduled_at"]
WEBHOOK_FIELDS = ["name", "url", "target", "auth_type", "events_mode", "events", "active", "auth_username",
                  "auth_password", "oauth_client_id", "oauth_client_secret", "oauth_token_url"]
TEMPLATE_FIELDS = ["name", "html", "json", "project_id", "folder_id", "purpose", "subject"]

WRITES = [("POST", "/emails", SEND_FIELDS), ("POST", "/emails/scheduled", SEND_FIELDS),
          ("POST", "/domains", ["domain"]), ("POST", "/webhooks", WEBHOOK_FIELDS),
          ("POST", "/templates", TEMPLATE_FIELDS)]
QUERY_VALUES = st.text(max_size=20) | st.sampled_from(["0", "1", "101", "-1", "2024-01-01", "abc", "delivery,open"])
READS = [("/emails", ["per_page", "cursor", "recipients", "from", "to"]),
         ("/emails/events", ["events", "recipients", "from", "to", "per_page", "cursor", "transmissions",
                             "bounce_classes"]),
         ("/templates", ["project_id", "folder_id", "purpose", "per_page", "page"]),
         ("/projects", ["per_page", "page"])]


def bodies(fields: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    return st.dictionaries(st.sampled_from(fields), FIELD_VALUES, max_size=len(fields))


@pytest.mark.parametrize(("method", "path", "fields"), WRITES, ids=[f"{m} {p}" for m, p, _ in WRITES])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_write_bodies_never_crash(lettr_server: LettrServer, raw: httpx.Client, method: str, path: str,
                                  fields: list[str], data: st.DataObject) -> None:
    body = data.draw(bodies(fields))
    response = raw.request(method, path, content=json.dumps(body), headers={"Content-Type": "application/json"})
    assert response.status_code < 500, response.text
    assert isinstance(response.json(), dict)
    assert lettr_server.handler_errors == []


@pytest.mark.parametrize(("path", "names"), READS, ids=[p for p, _ in READS])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_queries_never_crash(lettr_server: LettrServer, raw: httpx.Client, path: str, names: list[str],
                             data: st.DataObject) -> None:
    params = data.draw(st.dictionaries(st.sampled_from(names), QUERY_VALUES, max_size=len(names)))
    response = raw.get(path, params=params)
    assert response.status_code in (200, 404, 422), response.text
    assert lettr_server.handler_errors == []


@pytest.mark.parametrize("payload", [b"[]", b"null", b'{"a": 1, "a": 2}', b"\xff\xfe", b"{" * 100 + b"}" * 100,
                                     b"NaN"])
def test_unusable_json_is_a_validation_error(raw: httpx.Client, payload: bytes) -> None:
    response = raw.post("/emails", content=payload, headers={"Content-Type": "application/json"})
    assert response.status_code == 422
    assert response.json()["error_code"] == "validation_error" and "body" in response.json()["errors"]
