"""The control API under ``/_lettr``: what a test suite in any language needs and Lettr's API has
not — accounts, reset, the clock, keys of every kind, the whole outbox, events, webhook deliveries
and faults. It is one more intake: it parses its JSON, checks the caller, calls one operation of
the account, and answers in v1's error envelope (``{"error": {"code", "message"}}``).

Every call but ``POST /_lettr/accounts`` and ``GET /_lettr/openapi.json`` carries an account's
full-access key as ``Authorization: Bearer`` and acts on that account. A server started with a
control token also wants ``X-Lettr-Control-Token`` on every call.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from werkzeug.exceptions import MethodNotAllowed
from werkzeug.exceptions import NotFound as RouteNotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from .. import access, errors
from ..dialects.base import bearer_token, client_ip, json_response, parse_json_object
from ..dialects.v1.wire import error_response
from ..permissions import allows
from ..state import Account
from ..state.audit import Actor
from ..state.emails import clear_outbox, delete_email
from ..state.lifecycle import simulate
from ..state.team import PLANS
from . import render
from .faults import add_fault
from .openapi import document
from .registry import AccountRegistry

if TYPE_CHECKING:
    from ..faults import Faults

PREFIX = "/_lettr"
#: The header that carries the control token of a server started with one.
TOKEN_HEADER = "X-Lettr-Control-Token"
#: ``mode`` of ``POST /_lettr/keys`` → the key store's mode.
KEY_MODES = {"v1": "live", "live": "live", "test": "test", "api": "api", "sandbox": "sandbox"}


@dataclass
class ControlCall:
    """One control request, once its caller is known."""

    request: Request
    body: dict[str, Any]
    args: dict[str, Any]
    account_id: str
    account: Account
    actor: Actor


Handler = Callable[["ControlAPI", ControlCall], Response]


class ControlAPI:
    """Serves ``/_lettr/...`` for a server's accounts and faults."""

    def __init__(self, accounts: AccountRegistry, faults: Faults, *, base_url: Callable[[], str],
                 control_token: str | None = None, trust_forwarded_for: bool = False) -> None:
        self.accounts = accounts
        self.faults = faults
        self.base_url = base_url
        self.control_token = control_token
        self.trust_forwarded_for = trust_forwarded_for

    def handle(self, request: Request) -> Response:
        try:
            self._check_control_token(request)
            endpoint, args = _ROUTES.bind("localhost").match(request.path, method=request.method)
            handler, needs_key = _HANDLERS[endpoint]
            call = self._call(request, dict(args), needs_key)
            return handler(self, call)
        except errors.LettrError as error:
            return error_response(error)
        except ValueError as error:  # an operation refused the arguments (an unknown event type, ...)
            return error_response(errors.InvalidParameter(str(error)))
        except MethodNotAllowed:
            return error_response(errors.MethodNotAllowed(f"{request.method} is not allowed on {request.path}"))
        except RouteNotFound:
            return error_response(errors.NotFound(f"No such control endpoint: {request.method} {request.path}"))

    def _check_control_token(self, request: Request) -> None:
        if self.control_token is None:
            return
        given = request.headers.get(TOKEN_HEADER, "")
        if not hmac.compare_digest(given.encode("utf-8", "surrogatepass"), self.control_token.encode()):
            raise errors.Unauthorized(f"Control calls to this server need the {TOKEN_HEADER} header")

    def _call(self, request: Request, args: dict[str, Any], needs_key: bool) -> ControlCall:
        body = parse_json_object(request) if request.method in ("POST", "PUT", "PATCH") else {}
        ip = client_ip(request, self.trust_forwarded_for)
        if not needs_key:
            default_id, default = next(iter(self.accounts))
            return ControlCall(request, body, args, default_id, default, access.anonymous(ip))
        token = bearer_token(request)
        found = self.accounts.find(token)
        if found is None:
            raise errors.Unauthorized("Control calls need an account's admin key as 'Authorization: Bearer <key>'")
        account_id, account = found
        granted = access.authorize(account, token, client_ip=ip, permission=None,
                                   user_agent=request.headers.get("User-Agent"),
                                   context={"method": request.method, "path": request.path})
        if not allows(granted.key.permissions, "*"):
            raise errors.Forbidden("Control calls need a full-access key (permission '*')",
                                   required_permission="*")
        account.tick()
        return ControlCall(request, body, args, account_id, account, granted.actor)

    # -- handlers -----------------------------------------------------------------------------------
    def openapi(self, call: ControlCall) -> Response:
        return json_response(200, document(self.base_url()))

    def create_account(self, call: ControlCall) -> Response:
        options = _account_options(call.body)
        account_id, account = self.accounts.create(**options)
        return json_response(201, self._account_body(account_id, account))

    def _account_body(self, account_id: str, account: Account) -> dict[str, Any]:
        base = self.base_url()
        return {"id": account_id, "admin_key": account.admin_key.key, "admin_key_id": account.admin_key.id,
                "owner_email": account.owner.email, "plan": account.settings.plan,
                "now": render.iso(account.clock.now()), "api_url": base + "/api", "v1_url": base + "/v1"}

    def show_account(self, call: ControlCall) -> Response:
        account = call.account
        return json_response(200, {"id": call.account_id, "owner_email": account.owner.email,
                                   "plan": account.settings.plan, "now": render.iso(account.clock.now()),
                                   "emails": len(account.outbox), "keys": len(account.keys.active())})

    def delete_account(self, call: ControlCall) -> Response:
        self.accounts.delete(call.account_id)
        return Response(status=204)

    def reset(self, call: ControlCall) -> Response:
        fresh = self.accounts.reset(call.account_id)
        return json_response(200, self._account_body(call.account_id, fresh))

    def show_clock(self, call: ControlCall) -> Response:
        return json_response(200, _clock_body(call.account))

    def move_clock(self, call: ControlCall) -> Response:
        clock, body = call.account.clock, call.body
        if "advance_seconds" in body:
            seconds = body["advance_seconds"]
            if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds < 0:
                raise errors.InvalidParameter("advance_seconds must be a number of seconds, 0 or more",
                                              param="advance_seconds")
            clock.advance(seconds=seconds)
        elif "now" in body:
            clock.set(_moment(body["now"]), frozen=bool(body.get("frozen", False)))
        else:
            raise errors.MissingParameter("Give advance_seconds or now", param="advance_seconds")
        return json_response(200, _clock_body(call.account))

    def create_key(self, call: ControlCall) -> Response:
        from ..permissions import parse_ip_restrictions, validate_permissions

        body = call.body
        mode = body.get("mode", "v1")
        if mode not in KEY_MODES:
            raise errors.InvalidParameter(f"mode must be one of {', '.join(KEY_MODES)}", param="mode")
        name = body.get("name", "Control key")
        permissions = body.get("permissions", ["*"])
        if not isinstance(name, str) or not name.strip():
            raise errors.InvalidParameter("name must be a non-empty string", param="name")
        if not isinstance(permissions, list) or not all(isinstance(p, str) for p in permissions):
            raise errors.InvalidParameter("permissions must be a list of strings", param="permissions")
        ips = body.get("ip_restrictions", [])
        if not isinstance(ips, list) or not all(isinstance(p, str) for p in ips):
            raise errors.InvalidParameter("ip_restrictions must be a list of strings", param="ip_restrictions")
        account = call.account
        created = account.keys.create(name, validate_permissions(permissions), mode=KEY_MODES[mode],
                                      ip_restrictions=parse_ip_restrictions(ips), owner_email=account.owner.email,
                                      actor=call.actor)
        return json_response(201, render.created_key(created, mode))

    def list_emails(self, call: ControlCall) -> Response:
        items = [render.email(e) for e in call.account.outbox]
        return json_response(200, {"data": items, "count": len(items)})

    def show_email(self, call: ControlCall) -> Response:
        return json_response(200, render.email(call.account.outbox.get(call.args["email_id"])))

    def clear_emails(self, call: ControlCall) -> Response:
        return json_response(200, {"deleted": clear_outbox(call.account, call.actor)})

    def delete_email(self, call: ControlCall) -> Response:
        delete_email(call.account, call.actor, call.args["email_id"])
        return Response(status=204)

    def add_event(self, call: ControlCall) -> Response:
        details = dict(call.body)
        kind = details.pop("type", None)
        if not isinstance(kind, str) or not kind:
            raise errors.MissingParameter("type is required: an event type such as 'delivery' or 'bounce'",
                                          param="type")
        happened = simulate(call.account, call.args["email_id"], kind, **details)
        return json_response(201, render.event(happened))

    def list_deliveries(self, call: ControlCall) -> Response:
        items = [render.delivery(d) for d in call.account.delivery_engine.deliveries]
        return json_response(200, {"data": items, "count": len(items)})

    def list_faults(self, call: ControlCall) -> Response:
        items = [render.fault(f) for f in self.faults]
        return json_response(200, {"data": items, "count": len(items)})

    def add_fault(self, call: ControlCall) -> Response:
        return json_response(201, render.fault(add_fault(self.faults, call.body)))

    def clear_faults(self, call: ControlCall) -> Response:
        count = len(self.faults)
        self.faults.clear()
        return json_response(200, {"deleted": count})

    def remove_fault(self, call: ControlCall) -> Response:
        number = call.args["fault_id"]
        found = next((f for f in self.faults if f.number == number), None)
        if found is None:
            raise errors.NotFound(f"Fault '{number}' not found")
        found.remove()
        return Response(status=204)


