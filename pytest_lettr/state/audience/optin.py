"""Double opt-in: an ``unverified`` contact, its confirmation email, and the link that confirms it.

    contact = optin.create(account, key, actor, "ada@example.com", config)   # status 'unverified'
    email = account.outbox[-1]                     # rendered from config.template_slug
    optin.confirm(account, token)                  # 'subscribed'; returns config.redirect_url

The confirmation URL is ``<server>/lettr/confirm/<token>`` (:data:`CONFIRM_PATH`), given to the
template as ``{{confirmation_url}}``. Nothing is stored unless the email goes out: an unknown
template is 404 ``template_not_found``, a sender refused by the account's domain rules is 502
``transmission_failed``. A token works once, and only while the contact is ``unverified``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ...errors import Forbidden, InvalidSender, NotFound, TransmissionFailed
from ..audit import Actor
from ..sending import Draft, send
from . import contacts
from .models import Contact, token_digest

if TYPE_CHECKING:
    from ..account import Account
    from ..keys import ApiKey

CONFIRM_PATH = "/lettr/confirm/"


@dataclass(frozen=True)
class OptInConfig:
    """The ``double_opt_in`` block: who sends the confirmation, with which template, and where to go."""

    from_email: str
    subject: str
    template_slug: str
    redirect_url: str
    from_name: str | None = None


@dataclass
class Confirmation:
    contact_id: str
    redirect_url: str
    used: bool = False


class InvalidToken(NotFound):
    """A confirmation token that is unknown, used, or whose contact is gone or no longer unverified."""


def create(account: Account, key: ApiKey, actor: Actor, email: str, config: OptInConfig, *,
           list_id: str | None = None, properties: Mapping[str, str] | None = None) -> Contact:
    """Create the contact ``unverified`` and send its confirmation email."""
    audience = account.audience
    contact = contacts.prepare(audience, email, list_id=list_id, properties=properties, status="unverified")
    token = account.entropy.stream("optin_tokens").token(40)
    draft = Draft(sender=config.from_email, to=[contact.email], subject=config.subject,
                  template_slug=config.template_slug, substitute=True,
                  variables={"confirmation_url": f"{account.link_base}{CONFIRM_PATH}{token}", "email": contact.email},
                  extra={"from_name": config.from_name, "double_opt_in": contact.id}, tags=["double_opt_in"])
    try:
        send(account, key, actor, [draft], suppressed="drop")
    except (InvalidSender, Forbidden) as error:
        raise TransmissionFailed(f"The confirmation email could not be sent: {error.message}", param="from") from None
    contacts.add(audience, contact, actor)
    with account.lock:
        audience.confirmations[token_digest(token)] = Confirmation(contact.id, config.redirect_url)
    return contact


def confirm(account: Account, token: str) -> str:
    """Subscribe the token's contact; returns where to send the browser (:class:`InvalidToken` else)."""
    audience = account.audience
    with account.lock:
        pending = audience.confirmations.get(token_digest(token))
        contact = None if pending is None else audience.find_by_id(pending.contact_id)
        if pending is None or pending.used or contact is None or contact.status != "unverified":
            raise InvalidToken("This confirmation link is invalid or has already been used.")
        pending.used = True
        contact.status = "subscribed"
    account.record("contact.confirmed", Actor.system(), "contact", contact.id, {"double_opt_in": True})
    return str(pending.redirect_url)
