"""The conformance helper: spec examples pass, wrong bodies, paths and statuses fail readably."""

from __future__ import annotations

import copy
import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests

import pytest_lettr
from pytest_lettr.spec import OPENAPI_PATH, load_openapi

from .conformance import (
    SPEC_ENV_VAR,
    SPEC_PATH,
    clear_cache,
    convert_nullable,
    find_operation,
    spec_path,
    validate_httpx_response,
    validate_response,
)

OUT_OF_SCOPE = ("/audience", "/campaigns")

SEND_OK: dict[str, Any] = {
    "message": "Email queued for delivery.",
    "data": {"request_id": "7610639000055488914", "accepted": 1, "rejected": 0},
}

EVENT: dict[str, Any] = {
    "event_id": "evt-1",
    "type": "click",
    "timestamp": "2024-01-15T10:32:00.000Z",
    "request_id": "7610639000055488914",
    "rcpt_to": "recipient@example.com",
    "raw_rcpt_to": "recipient@example.com",
    "recipient_domain": "example.com",
    "mailbox_provider": "Gmail",
    "mailbox_provider_region": "Global",
    "target_link_url": "https://example.com/x",
}

DETAIL: dict[str, Any] = {
    "message": "Email retrieved successfully.",
    "data": {
        "transmission_id": "7610639000055488914",
        "state": "delivered",
        "scheduled_at": None,
        "from": "sender@example.com",
        "from_name": None,
        "subject": "Hi",
        "recipients": ["recipient@example.com"],
        "num_recipients": 1,
        "events": [EVENT],
    },
}


def _spec_examples() -> Iterator[tuple[str, str, int, str, Any]]:
    """(method, concrete path, status, example name, body) for every in-scope response example."""
    document = json.loads(spec_path().read_text(encoding="utf-8"))
    for template, item in document["paths"].items():
        if template.startswith(OUT_OF_SCOPE):
            continue
        for method, operation in item.items():
            for status, response in operation.get("responses", {}).items():
                if "$ref" in response:
                    response = document["components"]["responses"][response["$ref"].rsplit("/", 1)[-1]]
                for media in (response.get("content") or {}).values():
                    named = [("example", media["example"])] if "example" in media else []
                    named += [(k, v["value"]) for k, v in (media.get("examples") or {}).items()]
                    concrete = template.replace("{", "x-").replace("}", "")
                    for name, body in named:
                        yield (
                            method.upper(),
                            "/api" + concrete,
                            int(status),
                            f"{operation['operationId']}-{status}-{name}",
                            body,
                        )


EXAMPLES = list(_spec_examples())


def test_the_spec_is_the_one_shipped_in_the_package() -> None:
    assert SPEC_PATH == OPENAPI_PATH == Path(pytest_lettr.__file__).parent / "spec" / "lettr-openapi.json"
    assert SPEC_PATH.is_file() and spec_path() == SPEC_PATH
    document = load_openapi()
    assert document["openapi"].startswith("3.1") and document["info"]["title"] == "Lettr API"


def test_the_shipped_spec_is_the_one_its_readme_describes() -> None:
    readme = (OPENAPI_PATH.parent / "README.md").read_text(encoding="utf-8")
    recorded = re.search(r"\| sha256 \| `([0-9a-f]{64})` \|", readme)
    assert recorded is not None, "the README's table lost its sha256 row"
    assert hashlib.sha256(OPENAPI_PATH.read_bytes()).hexdigest() == recorded[1], (
        "lettr-openapi.json changed: record its date and sha256 in pytest_lettr/spec/README.md")


def test_env_var_overrides_the_spec_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    target = tmp_path / "spec.json"
    monkeypatch.setenv(SPEC_ENV_VAR, str(target))
    assert spec_path() == target


def test_examples_were_found() -> None:
    operation_ids = {name.split("-", 1)[0] for *_, name, _ in EXAMPLES}
    assert {"sendEmail", "listEmails", "getEmailDetail", "showDomain", "listWebhooks"} <= operation_ids
    assert {"getTemplate", "getTemplateMergeTags", "listProjects", "verifyDomain"} <= operation_ids


@pytest.mark.parametrize("strict", [True, False], ids=["strict", "overlay"])
@pytest.mark.parametrize(
    ("method", "path", "status", "body"),
    [pytest.param(m, p, s, b, id=n) for m, p, s, n, b in EXAMPLES],
)
def test_spec_examples_conform(method: str, path: str, status: int, body: Any, strict: bool) -> None:
    validate_response(method, path, status, body, strict=strict)


