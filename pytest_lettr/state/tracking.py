"""Open and click tracking as a recipient meets it: the delivered HTML and the links behind it.

When an email is sent, :func:`deliver` keeps the HTML as written in ``email.html``; the HTML as
delivered (:attr:`Email.delivered_html`) is made the first time it is read: with click tracking
on, each ``http(s)`` link points at ``<server>/lettr/t/c/<token>``; with open tracking on, a 1x1
pixel at ``<server>/lettr/t/o/<token>`` is added. A link marked ``data-msys-unsubscribe`` becomes
an unsubscribe link, and the email then carries ``List-Unsubscribe``
(``<server>/lettr/t/l/<token>``) and ``List-Unsubscribe-Post: List-Unsubscribe=One-Click``
(:attr:`Email.delivered_headers`). The text part is delivered as written.

Tokens are 40 seeded alphanumerics (from a stream of their email's own, so they do not depend on
which email is read first), stored only as their SHA-256; each names one email and one target.
Following one records what the recipient did through :func:`lifecycle.simulate
<pytest_lettr.state.lifecycle.simulate>` (so the first open is ``initial_open``, an unsubscribe
suppresses)::

    link = record(account, "click", token, user_agent="Mozilla/5.0")   # → the original URL

An email still ``sent`` is recorded as delivered first (a recipient cannot open what did not
arrive); a move the email cannot make (an open of a bounced email, a second unsubscribe) records
nothing, and the recipient still gets the pixel or the redirect.
"""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import InvalidTransition, NotFound
from . import lifecycle
from .audience.models import token_digest
from .tracked_html import rewrite

if TYPE_CHECKING:
    from ..randomness import Entropy
    from .account import Account
    from .emails import Email

OPEN_PATH = "/lettr/t/o/"
CLICK_PATH = "/lettr/t/c/"
LIST_UNSUBSCRIBE_PATH = "/lettr/t/l/"
#: The path of each kind of link, and the lifecycle event following it records.
PATHS = {"open": OPEN_PATH, "click": CLICK_PATH, "unsubscribe": CLICK_PATH, "list_unsubscribe": LIST_UNSUBSCRIBE_PATH}
EVENTS = {"open": "open", "click": "click", "unsubscribe": "link_unsubscribe", "list_unsubscribe": "list_unsubscribe"}
_TOKEN_LENGTH = 40


@dataclass(frozen=True)
class TrackedLink:
    """What one token stands for: an email, the kind of link and (clicks) the original URL."""

    email_id: str
    kind: str
    url: str = ""


class TrackingLinks:
    """The account's tracking tokens, by their digest."""

    def __init__(self, account: Account) -> None:
        self._account = account
        self._lock = threading.Lock()
        #: Held while an email's delivered HTML is made, so it is made once.
        self.rendering = threading.Lock()
        self._links: dict[str, TrackedLink] = {}

    def mint(self, email_id: str, kind: str, source: Entropy, url: str = "") -> str:
        """A new token for ``kind`` of ``email_id``, drawn from ``source`` (the email's own stream);
        returns the full URL to put in the email."""
        token = source.token(_TOKEN_LENGTH)
        with self._lock:
            self._links[token_digest(token)] = TrackedLink(email_id, kind, url)
        return f"{self._account.link_base}{PATHS[kind]}{token}"

    def resolve(self, path: str, token: str) -> TrackedLink:
        """The link ``token`` stands for, if it was minted for ``path``; else :class:`NotFound`."""
        with self._lock:
            link = self._links.get(token_digest(token))
        if link is None or PATHS[link.kind] != path:
            raise NotFound("This tracking link is not valid")
        return link

    def __len__(self) -> int:
        return len(self._links)


def deliver(account: Account, email: Email) -> None:
    """Have ``email`` delivered with tracking as it asks: its delivered HTML and headers are made
    (and their tokens minted) when first read, see :func:`render`."""
    if email.html is None or email.status in ("failed", "suppressed"):
        return
    if email.tracking.get("opens", True) or email.tracking.get("clicks", True):
        email._delivery = functools.partial(render, account)


def render(account: Account, email: Email) -> None:
    """Store the HTML and headers ``email`` is delivered with (once, whoever reads it first)."""
    with account.tracking.rendering:
        if email._delivery is None or email.html is None:
            return
        source = account.entropy.derive(f"tracking:{email.id}")

        def mint(kind: str, url: str) -> str:
            return account.tracking.mint(email.id, kind, source, url)

        opens, clicks = email.tracking.get("opens", True), email.tracking.get("clicks", True)
        tracked = rewrite(email.html, mint, opens=opens, clicks=clicks)
        email.extra["delivered_html"] = tracked.html
        if tracked.has_unsubscribe:
            email.extra["delivered_headers"] = {
                "List-Unsubscribe": f"<{mint('list_unsubscribe', '')}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            }
        email._delivery = None


def record(account: Account, path: str, token: str, **details: Any) -> TrackedLink:
    """Record what following ``token`` (served at ``path``) means; returns its link.

    Raises :class:`NotFound` for an unknown token, one minted for another path, or one whose email
    is gone. ``details`` (``user_agent``, ``ip_address``) go into the event.
    """
    link = account.tracking.resolve(path, token)
    email = account.outbox.get(link.email_id)
    if link.kind == "click":
        details["url"] = link.url
    try:
        if email.status in ("sent", "queued"):
            lifecycle.simulate(account, email.id, "delivery")
        lifecycle.simulate(account, email.id, EVENTS[link.kind], **details)
    except InvalidTransition:
        pass  # nothing to record now; the recipient is answered all the same
    return link


__all__ = ["CLICK_PATH", "LIST_UNSUBSCRIBE_PATH", "OPEN_PATH", "TrackedLink", "TrackingLinks", "deliver", "record"]
