"""The OpenAPI 3.1 document of the control API, served at ``GET /_lettr/openapi.json``."""

from __future__ import annotations

from typing import Any

_OBJ: dict[str, Any] = {"type": "object"}
_ERROR = {"$ref": "#/components/schemas/Error"}


def _op(summary: str, status: str, *, body: dict[str, Any] | None = None, key: bool = True,
        result: dict[str, Any] | None = None) -> dict[str, Any]:
    """One operation: what it does, its success status and schema, its request body if any."""
    success = {"description": summary}
    if status != "204":
        success["content"] = {"application/json": {"schema": result or _OBJ}}  # type: ignore[assignment]
    responses: dict[str, Any] = {status: success, "4XX": {"description": "Refused",
                                                          "content": {"application/json": {"schema": _ERROR}}}}
    operation: dict[str, Any] = {"summary": summary, "responses": responses}
    if body is not None:
        operation["requestBody"] = {"required": False, "content": {"application/json": {"schema": body}}}
    operation["security"] = [{"adminKey": [], "controlToken": []}] if key else [{"controlToken": []}, {}]
    return operation


def _props(**types: str) -> dict[str, Any]:
    return {"type": "object", "additionalProperties": False,
            "properties": {name: {"type": kind} for name, kind in types.items()}}


_ACCOUNT = _props(id="string", admin_key="string", admin_key_id="string", owner_email="string", plan="string",
                  now="string", api_url="string", v1_url="string")
_NEW_ACCOUNT = _props(plan="string", strict_domains="boolean", owner_email="string", sensitive_data="string")
_NEW_ACCOUNT["properties"]["domains"] = {"type": "array", "items": {"type": "string"}}
_EMAIL_ID = [{"name": "email_id", "in": "path", "required": True, "schema": {"type": "string"}}]
_FAULT = _props(method="string", path="string", dialect="string", status="integer", retry_after="integer",
                delay="number", drop="boolean", truncate="boolean", after_commit="boolean", times="integer",
                probability="number", after="integer")
_LIST = {"type": "object", "properties": {"data": {"type": "array", "items": _OBJ}, "count": {"type": "integer"}}}

_PATHS: dict[str, Any] = {
    "/_lettr/openapi.json": {"get": _op("This document", "200", key=False)},
    "/_lettr/accounts": {"post": _op("Create an isolated account", "201", key=False, result=_ACCOUNT,
                                     body=_NEW_ACCOUNT)},
    "/_lettr/account": {"get": _op("The caller's account", "200"),
                        "delete": _op("Delete the caller's (created) account", "204")},
    "/_lettr/reset": {"post": _op("Empty the account; its id and admin key stay", "200", result=_ACCOUNT)},
    "/_lettr/clock": {"get": _op("The account's time", "200", result=_props(now="string")),
                      "post": _op("Move the account's clock", "200", result=_props(now="string"),
                                  body=_props(advance_seconds="number", now="string", frozen="boolean"))},
    "/_lettr/keys": {"post": _op("Mint a key (mode v1, test, api or sandbox)", "201", body={
        "type": "object", "properties": {"name": {"type": "string"},
                                         "permissions": {"type": "array", "items": {"type": "string"}},
                                         "ip_restrictions": {"type": "array", "items": {"type": "string"}},
                                         "mode": {"enum": ["v1", "live", "test", "api", "sandbox"]}}},
        result=_props(id="string", key="string", name="string", mode="string", created_at="string"))},
    "/_lettr/emails": {"get": _op("Every stored email, bodies and attachments included", "200", result=_LIST),
                       "delete": _op("Forget every stored email", "200", result=_props(deleted="integer"))},
    "/_lettr/emails/{email_id}": {"parameters": _EMAIL_ID, "get": _op("One stored email", "200"),
                                  "delete": _op("Forget one stored email", "204")},
    "/_lettr/emails/{email_id}/events": {"parameters": _EMAIL_ID, "post": _op(
        "Make an event happen to an email (type plus its details)", "201",
        body={"type": "object", "required": ["type"], "properties": {"type": {"type": "string"}}})},
    "/_lettr/deliveries": {"get": _op("Webhook deliveries with every attempt's request and response", "200",
                                      result=_LIST)},
    "/_lettr/faults": {"get": _op("The server's faults", "200", result=_LIST),
                       "post": _op("Add a fault", "201", body=_FAULT),
                       "delete": _op("Remove every fault", "200", result=_props(deleted="integer"))},
    "/_lettr/faults/{fault_id}": {
        "parameters": [{"name": "fault_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
        "delete": _op("Remove one fault", "204")},
}


def document(server_url: str) -> dict[str, Any]:
    """The document, with this server as its ``servers`` entry."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "pytest-lettr control API", "version": "1",
                 "description": "Drive the fake Lettr from any test suite: accounts, clock, keys, outbox, "
                                "events, webhook deliveries and faults."},
        "servers": [{"url": server_url}],
        "paths": _PATHS,
        "components": {
            "securitySchemes": {
                "adminKey": {"type": "http", "scheme": "bearer", "description": "An account's full-access key"},
                "controlToken": {"type": "apiKey", "in": "header", "name": "X-Lettr-Control-Token"},
            },
            "schemas": {"Error": {"type": "object", "required": ["error"], "properties": {"error": {
                "type": "object", "required": ["code", "message"],
                "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                               "param": {"type": "string"}}}}}},
        },
    }


__all__ = ["document"]