def test_a_handwritten_detail_with_a_click_event_conforms() -> None:
    validate_response("GET", "/api/emails/7610639000055488914", 200, DETAIL, strict=True)


def test_wrong_type_fails_naming_the_json_path() -> None:
    body = copy.deepcopy(SEND_OK)
    body["data"]["accepted"] = "1"
    with pytest.raises(AssertionError) as info:
        validate_response("POST", "/api/emails", 200, body)
    text = str(info.value)
    assert "POST /api/emails (sendEmail) -> 200" in text
    assert "$.data.accepted" in text
    assert "'1' is not of type 'integer'" in text


def test_missing_required_field_fails() -> None:
    body = copy.deepcopy(SEND_OK)
    del body["data"]["request_id"]
    with pytest.raises(AssertionError, match=r"'request_id' is a required property"):
        validate_response("POST", "/emails", 200, body)


def test_referenced_component_is_checked() -> None:
    body = {"message": "Invalid API key.", "error_code": 5}
    validate_response("GET", "/api/domains", 401, {"message": "Invalid API key."})
    with pytest.raises(AssertionError, match=r"\$\.error_code"):
        validate_response("GET", "/api/domains/example.com", 404, body)


def test_discriminated_event_error_points_into_the_chosen_branch() -> None:
    body = copy.deepcopy(DETAIL)
    body["data"]["events"][0]["geo_ip"] = None
    with pytest.raises(AssertionError) as info:
        validate_response("GET", "/api/emails/7610639000055488914", 200, body)
    assert "$.data.events[0].geo_ip" in str(info.value)
    assert "None is not of type 'object'" in str(info.value)


def test_unknown_event_type_fails() -> None:
    body = copy.deepcopy(DETAIL)
    body["data"]["events"][0]["type"] = "email.clicked"
    with pytest.raises(AssertionError, match=r"\$\.data\.events\[0\]: type 'email\.clicked' is not one of \["):
        validate_response("GET", "/api/emails/abc", 200, body)


def test_unknown_path_fails() -> None:
    with pytest.raises(AssertionError, match=r"no path in the OpenAPI document matches '/nope/x'"):
        validate_response("GET", "/api/nope/x", 200, {})


def test_undocumented_method_fails() -> None:
    with pytest.raises(AssertionError, match=r"has '/domains/\{domain\}' but not PATCH"):
        validate_response("PATCH", "/api/domains/example.com", 200, {})


@pytest.mark.parametrize(("method", "path", "status"), [("POST", "/emails", 418), ("GET", "/health", 404)])
def test_status_not_in_spec_fails(method: str, path: str, status: int) -> None:
    with pytest.raises(AssertionError, match=rf"status {status} is not documented"):
        validate_response(method, path, status, {"message": "x", "error_code": "not_found"})


def test_prefix_query_and_trailing_slash_are_ignored() -> None:
    for path in ("/api/emails", "/emails", "/api/emails/", "/api/emails?per_page=5", "http://127.0.0.1:1/api/emails"):
        assert find_operation("POST", path).operation_id == "sendEmail"


@pytest.mark.parametrize(
    ("path", "operation_id"),
    [
        ("/api/templates/html", "getTemplateHtml"),
        ("/api/templates/welcome", "getTemplate"),
        ("/api/emails/events", "listEmailEvents"),
        ("/api/emails/123", "getEmailDetail"),
        ("/api/emails/scheduled/sch_1", "showScheduledEmail"),
        ("/api/templates/welcome/merge-tags", "getTemplateMergeTags"),
    ],
)
def test_literal_segments_beat_parameters(path: str, operation_id: str) -> None:
    assert find_operation("GET", path, strict=True).operation_id == operation_id


def test_template_html_is_checked_against_its_own_shape() -> None:
    html_ok = {"success": True, "data": {"html": "<p>x</p>", "merge_tags": [], "subject": None}}
    validate_response("GET", "/api/templates/html?project_id=1&slug=a", 200, html_ok)
    with pytest.raises(AssertionError, match=r"'success' is a required property"):
        validate_response("GET", "/api/templates/html", 200, {"message": "ok", "data": html_ok["data"]})


def test_no_content_status_rejects_a_body() -> None:
    validate_response("DELETE", "/api/domains/example.com", 204, None)
    with pytest.raises(AssertionError, match=r"documents no body"):
        validate_response("DELETE", "/api/domains/example.com", 204, {"message": "deleted"})


def test_documented_body_must_be_present() -> None:
    with pytest.raises(AssertionError, match=r"expected a JSON body"):
        validate_response("GET", "/api/domains", 200, None)


