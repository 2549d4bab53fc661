"""The pages behind links the fake puts in emails: a double opt-in confirmation, a campaign's
unsubscribe link, and the tracking links of sent emails. A browser (or a test's ``httpx.get``)
opens them with ``GET``; no key is needed.

    GET /lettr/confirm/<token>       302 to the opt-in's redirect_url; 404 page for a used or bad token
    GET /lettr/unsubscribe/<token>   200 page (or 302 to the link's redirect=URL); 404 page if unknown
    GET /lettr/t/o/<token>           the open pixel (1x1 GIF); records the open
    GET /lettr/t/c/<token>           302 to the link's original URL; records the click (or the
                                     unsubscribe of a ``data-msys-unsubscribe`` link)
    GET /lettr/t/l/<token>           a page asking to confirm; POST ``List-Unsubscribe=One-Click``
                                     (RFC 8058) records the list unsubscribe

A ``HEAD`` request (what mail scanners and link checkers send) is answered like a ``GET`` but
records nothing. An unknown token, or one minted for another path, is a 404 page.
"""

from __future__ import annotations

import html

from werkzeug.wrappers import Request, Response

from ..errors import NotFound
from ..state import Account, tracking
from ..state.audience import optin
from ..state.campaigns import UNSUBSCRIBE_PATH

PREFIX = "/lettr/"
#: A transparent 1x1 GIF: what the open pixel answers.
PIXEL = (b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00"
         b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")
_TRACKING_PATHS = (tracking.OPEN_PATH, tracking.CLICK_PATH, tracking.LIST_UNSUBSCRIBE_PATH)
_ONE_CLICK = "List-Unsubscribe=One-Click"


def _page(status: int, title: str, text: str) -> Response:
    body = (f"<!doctype html><html><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title></head>"
            f"<body><h1>{html.escape(title)}</h1><p>{html.escape(text)}</p></body></html>")
    return Response(body, status=status, content_type="text/html; charset=utf-8")


def handle(request: Request, account: Account) -> Response:
    """Serve one link page (``GET`` only); anything else under ``/lettr/`` is a 404 page."""
    path = request.path
    if path.startswith(_TRACKING_PATHS):
        return _tracked(request, account)
    if request.method not in ("GET", "HEAD"):
        return _page(405, "Method not allowed", "Open this link with GET.")
    account.tick()
    try:
        if path.startswith(optin.CONFIRM_PATH):
            target = optin.confirm(account, path.removeprefix(optin.CONFIRM_PATH))
            return Response(status=302, headers={"Location": target})
        if path.startswith(UNSUBSCRIBE_PATH):
            redirect = account.campaigns.unsubscribe(path.removeprefix(UNSUBSCRIBE_PATH))
            if redirect is not None:
                return Response(status=302, headers={"Location": redirect})
            return _page(200, "You have been unsubscribed", "You will no longer receive these emails.")
    except NotFound as error:
        return _page(404, "Link not valid", error.message)
    return _page(404, "Not found", "There is nothing at this address.")


def _tracked(request: Request, account: Account) -> Response:
    """A tracking link: record what it means (not for ``HEAD``), then answer as the recipient expects."""
    base, _, token = request.path.rpartition("/")
    base += "/"
    one_click = base == tracking.LIST_UNSUBSCRIBE_PATH and request.method == "POST"
    refused = _refusal(request, one_click)
    if refused is not None:
        return refused
    account.tick()
    only_looks = request.method == "HEAD" or (base == tracking.LIST_UNSUBSCRIBE_PATH and not one_click)
    try:
        if only_looks:
            link = account.tracking.resolve(base, token)
        else:
            link = tracking.record(account, base, token, **_client(request))
    except NotFound as error:
        return _page(404, "Link not valid", error.message)
    return _answer(request, link, one_click)


def _refusal(request: Request, one_click: bool) -> Response | None:
    """A method the link does not take, or a one-click POST without its documented body."""
    if request.method not in ("GET", "HEAD") and not one_click:
        return _page(405, "Method not allowed", "Open this link with GET.")
    if one_click and request.form.get("List-Unsubscribe") != "One-Click":
        return _page(400, "Bad request", f"A one-click unsubscribe posts {_ONE_CLICK}.")
    return None


def _answer(request: Request, link: tracking.TrackedLink, one_click: bool) -> Response:
    """What the recipient gets: the pixel, the redirect, or a page."""
    if link.kind == "open":
        return Response(PIXEL, status=200, content_type="image/gif",
                        headers={"Cache-Control": "no-store, max-age=0"})
    if link.kind in ("click", "unsubscribe"):
        return Response(status=302, headers={"Location": link.url, "Cache-Control": "no-store"})
    if one_click:
        return _page(200, "You have been unsubscribed", "You will no longer receive these emails.")
    return _confirm_page(request.path)


def _client(request: Request) -> dict[str, str]:
    """The event details a request tells: the client's user agent and address."""
    details = {"ip_address": request.remote_addr or ""}
    if request.user_agent.string:
        details["user_agent"] = request.user_agent.string
    return {k: v for k, v in details.items() if v}


def _confirm_page(action: str) -> Response:
    """The page a ``GET`` of a List-Unsubscribe URL shows: a button that posts the one-click body."""
    body = ("<!doctype html><html><head><meta charset=\"utf-8\"><title>Unsubscribe</title></head><body>"
            "<h1>Unsubscribe</h1><p>Stop receiving these emails?</p>"
            f"<form method=\"post\" action=\"{html.escape(action, quote=True)}\">"
            "<input type=\"hidden\" name=\"List-Unsubscribe\" value=\"One-Click\">"
            "<button type=\"submit\">Unsubscribe</button></form></body></html>")
    return Response(body, status=200, content_type="text/html; charset=utf-8")