def _clock_body(account: Account) -> dict[str, Any]:
    return {"now": render.iso(account.clock.now())}


def _moment(value: Any) -> datetime:
    if not isinstance(value, str):
        raise errors.InvalidParameter("now must be an ISO 8601 date-time", param="now")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise errors.InvalidParameter("now must be an ISO 8601 date-time", param="now") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


#: What ``POST /_lettr/accounts`` accepts, with the type each must have.
_ACCOUNT_OPTIONS: dict[str, type | tuple[type, ...]] = {
    "plan": str, "strict_domains": bool, "domains": list, "owner_email": str, "sensitive_data": str}


def _account_options(body: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(body) - set(_ACCOUNT_OPTIONS))
    if unknown:
        raise errors.InvalidParameter(f"Unknown account option: {unknown[0]}", param=unknown[0])
    for name, value in body.items():
        if not isinstance(value, _ACCOUNT_OPTIONS[name]):
            raise errors.InvalidParameter(f"{name} has the wrong type", param=name)
    if "domains" in body and not all(isinstance(d, str) for d in body["domains"]):
        raise errors.InvalidParameter("domains must be a list of domain names", param="domains")
    if "plan" in body and body["plan"] not in PLANS:
        raise errors.InvalidParameter(f"Unknown plan '{body['plan']}'", param="plan")
    if body.get("sensitive_data") not in (None, "warn", "error", "off"):
        raise errors.InvalidParameter("sensitive_data must be warn, error or off", param="sensitive_data")
    return dict(body)