def test_response_without_schema_accepts_any_json() -> None:
    body = {"message": "Scheduled transmission cancelled successfully.", "data": {"state": "cancelled"}}
    validate_response("DELETE", "/api/emails/scheduled/sch_1", 200, body, strict=True)


def test_overlay_allows_readme_and_sdk_error_codes_only_when_not_strict() -> None:
    sandbox = {"message": "Sandbox keys cannot send.", "error_code": "sandbox_restricted"}
    validate_response("POST", "/api/emails", 403, sandbox)
    with pytest.raises(AssertionError, match=r"status 403 is not documented"):
        validate_response("POST", "/api/emails", 403, sandbox, strict=True)
    conflict = {"message": "Key reused.", "error_code": "idempotency_key_conflict"}
    validate_response("POST", "/api/emails", 409, conflict)
    with pytest.raises(AssertionError, match=r"status 409"):
        validate_response("POST", "/api/emails", 409, conflict, strict=True)
    with pytest.raises(AssertionError, match=r"\$\.error_code"):
        validate_response("POST", "/api/emails", 409, {"message": "x", "error_code": "made_up"})


def test_overlay_adds_scope_errors_everywhere_but_health() -> None:
    scope = {"message": "Your API key does not have the required permissions.", "error_code": "insufficient_scope"}
    validate_response("GET", "/api/domains", 403, scope)
    validate_response("GET", "/api/projects", 500, {"message": "boom", "error_code": "send_error"})
    limited = {"message": "Too many requests.", "error_code": "rate_limit_exceeded"}
    validate_response("GET", "/api/webhooks/wh_1", 429, limited)
    with pytest.raises(AssertionError, match=r"status 429"):
        validate_response("GET", "/api/webhooks/wh_1", 429, limited, strict=True)
    with pytest.raises(AssertionError, match=r"status 403"):
        validate_response("GET", "/api/health", 403, scope)


def test_scheduled_emails_keep_the_spec_states_and_a_string_transmission_id() -> None:
    body: dict[str, Any] = {
        "message": "ok",
        "data": {
            "transmission_id": "7610639000055488914",
            "state": "scheduled",
            "from": "a@example.com",
            "subject": "Later",
            "recipients": ["b@example.com"],
            "num_recipients": 1,
            "events": [],
        },
    }
    validate_response("GET", "/api/emails/scheduled/7610639000055488914", 200, body)
    for field, wrong in (("state", "cancelled"), ("transmission_id", None)):
        with pytest.raises(AssertionError) as info:
            validate_response("GET", "/api/emails/scheduled/x", 200, {**body, "data": {**body["data"], field: wrong}})
        assert f"$.data.{field}" in str(info.value)


def test_overlay_lets_cancelling_an_unknown_scheduled_email_be_a_404() -> None:
    missing = {"message": "Scheduled email not found.", "error_code": "not_found"}
    validate_response("DELETE", "/api/emails/scheduled/sch_nope", 404, missing)
    with pytest.raises(AssertionError, match=r"status 404 is not documented"):
        validate_response("DELETE", "/api/emails/scheduled/sch_nope", 404, missing, strict=True)


def test_overlay_adds_sdk_only_endpoints() -> None:
    page = {"total": 1, "per_page": 25, "current_page": 1, "last_page": 1}
    folder = {
        "id": 3,
        "name": "Main",
        "project_id": 1,
        "purpose": "transactional",
        "templates_count": 0,
        "created_at": "2024-01-01T00:00:00+00:00",
        "updated_at": "2024-01-01T00:00:00+00:00",
    }
    validate_response("GET", "/api/folders", 200, {"message": "ok", "data": {"folders": [folder], "pagination": page}})
    scheduled = {"request_id": "sch_1", "transmission_id": None, "state": "scheduled", "from": "a@example.com"}
    listing = {"message": "ok", "data": {"scheduled_emails": [scheduled], "pagination": page}}
    validate_response("GET", "/api/emails/scheduled?status=scheduled", 200, listing)
    with pytest.raises(AssertionError, match=r"'last_page' is a required property"):
        validate_response("GET", "/api/folders", 200, {"message": "ok", "data": {"folders": [], "pagination": {}}})
    with pytest.raises(AssertionError, match=r"no path in the OpenAPI document matches '/folders'"):
        validate_response("GET", "/api/folders", 200, {}, strict=True)
    with pytest.raises(AssertionError, match=r"has '/emails/scheduled' but not GET"):
        validate_response("GET", "/api/emails/scheduled", 200, listing, strict=True)


