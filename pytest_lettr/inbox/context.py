"""What an inbox handler gets: the request, the account it shows, and the inbox itself."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from ..state import Account
from ..state.audit import Actor

if TYPE_CHECKING:
    from .app import Inbox


@dataclass
class Context:
    request: Request
    account: Account
    inbox: Inbox

    def render(self, template: str, status: int = 200, **values: Any) -> Response:
        """A page from ``templates/``; every page gets the CSRF token, the path and the clock's now."""
        html = self.inbox.templates.get_template(template).render(
            csrf_token=self.inbox.csrf_token, path=self.request.path, now=self.account.clock.now(), **values)
        return Response(html, status=status, mimetype="text/html")

    def back(self, location: str) -> Response:
        """After a form: 303 to the page that shows the result (a reload never re-posts)."""
        response = redirect(location, code=303)
        response.autocorrect_location_header = False  # werkzeug < 2.1 would make it absolute
        return response

    @property
    def actor(self) -> Actor:
        """Who acts from the inbox in the audit log: the account's owner, from this browser."""
        owner = self.account.owner
        return Actor(id=owner.id, type="member", email=owner.email, ip_address=self.request.remote_addr,
                     user_agent=self.request.headers.get("User-Agent"))
