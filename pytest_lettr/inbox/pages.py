"""The inbox's pages (GET): they read the account and never change it."""

from __future__ import annotations

import json
from collections.abc import Callable
from importlib.resources import files
from urllib.parse import quote

from werkzeug.wrappers import Response

from ..errors import InvalidTransition, NotFound
from ..state.domains import RECORDS
from ..state.emails import Email
from ..state.lifecycle import EVENTS, check_transition, normalise_event, resolve
from .context import Context
from .rendering import matches, mime_source, rendering_checks

#: The lifecycle buttons of an email page: accessible name → the event :func:`simulate` applies.
BUTTONS = {"Deliver": "delivered", "Bounce": "bounced", "Open": "opened", "Click": "clicked",
           "Complain": "complained", "Unsubscribe": "unsubscribed"}
#: How many rows a list page shows at most (seeded history can hold thousands).
PAGE_ROWS = 200
#: The HTML body's policy: nothing loads but inline styles and data: images (remote ones on request);
#: ``sandbox`` makes the document script-less and origin-less even when opened on its own.
BODY_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:{images}; frame-ancestors 'self'; sandbox"
STATIC = {"inbox.css": "text/css", "inbox.js": "text/javascript"}


def emails(context: Context) -> Response:
    query = context.request.args.get("q", "").strip()
    found = [e for e in reversed(list(context.account.outbox)) if not query or matches(e, query)]
    return context.render("emails.html", emails=found[:PAGE_ROWS], total=len(found), query=query)


def version(context: Context) -> Response:
    """A token that changes whenever an email is stored or an event happens (the list polls it)."""
    account = context.account
    body = {"version": f"{id(account):x}.{len(account.outbox)}.{len(account.events)}",
            "emails": len(account.outbox)}
    return Response(json.dumps(body), mimetype="application/json")


def lifecycle_buttons(email: Email) -> list[tuple[str, str, str | None]]:
    """``(label, event, why not)`` for every button; ``why not`` is ``None`` when it may be applied now."""
    buttons: list[tuple[str, str, str | None]] = []
    for label, event in BUTTONS.items():
        if event not in EVENTS:
            continue
        try:
            check_transition(email, resolve(email, normalise_event(event), {}))
        except InvalidTransition as refused:
            buttons.append((label, event, refused.message))
        else:
            buttons.append((label, event, None))
    return buttons


def email(context: Context, email_id: str) -> Response:
    found = context.account.outbox.get(email_id)
    headers, _ = mime_source(found)
    images = context.request.args.get("images") == "1"
    return context.render("email.html", email=found, buttons=lifecycle_buttons(found), headers=headers,
                          checks=rendering_checks(found), images=images, events=list(found.events))


def email_html(context: Context, email_id: str) -> Response:
    found = context.account.outbox.get(email_id)
    images = " https: http:" if context.request.args.get("images") == "1" else ""
    response = Response(found.html or "", mimetype="text/html")
    response.headers["Content-Security-Policy"] = BODY_POLICY.format(images=images)
    return response


def email_source(context: Context, email_id: str) -> Response:
    _, source = mime_source(context.account.outbox.get(email_id))
    return Response(source, mimetype="text/plain")


def attachment(context: Context, email_id: str, index: int) -> Response:
    found = context.account.outbox.get(email_id)
    if not 0 <= index < len(found.attachments):
        raise NotFound(f"Email '{email_id}' has no attachment {index}")
    item = found.attachments[index]
    response = Response(item.content or b"", mimetype="application/octet-stream")
    response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(item.filename, safe='')}"
    return response


def deliveries(context: Context) -> Response:
    shown = list(reversed(context.account.delivery_engine.deliveries))
    return context.render("deliveries.html", deliveries=shown[:PAGE_ROWS], total=len(shown))


def audit(context: Context) -> Response:
    action = context.request.args.get("action", "").strip().lower()
    actor = context.request.args.get("actor", "").strip().lower()
    entries = [e for e in reversed(list(context.account.audit))
               if action in e.action.lower()
               and actor in " ".join(str(v) for v in (e.actor_type, e.actor_id, e.actor_email) if v).lower()]
    return context.render("audit.html", entries=entries[:PAGE_ROWS], total=len(entries), action=action, actor=actor)


def keys(context: Context) -> Response:
    return context.render("keys.html", keys=list(context.account.keys))


def domains(context: Context) -> Response:
    return context.render("domains.html", domains=context.account.domains.all(), records=RECORDS)


def clock(context: Context) -> Response:
    account = context.account
    scheduled = sorted((e for e in account.outbox if e.status == "scheduled"),
                       key=lambda e: e.scheduled_at or e.created_at)
    return context.render("clock.html", scheduled=scheduled, pending=account.delivery_engine.pending())


def static(context: Context, name: str) -> Response:
    if name not in STATIC:
        raise NotFound(f"No such file: {name}")
    data = files("pytest_lettr.inbox").joinpath("static").joinpath(name).read_bytes()
    return Response(data, mimetype=STATIC[name])


HANDLERS: dict[str, Callable[..., Response]] = {
    "emails": emails, "version": version, "email": email, "email_html": email_html,
    "email_source": email_source, "attachment": attachment, "deliveries": deliveries, "audit": audit,
    "keys": keys, "domains": domains, "clock": clock, "static": static}
