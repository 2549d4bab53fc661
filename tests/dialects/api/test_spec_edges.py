"""Edges of the spec a conformance run of Lettr's ``openapi.json`` against ``/api`` found: integers
of any length (and whole-number floats), dates before 1970, ``null`` where the spec allows none,
a write with no body, and ``""`` in an optional field."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from pytest_lettr import LettrServer

from .conftest import send_kwargs

SEND = {"from": "app@example.com", "to": ["ada@example.com"], "subject": "Hello", "html": "<p>Hello</p>"}
INT64_MAX = 2**63 - 1


def _errors(response: httpx.Response) -> dict[str, list[str]]:
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error_code"] == "validation_error" and body["message"] == "Validation failed.", body
    return body["errors"]  # type: ignore[no-any-return]


@pytest.fixture
def template(raw: httpx.Client) -> str:
    created = raw.post("/templates", json={"name": "Welcome", "html": "<p>Hi {{NAME}}</p>"})
    assert created.status_code == 201, created.text
    return created.json()["data"]["slug"]  # type: ignore[no-any-return]


@pytest.fixture
def webhook(raw: httpx.Client) -> str:
    created = raw.post("/webhooks", json={"name": "all", "url": "http://127.0.0.1:9/hook", "auth_type": "none",
                                          "events_mode": "all"})
    assert created.status_code == 201, created.text
    return created.json()["data"]["id"]  # type: ignore[no-any-return]


def _stored(server: LettrServer) -> Any:
    account = server.account
    return ([(e.id, e.status, e.subject) for e in account.outbox],
            [(t.slug, t.name, len(t.versions)) for p in server.projects for t in account.templates.templates_of(p)],
            [(w.id, w.name, w.url, w.enabled, w.event_types, w.auth_type) for w in account.api_webhooks.all()],
            sorted(d.name for d in account.domains))


# -- query integers -------------------------------------------------------------------------------

@pytest.mark.parametrize(("path", "name", "raw_value", "value"), [
    ("/emails", "per_page", "0000000010", 10),
    ("/emails", "per_page", "00000000000000000000000000000042", 42),
    ("/emails", "per_page", "10.0", 10),
    ("/emails/events", "per_page", "0000000000100", 100),
    ("/templates", "page", "0000000001", 1),
    ("/templates", "page", str(INT64_MAX), INT64_MAX),
    ("/projects", "per_page", "+5", 5),
])
def test_query_integers_of_any_length_within_range_are_accepted(raw: httpx.Client, path: str, name: str,
                                                               raw_value: str, value: int) -> None:
    response = raw.get(path, params={name: raw_value})
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    pagination = data["events"]["pagination"] if "events" in data else data["pagination"]
    key = "current_page" if name == "page" else "per_page"
    assert pagination[key] == value


@pytest.mark.parametrize(("path", "name", "raw_value", "message"), [
    ("/emails", "per_page", "99999999999999999999", "The per page parameter must not exceed 100."),
    ("/emails", "per_page", "9" * 5000, "The per page parameter must not exceed 100."),
    ("/emails", "per_page", "-99999999999999999999", "The per page parameter must be at least 1."),
    ("/emails/events", "per_page", "0000000000101", "The per page parameter must not exceed 100."),
    ("/templates", "page", str(INT64_MAX + 1), f"The page parameter must not exceed {INT64_MAX}."),
    ("/templates", "project_id", "9" * 40, f"The project id parameter must not exceed {INT64_MAX}."),
    ("/templates", "page", "0000000000", "The page parameter must be at least 1."),
    ("/emails", "per_page", "2.5", "The per page parameter must be an integer."),
    ("/emails", "per_page", "1e2", "The per page parameter must be an integer."),
    ("/emails", "per_page", "\uff11\uff12", "The per page parameter must be an integer."),
])
def test_query_integers_out_of_range_get_the_range_message(raw: httpx.Client, path: str, name: str, raw_value: str,
                                                           message: str) -> None:
    assert _errors(raw.get(path, params={name: raw_value})) == {name: [message]}


# -- dates ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("params", "shown"), [
    ({"from": "1960-01-01"}, "1960-01-01T00:00:00Z"),
    ({"from": "1969-12-31T23:59:59Z"}, "1969-12-31T23:59:59Z"),
    ({"from": "0001-01-01T00:00:00Z"}, "0001-01-01T00:00:00Z"),
    ({"from": "0001-01-01T00:00:00+01:00"}, "0001-01-01T00:00:00Z"),  # before year 1 in UTC: the earliest
    ({"to": "0001-01-05"}, "0001-01-01T00:00:00Z"),  # the default window starts 10 days before: clamped
    ({"from": "1900-01-01", "to": "9999-12-31T23:59:59-01:00"}, "1900-01-01T00:00:00Z"),
])
@pytest.mark.parametrize("path", ["/emails", "/emails/events"])
def test_any_valid_date_is_accepted(raw: httpx.Client, path: str, params: dict[str, str], shown: str) -> None:
    response = raw.get(path, params=params)
    assert response.status_code == 200, response.text
    assert response.json()["data"]["events"]["from"] == shown


@pytest.mark.parametrize("value", ["1960-02-30", "tomorrow", "10000-01-01", "1960-01-01T25:00:00Z"])
def test_invalid_dates_are_still_refused(raw: httpx.Client, value: str) -> None:
    assert _errors(raw.get("/emails", params={"from": value})) == {"from": ["The from parameter must be a valid date."]}


def test_an_email_detail_accepts_an_early_window(raw: httpx.Client) -> None:
    request_id = raw.post("/emails", json=SEND).json()["data"]["request_id"]
    response = raw.get(f"/emails/{request_id}", params={"from": "1950-06-01", "to": "9999-12-31"})
    assert response.status_code == 200, response.text


def test_a_schedule_before_1970_is_in_the_past_not_invalid(raw: httpx.Client) -> None:
    errors = _errors(raw.post("/emails/scheduled", json={**SEND, "scheduled_at": "1960-01-01T00:00:00Z"}))
    assert errors == {"scheduled_at": ["The scheduled delivery time must be at least 5 minutes in the future."]}


# -- null -----------------------------------------------------------------------------------------

NOT_NULLABLE = [
    ("POST", "/emails", SEND, "from"),
    ("POST", "/emails", SEND, "to"),
    ("POST", "/emails", SEND, "cc"),
    ("POST", "/emails", SEND, "bcc"),
    ("POST", "/emails", SEND, "tag"),
    ("POST", "/emails", SEND, "metadata"),
    ("POST", "/emails", SEND, "headers"),
    ("POST", "/emails", SEND, "substitution_data"),
    ("POST", "/emails", SEND, "options"),
    ("POST", "/emails", SEND, "attachments"),
    ("POST", "/emails", {**SEND, "options": {"open_tracking": None}}, "options.open_tracking"),
    ("POST", "/emails", {**SEND, "attachments": [{"name": None, "type": "text/plain", "data": "aGk="}]},
     "attachments.0.name"),
    ("POST", "/emails/scheduled", SEND, "scheduled_at"),
    ("POST", "/domains", {"domain": "example.org"}, "domain"),
    ("POST", "/templates", {"name": "T", "html": "<p>x</p>"}, "name"),
    ("POST", "/templates", {"name": "T", "html": "<p>x</p>"}, "project_id"),
    ("POST", "/templates", {"name": "T", "html": "<p>x</p>"}, "folder_id"),
    ("POST", "/templates", {"name": "T", "json": "{}"}, "html"),
    ("PUT", "/templates/{template}", {}, "name"),
    ("PUT", "/templates/{template}", {}, "html"),
    ("PUT", "/templates/{template}", {}, "project_id"),
    ("POST", "/webhooks", {"name": "w", "url": "http://127.0.0.1:9/h", "auth_type": "none", "events_mode": "all"},
     "events_mode"),
    ("POST", "/webhooks", {"name": "w", "url": "http://127.0.0.1:9/h", "auth_type": "none", "events_mode": "all"},
     "auth_username"),
    ("PUT", "/webhooks/{webhook}", {}, "name"),
    ("PUT", "/webhooks/{webhook}", {}, "url"),
    ("PUT", "/webhooks/{webhook}", {}, "active"),
    ("PUT", "/webhooks/{webhook}", {}, "events"),
]


def _set(body: dict[str, Any], dotted: str, value: Any) -> dict[str, Any]:
    """``body`` with ``dotted`` (the top-level name, unless the body already holds the null) set."""
    copy = {**body}
    if "." not in dotted:
        copy[dotted] = value
    return copy


@pytest.mark.parametrize(("method", "path", "body", "field"), NOT_NULLABLE,
                         ids=[f"{m} {p} {f}" for m, p, _, f in NOT_NULLABLE])
def test_null_is_refused_where_the_spec_allows_none(lettr_server: LettrServer, raw: httpx.Client, template: str,
                                                    webhook: str, method: str, path: str, body: dict[str, Any],
                                                    field: str) -> None:
    before = _stored(lettr_server)
    payload = _set(body, field, None)
    if path == "/emails/scheduled" and field != "scheduled_at":
        payload["scheduled_at"] = (lettr_server.clock.now() + timedelta(hours=1)).isoformat()
    response = raw.request(method, path.format(template=template, webhook=webhook), json=payload)
    errors = _errors(response)
    shown = field if "." in field else field.replace("_", " ")  # a nested path is named as it is
    assert errors.get(field) == [f"The {shown} field must not be null."], errors
    assert _stored(lettr_server) == before


@pytest.mark.parametrize("field", ["from_name", "reply_to", "reply_to_name", "amp_html", "text", "project_id",
                                   "template_slug", "template_version"])
def test_null_is_accepted_where_the_spec_allows_it(raw: httpx.Client, field: str) -> None:
    response = raw.post("/emails", json={**SEND, field: None})
    assert response.status_code == 200, response.text


def test_a_nullable_subject_with_a_template(lettr_server: LettrServer, raw: httpx.Client, template: str) -> None:
    response = raw.post("/emails", json={**SEND, "subject": None, "html": None, "template_slug": template})
    assert response.status_code == 200, response.text


# -- a write without a body -----------------------------------------------------------------------

@pytest.mark.parametrize(("method", "path"), [
    ("PUT", "/templates/{template}"), ("PUT", "/webhooks/{webhook}"), ("POST", "/emails"),
    ("POST", "/emails/scheduled"), ("POST", "/templates"), ("POST", "/webhooks"), ("POST", "/domains"),
])
@pytest.mark.parametrize("content", [b"", b"  \r\n"], ids=["empty", "whitespace"])
def test_a_write_the_spec_gives_a_body_refuses_none(lettr_server: LettrServer, raw: httpx.Client, template: str,
                                                    webhook: str, method: str, path: str, content: bytes) -> None:
    before = _stored(lettr_server)
    response = raw.request(method, path.format(template=template, webhook=webhook), content=content,
                           headers={"Content-Type": "application/json"})
    assert _errors(response) == {"body": ["The request body is required."]}
    assert _stored(lettr_server) == before


def test_an_empty_object_is_a_body(raw: httpx.Client, template: str, webhook: str) -> None:
    assert raw.put(f"/templates/{template}", json={}).status_code == 200
    assert raw.put(f"/webhooks/{webhook}", json={}).status_code == 200


def test_a_write_without_a_body_in_the_spec_needs_none(raw: httpx.Client) -> None:
    assert raw.post("/domains", json={"domain": "example.org"}).status_code == 201
    assert raw.post("/domains/example.org/verify").status_code == 200


# -- "" in an optional field ----------------------------------------------------------------------

@pytest.mark.parametrize(("method", "path", "body", "field", "message"), [
    ("POST", "/emails", {**SEND, "template_slug": ""}, "template_slug", "The template slug field must not be empty."),
    ("POST", "/emails", {**SEND, "template_slug": "  "}, "template_slug",
     "The template slug field must not be blank."),
    ("PUT", "/templates/{template}", {"name": ""}, "name", "The name field must not be empty."),
    ("PUT", "/webhooks/{webhook}", {"url": ""}, "url", "The url field must not be empty."),
    ("PUT", "/webhooks/{webhook}", {"name": " "}, "name", "The name field must not be blank."),
    ("POST", "/webhooks", {"name": "w", "url": "http://127.0.0.1:9/h", "auth_type": "basic", "events_mode": "all",
                           "auth_username": "", "auth_password": "p"}, "auth_username",
     "The auth username field must not be empty."),
    # a required field left empty is still "required", as Laravel words it
    ("POST", "/templates", {"name": "", "html": "<p>x</p>"}, "name", "The name field is required."),
])
def test_an_empty_optional_field_says_what_is_wrong(lettr_server: LettrServer, raw: httpx.Client, template: str,
                                                    webhook: str, method: str, path: str, body: dict[str, Any],
                                                    field: str, message: str) -> None:
    before = _stored(lettr_server)
    errors = _errors(raw.request(method, path.format(template=template, webhook=webhook), json=body))
    assert errors[field] == [message]
    assert _stored(lettr_server) == before


# -- whole-number floats are integers -------------------------------------------------------------

def test_a_whole_number_float_is_an_integer(lettr_server: LettrServer, raw: httpx.Client) -> None:
    project = lettr_server.templates.project(None).id
    created = raw.post("/templates", json={"name": "T", "html": "<p>x</p>", "project_id": float(project)})
    assert created.status_code == 201, created.text
    assert created.json()["data"]["project_id"] == project
    sent = raw.post("/emails", json={**SEND, "template_version": 1.0, "project_id": float(project)})
    assert sent.status_code in (200, 404), sent.text  # no template named: the version is not looked up


@pytest.mark.parametrize(("value", "message"), [
    (1.5, "The project id field must be an integer."),
    (0.0, "The project id field must be at least 1."),
    (1e300, f"The project id field must not be greater than {INT64_MAX}."),
    (2**64, f"The project id field must not be greater than {INT64_MAX}."),
    ("1", "The project id field must be an integer."),
    (True, "The project id field must be an integer."),
])
def test_integers_that_are_not_or_are_out_of_range(raw: httpx.Client, value: Any, message: str) -> None:
    errors = _errors(raw.post("/templates", json={"name": "T", "html": "<p>x</p>", "project_id": value}))
    assert errors == {"project_id": [message]}


def test_the_sdk_still_sends(client: Any) -> None:
    assert client.emails.send(**send_kwargs()).request_id