def _mock_client(status: int, body: bytes, content_type: str = "application/json") -> httpx.Client:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, content=body, headers={"content-type": content_type} if body else {})

    return httpx.Client(transport=httpx.MockTransport(handler), base_url="http://127.0.0.1:9/api")


def test_validate_httpx_response_reads_method_path_status_and_body() -> None:
    with _mock_client(200, json.dumps(SEND_OK).encode()) as client:
        validate_httpx_response(client.post("/emails", json={}))
    bad = copy.deepcopy(SEND_OK)
    bad["data"]["rejected"] = -1
    with (
        _mock_client(200, json.dumps(bad).encode()) as client,
        pytest.raises(AssertionError, match=r"\$\.data\.rejected"),
    ):
        validate_httpx_response(client.post("/emails", json={}))
    with _mock_client(204, b"") as client:
        validate_httpx_response(client.delete("/domains/example.com"))


def test_validate_httpx_response_requires_a_json_content_type() -> None:
    with (
        _mock_client(200, json.dumps(SEND_OK).encode(), "text/html") as client,
        pytest.raises(AssertionError, match=r"Content-Type 'text/html' is not JSON"),
    ):
        validate_httpx_response(client.post("/emails", json={}))
    with (
        _mock_client(200, b"{not json", "application/json") as client,
        pytest.raises(AssertionError, match=r"not valid JSON"),
    ):
        validate_httpx_response(client.post("/emails", json={}))


def test_validate_httpx_response_accepts_requests_responses() -> None:
    response = requests.Response()
    response.status_code = 401
    response._content = b'{"message": "API key is required."}'
    response.headers["Content-Type"] = "application/json"
    response.request = requests.Request("GET", "http://127.0.0.1:9/api/auth/check").prepare()
    validate_httpx_response(response)
    response._content = b'{"error": "nope"}'
    with pytest.raises(AssertionError, match=r"'message' is a required property"):
        validate_httpx_response(response)


def test_convert_nullable_turns_openapi_30_nullable_into_json_schema() -> None:
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {
            "a": {"type": "string", "nullable": True},
            "b": {"$ref": "#/x", "nullable": True},
            "c": {"type": "string", "enum": ["x"], "nullable": True},
        },
    }
    convert_nullable(schema)
    props = schema["properties"]
    assert props["a"] == {"type": ["string", "null"]}
    assert props["b"] == {"anyOf": [{"$ref": "#/x"}, {"type": "null"}]}
    assert props["c"] == {"type": ["string", "null"], "enum": ["x", None]}


def test_a_30_style_document_with_range_and_default_responses(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    document = {
        "openapi": "3.0.3",
        "paths": {
            "/things/{id}": {
                "get": {
                    "operationId": "getThing",
                    "responses": {
                        "200": {
                            "description": "ok",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}},
                        },
                        "4XX": {
                            "description": "client",
                            "content": {"application/json": {"schema": {"type": "object", "required": ["message"]}}},
                        },
                        "default": {
                            "description": "other",
                            "content": {"application/json": {"schema": {"type": "object", "required": ["fault"]}}},
                        },
                    },
                }
            }
        },
        "components": {
            "schemas": {
                "Thing": {
                    "type": "object",
                    "required": ["name"],
                    "properties": {"name": {"type": "string", "nullable": True}},
                }
            }
        },
    }
    target = tmp_path / "openapi.json"
    target.write_text(json.dumps(document), encoding="utf-8")
    monkeypatch.setenv(SPEC_ENV_VAR, str(target))
    clear_cache()
    validate_response("GET", "/api/things/1", 200, {"name": None}, strict=True)
    with pytest.raises(AssertionError, match=r"\$\.name"):
        validate_response("GET", "/things/1", 200, {"name": 3}, strict=True)
    validate_response("GET", "/things/1", 409, {"message": "taken"}, strict=True)
    with pytest.raises(AssertionError, match=r"'message' is a required property"):
        validate_response("GET", "/things/1", 404, {}, strict=True)
    validate_response("GET", "/things/1", 503, {"fault": "down"}, strict=True)
    with pytest.raises(AssertionError, match=r"'fault' is a required property"):
        validate_response("GET", "/things/1", 302, {}, strict=True)


def test_a_missing_document_fails_with_its_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(SPEC_ENV_VAR, str(tmp_path / "absent.json"))
    with pytest.raises(AssertionError, match=r"cannot read the OpenAPI document at .*absent\.json"):
        validate_response("GET", "/health", 200, {})
