"""Check responses of the mock's `/api` dialect against Lettr's published OpenAPI document.

Usage::

    from .conformance import validate_httpx_response, validate_response

    def test_send(client: httpx.Client) -> None:
        response = client.post("/api/emails", json={"from": "a@example.com", "to": ["b@example.com"]})
        validate_httpx_response(response)          # method, path, status and JSON body from the response

    validate_response("GET", "/api/emails/abc123", 200, body)   # or pass them yourself

The document is the one shipped in the package, ``pytest_lettr/spec/lettr-openapi.json`` (see the
README beside it), so the checks run on every checkout; the environment variable
``LETTR_OPENAPI_SPEC`` points elsewhere (a missing file there fails, it never skips). Schemas are
JSON Schema 2020-12 (OpenAPI 3.1); ``$ref``s resolve through a ``referencing`` registry holding the
whole document; ``format`` is not enforced; OpenAPI 3.0 ``nullable: true`` is honoured. Compiled
validators are cached per document, mode and schema.

By default the document is read with :func:`apply_overlay` applied: the few places where the spec is
silent or stale but ``docs/current-api.md`` or the official SDK (which must work against the mock
unmodified) fixes the wire format. The overlay only ever *adds*: statuses, enum values, ``null`` as
an allowed value, and the two endpoints the SDK calls that the spec lacks. Pass ``strict=True`` to
check against the bare document.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from pytest_lettr.spec import OPENAPI_PATH

SPEC_ENV_VAR = "LETTR_OPENAPI_SPEC"
SPEC_PATH = OPENAPI_PATH
SPEC_URI = "urn:lettr:openapi"
API_PREFIX = "/api"

HTTP_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})
_MAX_ERRORS_SHOWN = 5
_MAX_BODY_SHOWN = 600


def spec_path() -> Path:
    """Where the OpenAPI document is read from: ``$LETTR_OPENAPI_SPEC`` or :data:`SPEC_PATH`."""
    override = os.environ.get(SPEC_ENV_VAR)
    return Path(override) if override else SPEC_PATH


# --------------------------------------------------------------------------------------------
# The overlay: what docs/current-api.md and the official SDK fix where the spec is silent or stale.
# --------------------------------------------------------------------------------------------

OVERLAY_ERROR_CODES = (
    "sandbox_restricted",
    "idempotency_key_conflict",
    "idempotency_in_progress",
    "rate_limit_exceeded",
)
"""``error_code`` values missing from ``ErrorCode``: the sandbox 403 (docs/current-api.md), the SDK's
two 409s, and the request rate limit's 429 (Lettr's rate-limit docs: any endpoint, ``Retry-After``)."""

_PAGE_PAGINATION: dict[str, Any] = {
    "type": "object",
    "required": ["total", "per_page", "current_page", "last_page"],
    "properties": {
        "total": {"type": "integer", "minimum": 0},
        "per_page": {"type": "integer", "minimum": 1},
        "current_page": {"type": "integer", "minimum": 1},
        "last_page": {"type": "integer", "minimum": 1},
    },
}

_SDK_SCHEDULED_EMAIL: dict[str, Any] = {
    "type": "object",
    "description": "A scheduled email as lettr.resources.emails._parse_scheduled_email reads it.",
    "required": ["state", "from"],
    "properties": {
        "request_id": {"type": "string"},
        "transmission_id": {"type": ["string", "null"]},
        "state": {"type": "string"},
        "from": {"type": "string"},
        "from_name": {"type": ["string", "null"]},
        "subject": {"type": ["string", "null"]},
        "recipients": {"type": "array", "items": {"type": "string"}},
        "num_recipients": {"type": "integer", "minimum": 0},
        "events": {"type": "array", "items": {"$ref": "#/components/schemas/EmailEvent"}},
        "scheduled_at": {"type": ["string", "null"]},
        "accepted": {"type": "integer", "minimum": 0},
        "rejected": {"type": "integer", "minimum": 0},
        "tag": {"type": ["string", "null"]},
        "failure_reason": {"type": ["string", "null"]},
    },
}

_SDK_FOLDER: dict[str, Any] = {
    "type": "object",
    "description": "A template folder as lettr.resources.folders.Folders.list reads it.",
    "required": ["id", "name", "project_id", "created_at", "updated_at"],
    "properties": {
        "id": {"type": "integer"},
        "name": {"type": "string"},
        "project_id": {"type": "integer"},
        "purpose": {"type": "string", "enum": ["transactional", "campaign"]},
        "templates_count": {"type": "integer", "minimum": 0},
        "created_at": {"type": "string"},
        "updated_at": {"type": "string"},
    },
}


def _json_response(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _page_response(description: str, key: str, item_ref: str) -> dict[str, Any]:
    return _json_response(
        description,
        {
            "type": "object",
            "required": ["message", "data"],
            "properties": {
                "message": {"type": "string"},
                "data": {
                    "type": "object",
                    "required": [key, "pagination"],
                    "properties": {
                        key: {"type": "array", "items": {"$ref": item_ref}},
                        "pagination": {"$ref": "#/components/schemas/SdkPagePagination"},
                    },
                },
            },
        },
    )


def _sdk_only_operation(operation_id: str, ok: dict[str, Any], *, not_found: bool) -> dict[str, Any]:
    responses: dict[str, Any] = {
        "200": ok,
        "401": {"$ref": "#/components/responses/UnauthorizedError"},
        "403": {"$ref": "#/components/responses/ForbiddenError"},
        "422": {"$ref": "#/components/responses/ValidationError"},
        "500": {"$ref": "#/components/responses/ServerError"},
    }
    if not_found:
        responses["404"] = _json_response("Not found", {"$ref": "#/components/schemas/ErrorResponse"})
    return {
        "operationId": operation_id,
        "x-lettr-source": "official SDK lettr 1.7; absent from openapi.json",
        "security": [{"bearerAuth": []}],
        "responses": responses,
    }


def _dig(node: Any, *keys: str) -> Any:
    """``node[k1][k2]...`` or None when any step is missing, so the overlay survives spec edits."""
    for key in keys:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def _add_enum_values(schema: Any, values: tuple[str, ...]) -> None:
    if isinstance(schema, dict) and isinstance(schema.get("enum"), list):
        schema["enum"].extend(v for v in values if v not in schema["enum"])


def _allow_null(schema: Any) -> None:
    if not isinstance(schema, dict):
        return
    kind = schema.get("type")
    if isinstance(kind, str) and kind != "null":
        schema["type"] = [kind, "null"]
    elif isinstance(kind, list) and "null" not in kind:
        kind.append("null")


def apply_overlay(document: dict[str, Any]) -> None:
    """Add to ``document`` (in place) what docs/current-api.md and the official SDK require of the mock.

    1. ``ErrorCode`` gains :data:`OVERLAY_ERROR_CODES`.
    2. Every operation gains ``500`` (fault injection); every authenticated one gains ``401``,
       ``403`` (docs/current-api.md: missing scope ``insufficient_scope``, sandbox key on a write
       ``sandbox_restricted``) and ``429`` (``rate_limit_exceeded``) where the spec lacks them.
    3. ``POST /emails`` gains ``409`` (``Idempotency-Key`` conflicts the SDK maps to
       ``IdempotencyConflictError`` / ``IdempotencyInProgressError``).
    4. (none: scheduled emails show the spec's states and a string ``transmission_id``; only the
       cancel answer, which the spec gives no schema, says ``cancelled`` for the SDK.)
    5. ``GET /emails/scheduled`` and ``GET /folders``, which the SDK calls, with the shapes it parses.
    6. ``DELETE /emails/scheduled/{id}`` gains ``404`` (the SDK documents ``NotFoundError`` for an
       unknown id; the spec folds that into its ``409``).
    7. An event's ``rcpt_meta`` may be an object, as ``SentEmailListItem``'s is: the metadata the
       email was sent with (Lettr's metadata and suppression pages, the SDK's ``dict`` type).
    """
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    responses = components.setdefault("responses", {})
    paths = document.setdefault("paths", {})

    _add_enum_values(schemas.get("ErrorCode"), OVERLAY_ERROR_CODES)

    rcpt_meta = _dig(schemas, "CommonEventProperties", "properties", "rcpt_meta")
    if isinstance(rcpt_meta, dict) and isinstance(rcpt_meta.get("type"), list) and "object" not in rcpt_meta["type"]:
        rcpt_meta["type"].append("object")

    error_schema = {"$ref": "#/components/schemas/ErrorResponse"}
    responses.setdefault("UnauthorizedError", _json_response("Unauthorized", _unauthorized_schema(schemas)))
    responses.setdefault("ForbiddenError", _json_response("Forbidden", error_schema))
    responses.setdefault("ServerError", _json_response("Server error", error_schema))
    if "ValidationError" not in responses:
        responses["ValidationError"] = _json_response(
            "Validation error", {"$ref": "#/components/schemas/ValidationErrorResponse"}
        )

    schemas.setdefault("SdkPagePagination", _PAGE_PAGINATION)
    schemas.setdefault("SdkScheduledEmail", _SDK_SCHEDULED_EMAIL)
    schemas.setdefault("SdkFolder", _SDK_FOLDER)
    scheduled_item = paths.setdefault("/emails/scheduled", {})
    scheduled_item.setdefault(
        "get",
        _sdk_only_operation(
            "listScheduledEmails",
            _page_response("Scheduled emails", "scheduled_emails", "#/components/schemas/SdkScheduledEmail"),
            not_found=False,
        ),
    )
    paths.setdefault("/folders", {}).setdefault(
        "get",
        _sdk_only_operation(
            "listFolders",
            _page_response("Template folders", "folders", "#/components/schemas/SdkFolder"),
            not_found=True,
        ),
    )

    default_security = document.get("security") or []
    for item in paths.values():
        for method, operation in item.items():
            if method not in HTTP_METHODS or not isinstance(operation, dict):
                continue
            op_responses = operation.setdefault("responses", {})
            if operation.get("security", default_security):
                op_responses.setdefault("401", {"$ref": "#/components/responses/UnauthorizedError"})
                op_responses.setdefault("403", {"$ref": "#/components/responses/ForbiddenError"})
                op_responses.setdefault("429", _json_response("Rate limit exceeded", error_schema))
            op_responses.setdefault("500", {"$ref": "#/components/responses/ServerError"})

    send = _dig(paths, "/emails", "post", "responses")
    if isinstance(send, dict):
        send.setdefault("409", _json_response("Idempotency-Key conflict", error_schema))
    cancel = _dig(paths, "/emails/scheduled/{transmissionId}", "delete", "responses")
    if isinstance(cancel, dict):
        cancel.setdefault("404", _json_response("Scheduled email not found", error_schema))
    _audience_overlay(paths, error_schema)


def _counts(*names: str) -> dict[str, Any]:
    """``{"message", "data": {name: integer ≥ 0, ...}}``: the body of an SDK-only bulk call."""
    counts = {name: {"type": "integer", "minimum": 0} for name in names}
    return {"type": "object", "required": ["message", "data"], "properties": {
        "message": {"type": "string"},
        "data": {"type": "object", "required": list(names), "properties": counts}}}


def _audience_overlay(paths: dict[str, Any], error_schema: dict[str, Any]) -> None:
    """7. ``POST /audience/contacts`` gains ``409`` (a taken address: the SDK's
    ``ContactAlreadyExistsError``); ``POST`` / ``DELETE /audience/contacts/topics/bulk``, which the
    SDK calls, with the counts it parses; the ``oneOf`` of ``POST /campaigns/{id}/schedule``'s 422
    becomes ``anyOf`` (a validation error is also an ``ErrorResponse``, so no body, the spec's own
    example included, matches exactly one branch)."""
    schedule = _dig(paths, "/campaigns/{campaignId}/schedule", "post", "responses", "422", "content",
                    "application/json", "schema")
    if isinstance(schedule, dict) and "oneOf" in schedule:
        schedule["anyOf"] = schedule.pop("oneOf")
    create = _dig(paths, "/audience/contacts", "post", "responses")
    if isinstance(create, dict):
        create.setdefault("409", _json_response("Contact already exists", error_schema))
    topics = paths.setdefault("/audience/contacts/topics/bulk", {})
    topics.setdefault("post", _sdk_only_operation(
        "bulkSubscribeContactsToTopics",
        _json_response("Subscribed", _counts("subscribed", "already_subscribed", "total_pairs")), not_found=False))
    topics.setdefault("delete", _sdk_only_operation(
        "bulkUnsubscribeContactsFromTopics",
        _json_response("Unsubscribed", _counts("unsubscribed", "total_pairs")), not_found=False))


def _unauthorized_schema(schemas: Mapping[str, Any]) -> dict[str, Any]:
    if "UnauthorizedResponse" in schemas:
        return {"$ref": "#/components/schemas/UnauthorizedResponse"}
    return {"type": "object", "required": ["message"], "properties": {"message": {"type": "string"}}}


def convert_nullable(node: Any) -> None:
    """Rewrite OpenAPI 3.0 ``nullable: true`` (in place) into JSON Schema that accepts ``null``."""
    if isinstance(node, list):
        for item in node:
            convert_nullable(item)
        return
    if not isinstance(node, dict):
        return
    for value in node.values():
        convert_nullable(value)
    if node.get("nullable") is not True:
        return
    del node["nullable"]
    if isinstance(node.get("enum"), list) and None not in node["enum"]:
        node["enum"].append(None)
    if "type" in node:
        _allow_null(node)
    elif any(key in node for key in ("$ref", "allOf", "oneOf", "anyOf")):
        inner = dict(node)
        node.clear()
        node["anyOf"] = [inner, {"type": "null"}]


# --------------------------------------------------------------------------------------------
# Loading, matching, validating
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Operation:
    """One documented operation: ``Operation("GET", "/emails/{requestId}", "getEmailDetail", ...)``."""

    method: str
    template: str
    operation_id: str
    statuses: tuple[str, ...]


@dataclass
class _Template:
    template: str
    pattern: re.Pattern[str]
    rank: tuple[int, ...]


@dataclass
class _Spec:
    document: dict[str, Any]
    registry: Registry[Any]
    templates: list[_Template]
    validators: dict[str, Any] = field(default_factory=dict)


def _compile_template(template: str) -> _Template:
    segments = [s for s in template.strip("/").split("/") if s]
    parts = [r"[^/]+" if re.fullmatch(r"\{[^{}]+\}", s) else re.escape(s) for s in segments]
    rank = tuple(0 if re.fullmatch(r"\{[^{}]+\}", s) else 1 for s in segments)
    return _Template(template, re.compile("/" + "/".join(parts) if parts else "/"), rank)


@lru_cache(maxsize=8)
def _load(path: str, strict: bool) -> _Spec:
    try:
        raw = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise AssertionError(f"cannot read the OpenAPI document at {path}: {exc}") from exc
    document: dict[str, Any] = json.loads(raw)
    convert_nullable(document)
    if not strict:
        apply_overlay(document)
    resource: Resource[Any] = DRAFT202012.create_resource(document)
    registry: Registry[Any] = Registry().with_resource(SPEC_URI, resource)
    templates = [_compile_template(t) for t in document.get("paths", {})]
    return _Spec(document, registry, templates)


def clear_cache() -> None:
    """Forget loaded documents and compiled validators (after editing or swapping the spec file)."""
    _load.cache_clear()


def _spec(strict: bool) -> _Spec:
    return _load(str(spec_path()), strict)


def _relative_path(path: str) -> str:
    """``"/api/emails/abc?x=1"`` or ``"http://h/api/emails/abc"`` -> ``"/emails/abc"``."""
    path = urlsplit(path).path or "/"
    if path == API_PREFIX or path.startswith(API_PREFIX + "/"):
        path = path[len(API_PREFIX) :] or "/"
    if not path.startswith("/"):
        path = "/" + path
    if len(path) > 1:
        path = path.rstrip("/") or "/"
    return path


def _match_template(spec: _Spec, path: str) -> str | None:
    """The documented template for ``path``; literal segments beat ``{params}`` (OpenAPI rule)."""
    candidates = [t for t in spec.templates if t.pattern.fullmatch(path)]
    if not candidates:
        return None
    return max(candidates, key=lambda t: t.rank).template


def find_operation(method: str, path: str, *, strict: bool = False) -> Operation:
    """The operation that serves ``METHOD path``, e.g. ``find_operation("GET", "/api/templates/html")``.

    Raises AssertionError naming the path when the spec has no such path or method.
    """
    spec = _spec(strict)
    relative = _relative_path(path)
    template = _match_template(spec, relative)
    if template is None:
        raise AssertionError(f"{method.upper()} {path}: no path in the OpenAPI document matches {relative!r}")
    item = spec.document["paths"][template]
    operation = item.get(method.lower())
    if not isinstance(operation, dict):
        documented = sorted(m.upper() for m in item if m in HTTP_METHODS)
        raise AssertionError(
            f"{method.upper()} {path}: the OpenAPI document has {template!r} but not {method.upper()} "
            f"(documented: {', '.join(documented) or 'none'})"
        )
    return Operation(
        method=method.upper(),
        template=template,
        operation_id=str(operation.get("operationId", "")),
        statuses=tuple(str(s) for s in operation.get("responses", {})),
    )


def _escape(segment: str) -> str:
    return segment.replace("~", "~0").replace("/", "~1")


def _resolve_response(spec: _Spec, response: Any, pointer: str) -> tuple[dict[str, Any], str]:
    """Follow ``$ref``s between Response objects; returns the object and its JSON pointer."""
    seen: set[str] = set()
    while isinstance(response, dict) and isinstance(response.get("$ref"), str):
        ref: str = response["$ref"]
        if not ref.startswith("#/") or ref in seen:
            raise AssertionError(f"cannot follow response reference {ref!r}")
        seen.add(ref)
        pointer = ref[1:]
        node: Any = spec.document
        for raw in pointer[1:].split("/"):
            key = raw.replace("~1", "/").replace("~0", "~")
            if not isinstance(node, dict) or key not in node:
                raise AssertionError(f"response reference {ref!r} points nowhere")
            node = node[key]
        response = node
    if not isinstance(response, dict):
        raise AssertionError(f"malformed response object at {pointer}")
    return response, pointer


def _pick_status(responses: Mapping[str, Any], status: int) -> str | None:
    for key in (str(status), f"{status // 100}XX", f"{status // 100}xx", "default"):
        if key in responses:
            return key
    return None


def _json_media_type(content: Mapping[str, Any]) -> str | None:
    if "application/json" in content:
        return "application/json"
    return next((m for m in content if "json" in m.lower()), None)


def _validator(spec: _Spec, pointer: str) -> Any:
    validator = spec.validators.get(pointer)
    if validator is None:
        validator = Draft202012Validator({"$ref": f"{SPEC_URI}#{pointer}"}, registry=spec.registry)
        spec.validators[pointer] = validator
    return validator


def _shorten(body: Any) -> str:
    text = json.dumps(body, default=str, sort_keys=True)
    return text if len(text) <= _MAX_BODY_SHOWN else text[:_MAX_BODY_SHOWN] + "..."


def _clip(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


def _discriminator(error: ValidationError) -> tuple[str, Any, dict[str, str]] | None:
    """(property name, the body's value, mapping) for a failed ``oneOf`` that has a ``discriminator``."""
    schema = error.schema
    if error.validator != "oneOf" or not isinstance(schema, dict) or not isinstance(error.instance, dict):
        return None
    discriminator = schema.get("discriminator")
    if not isinstance(discriminator, dict) or not isinstance(discriminator.get("propertyName"), str):
        return None
    name: str = discriminator["propertyName"]
    mapping = discriminator.get("mapping") or {}
    return name, error.instance.get(name), mapping if isinstance(mapping, dict) else {}


def _leaves(error: ValidationError) -> list[ValidationError]:
    """The innermost errors worth showing: the discriminated branch's, else jsonschema's best match."""
    if not error.context:
        return [error]
    found = _discriminator(error)
    if found is not None:
        _, value, mapping = found
        target = mapping.get(value) if isinstance(value, str) else None
        branches = error.schema.get("oneOf", [])
        index = next((i for i, b in enumerate(branches) if isinstance(b, dict) and b.get("$ref") == target), None)
        chosen = [c for c in error.context if c.relative_schema_path and c.relative_schema_path[0] == index]
        if target is not None and chosen:
            return [leaf for c in chosen for leaf in _leaves(c)]
    best = best_match([error])
    return [best] if best is not None else [error]


def _message(error: ValidationError) -> str:
    if error.validator in ("oneOf", "anyOf"):
        found = _discriminator(error)
        if found is not None and found[1] not in found[2]:
            name, value, mapping = found
            return f"{name} {value!r} is not one of {sorted(mapping)}"
        if "is valid under each of" in error.message:
            return f"matches more than one {error.validator} branch"
        return f"matches none of the {error.validator} branches"
    return _clip(error.message)


def _describe(error: ValidationError) -> str:
    leaves = _leaves(error)
    parts = "; ".join(f"at {leaf.json_path}: {_message(leaf)}" for leaf in leaves[:3])
    if leaves[0] is error:
        return parts
    return f"at {error.json_path}: no {error.validator} branch matched; closest: {parts}"


def validate_response(method: str, path: str, status: int, body: Any, *, strict: bool = False) -> None:
    """Assert that ``body`` is what the spec documents for ``METHOD path`` answering ``status``.

    ``path`` is the request path, with or without the ``/api`` prefix and query string
    (``"/api/emails/abc123"``, ``"/emails?per_page=5"``). ``body`` is the decoded JSON, or None
    for no body (a JSON ``null`` body is indistinguishable, and no Lettr response is one).

        validate_response("POST", "/api/emails", 200, {"message": "ok", "data": {...}})

    Raises AssertionError naming the path, status and the failing JSON path.
    """
    spec = _spec(strict)
    operation = find_operation(method, path, strict=strict)
    label = f"{operation.method} {path} ({operation.operation_id or operation.template}) -> {status}"
    op_pointer = f"/paths/{_escape(operation.template)}/{method.lower()}"
    responses = spec.document["paths"][operation.template][method.lower()].get("responses", {})
    key = _pick_status(responses, status)
    if key is None:
        raise AssertionError(
            f"{label}: status {status} is not documented for this operation "
            f"(documented: {', '.join(operation.statuses) or 'none'})"
        )
    response, pointer = _resolve_response(spec, responses[key], f"{op_pointer}/responses/{_escape(key)}")
    content = response.get("content") or {}
    if not content:
        if body is not None and body != b"" and body != "":
            raise AssertionError(f"{label}: the spec documents no body, got {_shorten(body)}")
        return
    media = _json_media_type(content)
    if media is None:
        raise AssertionError(f"{label}: the spec documents no JSON body (media types: {', '.join(content)})")
    if body is None:
        raise AssertionError(f"{label}: expected a JSON body ({media}), got none")
    media_object = content[media]
    if not isinstance(media_object, dict) or "schema" not in media_object:
        return  # the spec shows an example but no schema: any JSON body conforms
    validator = _validator(spec, f"{pointer}/content/{_escape(media)}/schema")
    errors = sorted(validator.iter_errors(body), key=lambda e: (e.json_path, str(e.validator)))
    if not errors:
        return
    shown = "\n  ".join(_describe(e) for e in errors[:_MAX_ERRORS_SHOWN])
    more = f"\n  (+{len(errors) - _MAX_ERRORS_SHOWN} more)" if len(errors) > _MAX_ERRORS_SHOWN else ""
    raise AssertionError(
        f"{label}: body does not match the spec{' (strict)' if strict else ''}:\n  {shown}{more}\n"
        f"body: {_shorten(body)}"
    )


class _Request(Protocol):
    method: str

    @property
    def url(self) -> Any: ...


class HTTPResponse(Protocol):
    """What :func:`validate_httpx_response` reads: an ``httpx.Response`` or ``requests.Response``."""

    @property
    def status_code(self) -> int: ...

    @property
    def content(self) -> bytes: ...

    @property
    def headers(self) -> Any: ...

    @property
    def request(self) -> Any: ...


def validate_httpx_response(response: HTTPResponse, *, strict: bool = False) -> None:
    """:func:`validate_response` for an ``httpx.Response`` (or ``requests.Response``).

        validate_httpx_response(client.get("/api/domains"))

    Also asserts a JSON ``Content-Type`` whenever there is a body.
    """
    request: _Request = response.request
    path = urlsplit(str(request.url)).path
    raw = response.content
    body: Any = None
    if raw:
        content_type = str(response.headers.get("content-type", ""))
        label = f"{request.method} {path} -> {response.status_code}"
        if "json" not in content_type.lower():
            raise AssertionError(f"{label}: Content-Type {content_type!r} is not JSON; body: {raw[:200]!r}")
        try:
            body = json.loads(raw)
        except ValueError as exc:
            raise AssertionError(f"{label}: body is not valid JSON ({exc}): {raw[:200]!r}") from exc
    validate_response(request.method, path, response.status_code, body, strict=strict)


__all__ = [
    "API_PREFIX",
    "OVERLAY_ERROR_CODES",
    "SPEC_ENV_VAR",
    "SPEC_PATH",
    "HTTPResponse",
    "Operation",
    "apply_overlay",
    "clear_cache",
    "convert_nullable",
    "find_operation",
    "spec_path",
    "validate_httpx_response",
    "validate_response",
]
