"""Numbers no IEEE double can hold (``1e400``, a 400-digit integer) in any JSON body, at any numeric or
metadata field of either dialect: refused with the dialect's 400/422 before anything is stored, so
no later response carries ``Infinity`` (which is not JSON) and no webhook delivery breaks."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest

from pytest_lettr import LettrServer

from .conftest import SEND, Seeded, assert_unchanged, assert_v1_error, snapshot

#: Every literal here parses, without the check, to ±infinity or to an int beyond any double.
NON_FINITE = {
    "1e400": "1e400",
    "-1e400": "-1e400",
    "1E+309": "1E+309",
    "fraction 1.5e999": "1.5e999",
    "400-digit int": "1" + "0" * 400,
    "negative 400-digit int": "-" + "9" * 400,
}
MARK = "__NUMBER__"

API_SEND = {"from": "app@example.com", "to": ["ada@example.com"], "subject": "Hi", "html": "<p>Hi</p>"}
SCHEDULE_AT = "2099-01-01T00:00:00Z"  # replaced by a moment inside the scheduling window


@dataclass(frozen=True)
class Field:
    """A body of one endpoint with :data:`MARK` where the number goes."""

    method: str
    path: str  # may name {email}, {key}, {webhook}, {template}, {api_webhook}
    body: Any


def _with(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {**base, **changes}


V1_FIELDS = {
    "send metadata value": Field("POST", "/emails", _with(SEND, metadata={"order": MARK})),
    "send variables value": Field("POST", "/emails", _with(SEND, variables={"n": MARK})),
    "send nested variables value": Field("POST", "/emails", _with(SEND, variables={"cart": [{"qty": MARK}]})),
    "send subject (a number where a string goes)": Field("POST", "/emails", _with(SEND, subject=MARK)),
    "batch metadata value": Field("POST", "/emails/batch", {"emails": [_with(SEND, metadata={"n": MARK})]}),
    "key rateLimit.requests": Field("POST", "/api-keys", {"name": "x", "permissions": ["emails:send"],
                                                          "rateLimit": {"requests": MARK, "period": "second"}}),
    "key update rateLimit.requests": Field("PATCH", "/api-keys/{key}",
                                           {"rateLimit": {"requests": MARK, "period": "minute"}}),
    "rotate gracePeriodSeconds": Field("POST", "/api-keys/{key}/rotate", {"gracePeriodSeconds": MARK}),
    "webhook rotate-secret expiresOldSecretIn": Field("POST", "/webhooks/{webhook}/rotate-secret",
                                                      {"expiresOldSecretIn": MARK}),
    "team settings (a number where a boolean goes)": Field("PATCH", "/team/settings", {"requireTwoFactor": MARK}),
}

API_FIELDS = {
    "send project_id": Field("POST", "/emails", _with(API_SEND, project_id=MARK)),
    "send template_version": Field("POST", "/emails", _with(API_SEND, template_version=MARK)),
    "send metadata value": Field("POST", "/emails", _with(API_SEND, metadata={"order": MARK})),
    "send substitution_data value": Field("POST", "/emails", _with(API_SEND, substitution_data={"n": MARK})),
    "send options value": Field("POST", "/emails", _with(API_SEND, options={"open_tracking": MARK})),
    "schedule project_id": Field("POST", "/emails/scheduled", _with(API_SEND, project_id=MARK,
                                                                    scheduled_at=SCHEDULE_AT)),
    "schedule substitution_data value": Field("POST", "/emails/scheduled",
                                              _with(API_SEND, substitution_data={"n": [MARK]},
                                                    scheduled_at=SCHEDULE_AT)),
    "template project_id": Field("POST", "/templates", {"name": "T", "html": "<p>x</p>", "project_id": MARK}),
    "template folder_id": Field("POST", "/templates", {"name": "T", "html": "<p>x</p>", "folder_id": MARK}),
    "template update project_id": Field("PUT", "/templates/{template}", {"name": "U", "project_id": MARK}),
    "webhook update active": Field("PUT", "/webhooks/{api_webhook}", {"active": MARK}),
    "domain (a number where a string goes)": Field("POST", "/domains", {"domain": MARK}),
}


def _strict_json(text: str) -> Any:
    """Parse as JSON proper: ``Infinity`` and ``NaN`` are not JSON."""
    def refuse(name: str) -> Any:
        raise AssertionError(f"response holds {name}, which is not JSON: {text[:300]}")

    return json.loads(text, parse_constant=refuse)


def _payload(field: Field, literal: str) -> bytes:
    return json.dumps(field.body).replace(f'"{MARK}"', literal).encode()


@pytest.fixture
def subscribed(lettr_server: LettrServer, seeded: Seeded) -> Seeded:
    """The seeded account, with a webhook that hears every sent email."""
    def receiver(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("204 No Content", [])
        return [b""]

    lettr_server.add_webhook(receiver, events=["*"])
    return seeded


@pytest.mark.parametrize("literal", NON_FINITE.values(), ids=NON_FINITE.keys())
@pytest.mark.parametrize("field", V1_FIELDS.values(), ids=V1_FIELDS.keys())
def test_v1_refuses_numbers_beyond_a_double(lettr_server: LettrServer, subscribed: Seeded, field: Field,
                                            literal: str) -> None:
    before = snapshot(lettr_server)
    path = field.path.format(email=subscribed.email_id, key=subscribed.key_id, webhook=subscribed.webhook_id)
    response = subscribed.client.request(field.method, path, content=_payload(field, literal),
                                         headers={"Content-Type": "application/json"})
    error = assert_v1_error(response, 400, "invalid_json")
    assert "finite" in error["message"], error
    assert_unchanged(lettr_server, before)
    listed = subscribed.client.get("/emails")
    assert listed.status_code == 200 and len(_strict_json(listed.text)["data"]) == 1
    assert lettr_server.handler_errors == []


@dataclass
class ApiAccount:
    client: httpx.Client
    template: str
    api_webhook: str


@pytest.fixture
def api_account(lettr_server: LettrServer) -> Iterator[ApiAccount]:
    key = lettr_server.create_key("api", mode="api")
    with httpx.Client(base_url=lettr_server.api_url, headers={"Authorization": f"Bearer {key.key}"}) as client:
        template = client.post("/templates", json={"name": "Welcome", "html": "<p>Hi {{NAME}}</p>"})
        hook = client.post("/webhooks", json={"name": "all", "url": "http://127.0.0.1:9/hook", "auth_type": "none",
                                              "events_mode": "all"})
        sent = client.post("/emails", json=API_SEND)
        assert (template.status_code, hook.status_code, sent.status_code) == (201, 201, 200), \
            (template.text, hook.text, sent.text)
        yield ApiAccount(client, template.json()["data"]["slug"], hook.json()["data"]["id"])


def _api_state(server: LettrServer) -> Any:
    account = server.account
    return ([(e.id, e.status, dict(e.metadata)) for e in account.outbox],
            [(t.slug, t.name, len(t.versions), t.project_id) for p in server.projects
             for t in account.templates.templates_of(p, None, None)],
            [(w.id, w.name, w.enabled) for w in account.api_webhooks.all()],
            len(account.events))


@pytest.mark.parametrize("literal", NON_FINITE.values(), ids=NON_FINITE.keys())
@pytest.mark.parametrize("field", API_FIELDS.values(), ids=API_FIELDS.keys())
def test_api_refuses_numbers_beyond_a_double(lettr_server: LettrServer, api_account: ApiAccount, field: Field,
                                             literal: str) -> None:
    before = _api_state(lettr_server)
    body = json.loads(json.dumps(field.body))
    if body.get("scheduled_at") == SCHEDULE_AT:
        body["scheduled_at"] = (lettr_server.clock.now().replace(microsecond=0) + timedelta(hours=1)).isoformat()
    path = field.path.format(template=api_account.template, api_webhook=api_account.api_webhook)
    response = api_account.client.request(field.method, path, content=_payload(Field("", "", body), literal),
                                          headers={"Content-Type": "application/json"})
    assert response.status_code == 422, response.text
    error = response.json()
    assert error["error_code"] == "validation_error" and "finite" in error["errors"]["body"][0], error
    assert _api_state(lettr_server) == before
    listed = api_account.client.get("/emails")
    assert listed.status_code == 200 and _strict_json(listed.text)["data"]["events"]["total_count"] == 1
    assert lettr_server.handler_errors == []


def test_small_and_ordinary_numbers_still_parse(lettr_server: LettrServer, seeded: Seeded) -> None:
    """Underflow to zero, the largest double and long but representable integers are fine."""
    metadata = b'{"tiny": 1e-400, "big": 1.7976931348623157e308, "long": 123456789012345678901234567890}'
    body = json.dumps(_with(SEND, metadata={})).encode().replace(b'"metadata": {}', b'"metadata": ' + metadata)
    response = seeded.client.post("/emails", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 200, response.text
    assert _strict_json(response.text)["metadata"] == {"tiny": 0.0, "big": 1.7976931348623157e308,
                                                       "long": 123456789012345678901234567890}
