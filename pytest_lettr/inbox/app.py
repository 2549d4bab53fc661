"""The inbox's request pipeline: route, guard (Host, Origin, CSRF), tick, handler, reply.

>>> inbox = Inbox()
>>> len(inbox.csrf_token) >= 32
True
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from collections.abc import Callable

from jinja2 import Environment, PackageLoader, select_autoescape
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Request, Response

from .. import errors
from ..state import Account
from . import actions, pages
from .context import Context
from .rendering import FILTERS
from .replies import status_of
from .routes import ROUTES

Handler = Callable[..., Response]
HANDLERS: dict[str, Handler] = {**pages.HANDLERS, **actions.HANDLERS}
#: Security headers of every page (the HTML body of an email gets a stricter policy of its own).
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                               "connect-src 'self'; frame-src 'self'; form-action 'self'; base-uri 'none'; "
                               "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


class Inbox:
    """The web inbox as one more intake of the server; :meth:`handle` answers its paths."""

    def __init__(self) -> None:
        #: Guards every form. Random per server (not from the account's seed, which may be public).
        self.csrf_token = secrets.token_urlsafe(32)
        self.templates = Environment(loader=PackageLoader("pytest_lettr.inbox", "templates"),
                                     autoescape=select_autoescape(default=True, default_for_string=True))
        self.templates.filters.update(FILTERS)

    def handle(self, request: Request, account: Account) -> Response:
        """Answer one request for an inbox path (:meth:`owns`)."""
        adapter = ROUTES.bind_to_environ(request.environ)
        try:
            endpoint, arguments = adapter.match()
        except HTTPException as refused:
            return self._refusal(request, account, refused.code or 404, refused.description or "Not found")
        if not _loopback_host(request.host):
            return self._refusal(request, account, 403, "The inbox answers only to an IP address or localhost")
        if request.method == "POST" and not self._same_site(request):
            return self._refusal(request, account, 403, "This form came from another site (bad CSRF token)")
        account.tick()
        context = Context(request, account, self)
        try:
            response = HANDLERS[str(endpoint)](context, **arguments)
        except (errors.LettrError, ValueError) as error:
            message = error.message if isinstance(error, errors.LettrError) else str(error)
            response = self._refusal(request, account, status_of(error), message)
        for name, value in PAGE_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    def _same_site(self, request: Request) -> bool:
        """A POST must carry the page's token, and (when the browser says) come from this origin."""
        origin = request.headers.get("Origin")
        if origin is not None and origin != request.host_url.rstrip("/"):
            return False
        if request.headers.get("Sec-Fetch-Site", "same-origin") not in ("same-origin", "none"):
            return False
        given = request.form.get("csrf_token", "")
        return hmac.compare_digest(given.encode(), self.csrf_token.encode())

    def _refusal(self, request: Request, account: Account, status: int, message: str) -> Response:
        response = Context(request, account, self).render("error.html", status=status, status_code=status,
                                                          message=message)
        for name, value in PAGE_HEADERS.items():
            response.headers.setdefault(name, value)
        return response


def _loopback_host(host: str) -> bool:
    """``Host`` names an IP address or ``localhost``: a DNS-rebinding page cannot drive the inbox.

    >>> _loopback_host("127.0.0.1:8025"), _loopback_host("[::1]:80"), _loopback_host("evil.test:8025")
    (True, True, False)
    """
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    name = name.strip("[]").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True
