"""Property-based fuzzing of every v1 endpoint: whatever the body and query, no 5xx, no hang, and
the response is either the error envelope or a success body.

Routes come from :class:`V1Dialect`'s route table, so a new endpoint is fuzzed as soon as it exists.
Each example runs against a fresh account holding one of each resource, so an example that
revokes the admin key or changes the team does not blunt the next one.
"""

from __future__ import annotations

import json
import re
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_lettr import LettrServer
from pytest_lettr.dialects.base import Route
from pytest_lettr.dialects.v1 import V1Dialect
from pytest_lettr.dialects.v1.emails import KNOWN_FIELDS
from pytest_lettr.state.emails import Email

from .conftest import client_for

ROUTES: list[Route] = list(V1Dialect().routes)
EXAMPLES = 20
TIMEOUT = 20.0

FIELD_NAMES = sorted(KNOWN_FIELDS | {
    "emails", "name", "permissions", "domainRestrictions", "ipRestrictions", "expiresAt", "rateLimit",
    "gracePeriodSeconds", "url", "events", "description", "status", "expiresOldSecretIn", "eventType",
    "email", "role", "memberId", "newOwnerId", "require2FA", "ssoEnabled", "ssoProvider", "plan", "domain",
    "region", "requests", "period", "opens", "clicks", "filename", "content", "contentType",
})
QUERY_NAMES = ["limit", "starting_after", "ending_before", "to", "status", "tags", "from_date", "to_date",
               "period", "start_date", "end_date", "action", "actor_id", "resource_type", "role", "api_key"]
INTERESTING = [
    "ada@example.com", "Ada <ada@example.com>", "not-an-email", "", " ", "*", "emails:send", "emails:*",
    "2099-01-01T00:00:00Z", "1999-01-01", "9999-12-31T23:59:59Z", "10.0.0.0/8", "::1", "http://127.0.0.1:9/h",
    "https://example.com/hook", "email.sent", "admin", "owner", "second", "\x00", "\r\nBcc: x@y.z", "é" * 3,
    "\U0001d518\U0001d52b\U0001d526", "le_" + "a" * 36, "x" * 5000, "-1", "0", "100", "1e9", "null", "[]", "{}",
]

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False), st.sampled_from(INTERESTING), st.text(max_size=40),
)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=6),
        st.dictionaries(st.one_of(st.sampled_from(FIELD_NAMES), st.text(max_size=12)), children, max_size=6),
    ),
    max_leaves=25,
)
bodies = st.one_of(
    st.dictionaries(st.sampled_from(FIELD_NAMES), json_values, max_size=8).map(lambda d: json.dumps(d).encode()),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=200),
    st.none(),
)
queries = st.dictionaries(st.one_of(st.sampled_from(QUERY_NAMES), st.text(min_size=1, max_size=10)),
                          st.one_of(st.sampled_from(INTERESTING), st.text(max_size=30)), max_size=4)
path_params = st.one_of(st.sampled_from(["<known>"] * 3), st.text(min_size=1, max_size=40),
                        st.sampled_from(INTERESTING))


def _seed(server: LettrServer, example: int) -> dict[str, str]:
    """A fresh account with one email, key, webhook, domain and extra member; their ids by kind."""
    account = server.reset(f"fuzz-{example}")
    email = Email(id=account.entropy.new_id("email_"), from_="shop@example.com", to=["ada@example.com"],
                  subject="Hi", html=None, text="Hello", created_at=account.clock.now(), sent_at=account.clock.now())
    account.store_emails([email])
    key = server.create_key("fuzzed", ["emails:send"])
    webhook, _ = server.add_webhook("http://127.0.0.1:9/hooks", ["email.bounced"])
    domain = server.add_domain("mail.example.com")
    return {"email": email.id, "key": key.id, "webhook": webhook.id, "domain": domain.id,
            "member": account.owner.id, "delivery": "del_" + "0" * 24}


def _path(route: Route, ids: dict[str, str], params: list[str]) -> str:
    values = iter(params)

    def fill(match: re.Match[str]) -> str:
        name = match.group(1).split(":")[-1]
        value = next(values, "<known>")
        if value == "<known>":
            kind = name.removesuffix("_id")
            return ids.get(kind, ids["email"])
        return quote(value, safe="")

    return re.sub(r"<([^>]+)>", fill, route.path)


def check_shape(response: httpx.Response) -> None:
    assert response.status_code < 500, (response.status_code, response.text[:500])
    assert response.headers.get("content-type", "").startswith("application/json"), response.headers
    body = response.json()
    assert isinstance(body, dict), body
    if response.status_code >= 400:
        assert set(body) == {"error"}, body
        assert isinstance(body["error"]["code"], str) and isinstance(body["error"]["message"], str), body
        assert set(body["error"]) <= {"code", "message", "param", "requiredPermission", "retryAfter"}, body
    else:
        assert response.status_code in (200, 201), response.status_code
        assert isinstance(body.get("object"), str), body
        if body["object"] == "list":
            assert isinstance(body["data"], list), body


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method} {r.path}")
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(body=bodies, query=queries, params=st.lists(path_params, min_size=2, max_size=2), data=st.data())
def test_every_endpoint_survives_any_body_and_query(lettr_server: LettrServer, route: Route, body: bytes | None,
                                                     query: dict[str, str], params: list[str],
                                                     data: st.DataObject) -> None:
    example = data.draw(st.integers(0, 10**9), label="account seed")
    ids = _seed(lettr_server, example)
    headers = {"Content-Type": data.draw(st.sampled_from(["application/json"] * 4 + ["text/plain", ""]),
                                         label="content type")}
    with client_for(lettr_server, timeout=TIMEOUT) as client:
        path = _path(route, ids, params).lstrip("/")  # relative to the client's /v1 base URL
        response = client.request(route.method, path, params=query, content=body, headers=headers)
        check_shape(response)
        # the server still answers, and the mock itself hit no bug
        assert client.get("/emails", params={"limit": "1"}).status_code in (200, 401, 403)
    assert not lettr_server.handler_errors, lettr_server.handler_errors[0]


def test_every_v1_route_is_fuzzed() -> None:
    assert len(ROUTES) == len(V1Dialect().routes) >= 11
    assert {(r.method, r.path) for r in ROUTES} >= {("POST", "/emails"), ("GET", "/api-keys/<key_id>")}
