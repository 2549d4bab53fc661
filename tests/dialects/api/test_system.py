"""Health, auth check, 401 bodies, and keys working across both dialects."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import httpx
import lettr
import pytest

from pytest_lettr import LettrServer
from pytest_lettr.state import CreatedKey

from .conformance import validate_response
from .conftest import check_conformance, logged_api_exchanges, send_kwargs


def test_health_needs_no_key(lettr_server: LettrServer, client: lettr.Lettr) -> None:
    health = client.health()
    assert health.status == "ok"
    assert health.timestamp.endswith("Z")
    request, _ = lettr_server.httpserver.log[-1]
    assert request.path == "/api/health" and "Authorization" not in request.headers


def test_auth_check_reports_team_and_scopes(lettr_server: LettrServer, client: lettr.Lettr,
                                            raw: httpx.Client) -> None:
    check = client.auth_check()
    assert isinstance(check.team_id, int) and check.team_id > 0
    assert client.auth_check().team_id == check.team_id
    body = raw.get("/auth/check").json()
    assert body["message"] == "API key is valid."
    assert body["data"]["sandbox"] is False
    assert "emails:send" in body["data"]["scopes"] and "domains:write" in body["data"]["scopes"]


def test_missing_key_is_401_with_the_readme_body(lettr_server: LettrServer) -> None:
    response = httpx.get(lettr_server.api_url + "/auth/check")
    assert response.status_code == 401
    assert response.json() == {"message": "API key is required."}


def test_non_bearer_authorization_counts_as_missing(lettr_server: LettrServer, api_key: CreatedKey) -> None:
    response = httpx.get(lettr_server.api_url + "/domains", headers={"Authorization": f"Basic {api_key.key}"})
    assert (response.status_code, response.json()) == (401, {"message": "API key is required."})


@pytest.mark.parametrize("key", ["lttr_" + "x" * 64, "not-a-key", "lttr_sandbox_" + "y" * 64])
def test_unknown_key_is_401_invalid(lettr_server: LettrServer, make_client: Callable[[str], lettr.Lettr],
                                    key: str) -> None:
    with pytest.raises(lettr.AuthenticationError) as caught:
        make_client(key).auth_check()
    assert caught.value.message == "Invalid API key."
    response = httpx.get(lettr_server.api_url + "/domains", headers={"Authorization": f"Bearer {key}"})
    assert response.json() == {"message": "Invalid API key."}
    assert lettr_server.audit_log[-1].action == "auth.failed"


def test_revoked_and_expired_keys_are_invalid(lettr_server: LettrServer,
                                              make_client: Callable[[str], lettr.Lettr]) -> None:
    revoked = lettr_server.create_key("old", mode="api")
    lettr_server.account.keys.delete(revoked.id)
    expiring = lettr_server.create_key("short", mode="api", expires_at=lettr_server.clock.now() + timedelta(hours=1))
    make_client(expiring.key).auth_check()
    lettr_server.clock.advance(hours=2)
    for key in (revoked.key, expiring.key):
        with pytest.raises(lettr.AuthenticationError, match=r"Invalid API key\."):
            make_client(key).auth_check()


def test_v1_keys_work_on_api_and_api_keys_on_v1(lettr_server: LettrServer,
                                                make_client: Callable[[str], lettr.Lettr],
                                                api_key: CreatedKey) -> None:
    v1_client = make_client(lettr_server.admin_key)
    sent = v1_client.emails.send(**send_kwargs(subject="from an le_ key"))
    assert sent.accepted == 1
    response = httpx.get(lettr_server.v1_url + "/emails", headers={"Authorization": f"Bearer {api_key.key}"})
    assert response.status_code == 200
    assert [e["subject"] for e in response.json()["data"]] == ["from an le_ key"]


def test_unknown_endpoint_is_a_json_404(lettr_server: LettrServer, raw: httpx.Client) -> None:
    response = raw.get("/no-such-thing")
    assert response.status_code == 404
    assert response.json()["error_code"] == "not_found"
    with pytest.raises(AssertionError, match="no path in the OpenAPI document"):
        validate_response("GET", "/api/no-such-thing", 404, response.json())
    lettr_server.httpserver.log.clear()  # checked above: the spec has no such path


def test_conformance_sweep_is_active(lettr_server: LettrServer, client: lettr.Lettr) -> None:
    """The sweep sees every /api exchange and would fail on a body the spec does not allow."""
    client.health()
    client.domains.list()
    exchanges = logged_api_exchanges(lettr_server)
    assert [(m, p, s) for m, p, s, _ in exchanges] == [("GET", "/api/health", 200), ("GET", "/api/domains", 200)]
    check_conformance(lettr_server)
    with pytest.raises(AssertionError, match="domains"):
        validate_response("GET", "/api/domains", 200, {"message": "ok", "data": {"domains": [{"domain": 1}]}})