#: endpoint → (handler, whether the call needs an account's key)
_HANDLERS: dict[str, tuple[Handler, bool]] = {
    "openapi": (ControlAPI.openapi, False),
    "create_account": (ControlAPI.create_account, False),
    "show_account": (ControlAPI.show_account, True),
    "delete_account": (ControlAPI.delete_account, True),
    "reset": (ControlAPI.reset, True),
    "show_clock": (ControlAPI.show_clock, True),
    "move_clock": (ControlAPI.move_clock, True),
    "create_key": (ControlAPI.create_key, True),
    "list_emails": (ControlAPI.list_emails, True),
    "clear_emails": (ControlAPI.clear_emails, True),
    "show_email": (ControlAPI.show_email, True),
    "delete_email": (ControlAPI.delete_email, True),
    "add_event": (ControlAPI.add_event, True),
    "list_deliveries": (ControlAPI.list_deliveries, True),
    "list_faults": (ControlAPI.list_faults, True),
    "add_fault": (ControlAPI.add_fault, True),
    "clear_faults": (ControlAPI.clear_faults, True),
    "remove_fault": (ControlAPI.remove_fault, True),
}

_ROUTES = Map([
    Rule(f"{PREFIX}/openapi.json", methods=["GET"], endpoint="openapi"),
    Rule(f"{PREFIX}/accounts", methods=["POST"], endpoint="create_account"),
    Rule(f"{PREFIX}/account", methods=["GET"], endpoint="show_account"),
    Rule(f"{PREFIX}/account", methods=["DELETE"], endpoint="delete_account"),
    Rule(f"{PREFIX}/reset", methods=["POST"], endpoint="reset"),
    Rule(f"{PREFIX}/clock", methods=["GET"], endpoint="show_clock"),
    Rule(f"{PREFIX}/clock", methods=["POST"], endpoint="move_clock"),
    Rule(f"{PREFIX}/keys", methods=["POST"], endpoint="create_key"),
    Rule(f"{PREFIX}/emails", methods=["GET"], endpoint="list_emails"),
    Rule(f"{PREFIX}/emails", methods=["DELETE"], endpoint="clear_emails"),
    Rule(f"{PREFIX}/emails/<email_id>", methods=["GET"], endpoint="show_email"),
    Rule(f"{PREFIX}/emails/<email_id>", methods=["DELETE"], endpoint="delete_email"),
    Rule(f"{PREFIX}/emails/<email_id>/events", methods=["POST"], endpoint="add_event"),
    Rule(f"{PREFIX}/deliveries", methods=["GET"], endpoint="list_deliveries"),
    Rule(f"{PREFIX}/faults", methods=["GET"], endpoint="list_faults"),
    Rule(f"{PREFIX}/faults", methods=["POST"], endpoint="add_fault"),
    Rule(f"{PREFIX}/faults", methods=["DELETE"], endpoint="clear_faults"),
    Rule(f"{PREFIX}/faults/<int:fault_id>", methods=["DELETE"], endpoint="remove_fault"),
], strict_slashes=False)


def owns(path: str) -> bool:
    """Whether ``path`` is the control API's."""
    return path == PREFIX or path.startswith(PREFIX + "/")


__all__ = ["KEY_MODES", "PREFIX", "TOKEN_HEADER", "ControlAPI", "owns"]
