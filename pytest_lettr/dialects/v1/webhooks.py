"""v1 webhooks: ``/v1/webhooks``, secret rotation, test events, deliveries and retries (§9)."""

from __future__ import annotations

from typing import Any

from ...clock import isoformat_or_none as ts
from ...state.webhooks import STATUSES, Webhook, WebhookStore
from ...webhooks.delivery import Delivery
from ..base import Call, Reply, Route
from .listing import list_reply, query_choice
from .validation import check_int, check_string, optional, require, require_string
from .wire import state_params

DESCRIPTION_MAX = 500
MAX_SECRET_OVERLAP = 30 * 24 * 3600


def render_webhook(webhook: Webhook, secret: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": webhook.id,
        "object": "webhook",
        "url": webhook.url,
        "events": list(webhook.events),
        "description": webhook.description,
        "status": webhook.status,
        "lastDeliveryAt": ts(webhook.last_delivery_at),
        "lastDeliveryStatus": webhook.last_delivery_status,
        "failureCount": webhook.failure_count,
        "createdAt": ts(webhook.created_at),
    }
    if secret is not None:
        body["secret"] = secret
    return body


def render_delivery(delivery: Delivery) -> dict[str, Any]:
    return {
        "id": delivery.id,
        "object": "webhook_delivery",
        "eventId": delivery.event_id,
        "eventType": delivery.event_type,
        "status": delivery.status,
        "attempts": delivery.attempt_count,
        "responseCode": delivery.response_code,
        "nextRetryAt": ts(delivery.next_retry_at),
        "createdAt": ts(delivery.created_at),
    }


def _store(call: Call) -> WebhookStore:
    return call.account.webhooks


def _description(value: Any, param: str) -> str:
    return check_string(value, param, max_length=DESCRIPTION_MAX)


def create_webhook(call: Call) -> Reply:
    body = call.json()
    url = require_string(body, "url")
    events = require(body, "events")
    description = optional(body, "description", _description)
    webhook, secret = _store(call).create(url, events, description, actor=call.actor)
    return Reply(201, render_webhook(webhook, secret))


def list_webhooks(call: Call) -> Reply:
    status = query_choice(call, "status", STATUSES)
    store = _store(call)
    return list_reply(call, store.all(status), render_webhook, all_ids=[w.id for w in store.all()])


def get_webhook(call: Call) -> Reply:
    return Reply(200, render_webhook(_store(call).get(call.args["webhook_id"])))


def update_webhook(call: Call) -> Reply:
    store = _store(call)
    webhook_id = call.args["webhook_id"]
    store.get(webhook_id)
    body = call.json()
    changes: dict[str, Any] = {}
    if "url" in body:
        changes["url"] = body["url"]
    if "events" in body:
        changes["events"] = body["events"]
    if "description" in body:
        changes["description"] = None if body["description"] is None else \
            _description(body["description"], "description")
    if "status" in body:
        changes["status"] = body["status"]
    webhook, _ = store.update(webhook_id, actor=call.actor, **changes)
    return Reply(200, render_webhook(webhook))


def delete_webhook(call: Call) -> Reply:
    webhook = _store(call).delete(call.args["webhook_id"], actor=call.actor)
    return Reply(200, {"id": webhook.id, "object": "webhook", "deleted": True})


def rotate_secret(call: Call) -> Reply:
    store = _store(call)
    webhook_id = call.args["webhook_id"]
    store.get(webhook_id)
    overlap = optional(call.json(), "expiresOldSecretIn",
                       lambda v, p: check_int(v, p, minimum=0, maximum=MAX_SECRET_OVERLAP), default=0) or 0
    webhook, secret = store.rotate_secret(webhook_id, overlap, actor=call.actor)
    return Reply(200, render_webhook(webhook, secret))


def test_webhook(call: Call) -> Reply:
    store = _store(call)
    webhook_id = call.args["webhook_id"]
    store.get(webhook_id)
    event_type = require_string(call.json(), "eventType", max_length=100)
    with state_params():
        return Reply(200, render_delivery(store.send_test(webhook_id, event_type)))


def list_deliveries(call: Call) -> Reply:
    store = _store(call)
    webhook_id = call.args["webhook_id"]
    store.get(webhook_id)
    return list_reply(call, store.deliveries(webhook_id), render_delivery)


def retry_delivery(call: Call) -> Reply:
    store = _store(call)
    webhook_id = call.args["webhook_id"]
    store.get(webhook_id)
    with state_params():
        return Reply(200, render_delivery(store.retry(webhook_id, call.args["delivery_id"])))


ROUTES = [
    Route("POST", "/webhooks", create_webhook, "webhooks:create", secret_field="secret"),
    Route("GET", "/webhooks", list_webhooks, "webhooks:read"),
    Route("GET", "/webhooks/<webhook_id>", get_webhook, "webhooks:read"),
    Route("PATCH", "/webhooks/<webhook_id>", update_webhook, "webhooks:update"),
    Route("DELETE", "/webhooks/<webhook_id>", delete_webhook, "webhooks:delete"),
    Route("POST", "/webhooks/<webhook_id>/rotate-secret", rotate_secret, "webhooks:update",
          secret_field="secret"),
    Route("POST", "/webhooks/<webhook_id>/test", test_webhook, "webhooks:update"),
    Route("GET", "/webhooks/<webhook_id>/deliveries", list_deliveries, "webhooks:read"),
    Route("POST", "/webhooks/<webhook_id>/deliveries/<delivery_id>/retry", retry_delivery, "webhooks:update"),
]
