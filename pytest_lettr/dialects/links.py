"""The pages behind links the fake puts in emails: a double opt-in confirmation and a campaign's
unsubscribe link. A browser (or a test's ``httpx.get``) opens them with ``GET``; no key is needed.

    GET /lettr/confirm/<token>       302 to the opt-in's redirect_url; 404 page for a used or bad token
    GET /lettr/unsubscribe/<token>   200 page (or 302 to the link's redirect=URL); 404 page if unknown
"""

from __future__ import annotations

import html

from werkzeug.wrappers import Request, Response

from ..errors import NotFound
from ..state import Account
from ..state.audience import optin
from ..state.campaigns import UNSUBSCRIBE_PATH

PREFIX = "/lettr/"


def _page(status: int, title: str, text: str) -> Response:
    body = (f"<!doctype html><html><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title></head>"
            f"<body><h1>{html.escape(title)}</h1><p>{html.escape(text)}</p></body></html>")
    return Response(body, status=status, content_type="text/html; charset=utf-8")


def handle(request: Request, account: Account) -> Response:
    """Serve one link page (``GET`` only); anything else under ``/lettr/`` is a 404 page."""
    path = request.path
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
