"""``/api/webhooks``: list, create, get, update (PUT), delete; and what a delivery carries.

A delivery is a POST of a JSON array holding one ``EmailEvent`` (the shape ``GET
/api/emails/events`` shows), with ``Lettr-Event-Type: message.delivery`` (etc.) and the webhook's
credentials: ``Authorization: Basic …`` or ``Authorization: Bearer <OAuth2 token>``. Sandbox
emails (their own subaccount at Lettr) are not delivered.
"""

from __future__ import annotations

from typing import Any

from ... import errors
from ...clock import isoformat_or_none as ts
from ...state.api_webhooks import (
    AUTH_TYPES,
    CREDENTIALS_OF,
    ApiWebhook,
    credentials_to_resupply,
    normalise_event,
    resupply_message,
)
from ...state.webhooks import check_url
from ..base import Call, Reply, Route
from .validation import Fields
from .wire import ok

CREDENTIALS = ("auth_username", "auth_password", "oauth_client_id", "oauth_client_secret", "oauth_token_url")


def view(webhook: ApiWebhook) -> dict[str, Any]:
    return {
        "id": webhook.id,
        "name": webhook.name,
        "url": webhook.url,
        "enabled": webhook.enabled,
        "event_types": list(webhook.event_types) if webhook.event_types is not None else None,
        "auth_type": webhook.auth_type,
        "has_auth_credentials": webhook.has_auth_credentials,
        "last_successful_at": ts(webhook.last_successful_at),
        "last_failure_at": ts(webhook.last_failure_at),
        "last_status": webhook.last_status,
    }


def _url(fields: Fields, name: str, *, required: bool = False) -> str | None:
    value = fields.url(name, required=required)
    if value is None:
        return None
    sent = fields.body.get(name)  # as sent: Fields.url trims every kind of space, check_url only ASCII ones
    try:
        return check_url(sent if isinstance(sent, str) else value, param=name)
    except errors.InvalidParameter as error:  # the mock's https-or-loopback rule
        fields.add(name, error.message)
        return None


def _events(fields: Fields, *, required: bool) -> list[str] | None:
    if not fields.has("events"):
        if required:
            fields.add("events", "The events field is required when events mode is selected.")
        return None
    value = fields.body["events"]
    if not isinstance(value, list) or not value:
        fields.add("events", "The events field must be an array with at least 1 item.")
        return None
    events: list[str] = []
    for index, item in enumerate(value):
        canonical = normalise_event(item) if isinstance(item, str) else None
        if canonical is None:
            fields.add(f"events.{index}", f"The selected events.{index} is invalid.")
        elif canonical not in events:
            events.append(canonical)
    return events


def _credentials(fields: Fields) -> dict[str, str | None]:
    credentials: dict[str, str | None] = {}
    for name in CREDENTIALS:
        if name == "oauth_token_url":
            credentials[name] = _url(fields, name)
        else:
            credentials[name] = fields.string(name, max_length=255, allow_empty=False)
    return credentials


def _require_credentials(fields: Fields, auth_type: str | None, credentials: dict[str, str | None],
                         webhook: ApiWebhook | None = None, url: str | None = None) -> None:
    keep = webhook is not None and webhook.auth_type == auth_type
    for name in CREDENTIALS_OF.get(auth_type or "", ()):
        if credentials.get(name) is None and not fields.failed(name) and not (keep and getattr(webhook, name)):
            fields.add(name, f"The {name.replace('_', ' ')} field is required when auth type is {auth_type}.")
    if webhook is not None:
        _require_resupplied(fields, webhook, url, auth_type, credentials)


def _require_resupplied(fields: Fields, webhook: ApiWebhook, url: str | None, auth_type: str | None,
                        credentials: dict[str, str | None]) -> None:
    """Stored credentials follow a new URL or token URL only when given again (the state's rule)."""
    for name in credentials_to_resupply(webhook, url=url, auth_type=auth_type, given=credentials):
        if not fields.failed(name):
            fields.add(name, resupply_message(name))


def list_webhooks(call: Call) -> Reply:
    return ok("Webhooks retrieved successfully.", {"webhooks": [view(w) for w in call.account.api_webhooks.all()]})


def create_webhook(call: Call) -> Reply:
    fields = Fields(call.json())
    name = fields.string("name", required=True, max_length=255)
    url = _url(fields, "url", required=True)
    auth_type = fields.choice("auth_type", AUTH_TYPES, required=True)
    mode = fields.choice("events_mode", ("all", "selected"), required=True)
    events = _events(fields, required=mode == "selected")
    credentials = _credentials(fields)
    _require_credentials(fields, auth_type, credentials)
    fields.check()
    assert name is not None and url is not None and auth_type is not None
    webhook = call.account.api_webhooks.create(name, url, auth_type=auth_type, actor=call.actor,
                                               event_types=events if mode == "selected" else None, **credentials)
    return ok("Webhook created successfully.", view(webhook), status=201)


def get_webhook(call: Call) -> Reply:
    return ok("Webhook retrieved successfully.", view(call.account.api_webhooks.get(call.args["webhook_id"])))


def update_webhook(call: Call) -> Reply:
    store = call.account.api_webhooks
    webhook = store.get(call.args["webhook_id"])
    fields = Fields(call.json())
    name = fields.string("name", max_length=255, allow_empty=False)
    url = _url(fields, "url")
    if url is None and not fields.failed("url"):
        url = _url(fields, "target")
    auth_type = fields.choice("auth_type", AUTH_TYPES)
    events = _events(fields, required=False)
    enabled = fields.boolean("active")
    credentials = _credentials(fields)
    _require_credentials(fields, auth_type, credentials, webhook, url)
    fields.check()
    store.update(webhook.id, name=name, url=url, auth_type=auth_type, event_types=events, enabled=enabled,
                 actor=call.actor, **credentials)
    return ok("Webhook updated successfully.", view(webhook))


def delete_webhook(call: Call) -> Reply:
    call.account.api_webhooks.delete(call.args["webhook_id"], actor=call.actor)
    return Reply(200, {"message": "Webhook deleted successfully."})


ROUTES = [
    Route("GET", "/webhooks", list_webhooks, "webhooks:read", scope="webhooks:read"),
    Route("POST", "/webhooks", create_webhook, "webhooks:create", scope="webhooks:write", write=True),
    Route("GET", "/webhooks/<webhook_id>", get_webhook, "webhooks:read", scope="webhooks:read"),
    Route("PUT", "/webhooks/<webhook_id>", update_webhook, "webhooks:update", scope="webhooks:write", write=True),
    Route("DELETE", "/webhooks/<webhook_id>", delete_webhook, "webhooks:delete", scope="webhooks:write",
          write=True),
]
