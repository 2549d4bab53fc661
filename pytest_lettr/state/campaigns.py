"""Campaigns: drafts made by the test, sent or scheduled through the API, one email per recipient.

The API cannot author campaigns, so a test makes the draft::

    campaign = account.campaigns.create(name="June news", subject="Hi {{first_name}}",
                                        from_email="news@example.com", html="<p>...</p>",
                                        list_ids=[vip.id])
    account.campaigns.send(campaign, actor)   # 'preparing' as accepted; 'sent' when it returns

**When things happen.** ``send`` accepts the draft (``preparing``) and dispatches it before it
returns, so the outbox holds the campaign's emails as soon as the send request is answered (its
202 shows the campaign as accepted, ``preparing``). A scheduled campaign is dispatched by the
first :meth:`Account.tick` at or after its ``scheduled_at`` (every request and every clock move
runs one), so after ``clock.advance(...)`` past that time the emails are there. Dispatching picks
the ``subscribed`` contacts of the lists and segments (segments evaluated then), or of the whole
audience, each once, minus suppressed addresses; renders each email; stores them; ``sent`` — or
``failed`` when no one is left. ``in_review`` and ``sending`` are never shown: nothing happens
between.

**Content.** ``{{property}}`` merge tags take the contact's value, else the property's fallback,
else ``""`` (plus ``{{email}}``). ``{{unsubscribe_link}}`` (or ``{{unsubscribe_url}}``,
``{{unsubscribe_link:redirect=URL}}``) becomes the recipient's own link
``<server>/lettr/unsubscribe/<token>``; HTML without one gets a plain footer with it before
``</body>``. Opening that link unsubscribes the contact and records ``email.unsubscribed``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..clock import isoformat_or_none
from ..errors import CampaignNotScheduled, CampaignNotSendable, InvalidTransition, NotFound, ValidationFailed
from . import lifecycle
from .audience.models import Contact, new_uuid, token_digest
from .audit import Actor
from .emails import Email
from .templating import render

if TYPE_CHECKING:
    from .account import Account

STATUSES = ("draft", "scheduled", "preparing", "in_review", "sending", "sent", "failed")
UNSUBSCRIBE_PATH = "/lettr/unsubscribe/"
_UNSUBSCRIBE_TAG = re.compile(r"\{\{\{?\s*unsubscribe_(?:link|url)(?::redirect=([^}\s]+))?\s*\}?\}\}")
#: A campaign event's ``event_type`` for each account event of its emails.
EVENT_TYPES = {"email.sent": "injection", "email.delivered": "delivery", "email.bounced": "bounce",
               "email.complained": "spam_complaint", "email.opened": "open", "email.clicked": "click",
               "email.unsubscribed": "list_unsubscribe"}


@dataclass(eq=False)
class Campaign:
    """A campaign and its audience; ``email_ids`` are the emails it sent, in order."""

    id: str
    name: str
    subject: str | None
    from_email: str | None
    html: str | None
    created_at: datetime
    from_name: str | None = None
    reply_to: str | None = None
    list_ids: tuple[str, ...] = ()
    segment_ids: tuple[str, ...] = ()
    all_contacts: bool = False
    status: str = "draft"
    scheduled_at: datetime | None = None
    sent_at: datetime | None = None
    total_recipients: int | None = None
    email_ids: list[str] = field(default_factory=list)

    @property
    def sendable(self) -> bool:
        return bool(self.subject and self.from_email and self.html)


@dataclass(frozen=True)
class Unsubscribe:
    campaign_id: str
    contact_id: str
    email_id: str
    redirect_url: str | None


@dataclass(frozen=True)
class CampaignStats:
    injections: int = 0
    deliveries: int = 0
    bounces: int = 0
    spam_complaints: int = 0
    opens: int = 0
    unique_opens: int = 0
    clicks: int = 0
    unique_clicks: int = 0
    unsubscribes: int = 0


class CampaignStore:
    """The campaigns of one account, oldest first."""

    def __init__(self, account: Account) -> None:
        self.account = account
        self._campaigns: dict[str, Campaign] = {}
        #: Unsubscribe links by the digest of their token.
        self.unsubscribes: dict[str, Unsubscribe] = {}

    def __iter__(self) -> Any:
        return iter(list(self._campaigns.values()))

    def __len__(self) -> int:
        return len(self._campaigns)

    def all(self, status: str | None = None) -> list[Campaign]:
        return [c for c in self._campaigns.values() if status is None or c.status == status]

    def get(self, campaign_id: str) -> Campaign:
        found = self._campaigns.get(campaign_id)
        if found is None:
            raise NotFound("Campaign not found.", param="campaign_id")
        return found

    def create(self, *, name: str, subject: str | None, from_email: str | None, html: str | None,
               from_name: str | None = None, reply_to: str | None = None, list_ids: Iterable[str] = (),
               segment_ids: Iterable[str] = (), all_contacts: bool = False) -> Campaign:
        """A draft (what the dashboard authors); an unknown list or segment id raises :class:`NotFound`."""
        audience = self.account.audience
        lists, segments = tuple(list_ids), tuple(segment_ids)
        for list_id in lists:
            audience.get_list(list_id)
        for segment_id in segments:
            audience.get_segment(segment_id)
        campaign = Campaign(new_uuid(self.account.entropy, "campaign"), name, subject, from_email, html,
                            self.account.clock.now(), from_name, reply_to, lists, segments, all_contacts)
        with self.account.lock:
            self._campaigns[campaign.id] = campaign
        return campaign

    # -- the state machine ------------------------------------------------------------------------
    def send(self, campaign: Campaign, actor: Actor) -> Campaign:
        """``draft`` → ``preparing`` (the accepted state, returned as a copy) → dispatched."""
        with self.account.lock:
            if campaign.status != "draft" or not campaign.sendable:
                raise CampaignNotSendable(self._not_sendable(campaign, "sent"), param="campaign_id")
            campaign.status = "preparing"
            accepted = _copy(campaign)
        self.account.record("campaign.sent", actor, "campaign", campaign.id, {"name": campaign.name})
        self.dispatch(campaign)
        return accepted

    def schedule(self, campaign: Campaign, at: datetime, actor: Actor) -> Campaign:
        """``draft`` or ``scheduled`` → ``scheduled`` at ``at`` (which must be in the future: 422)."""
        with self.account.lock:
            if campaign.status not in ("draft", "scheduled") or not campaign.sendable:
                raise CampaignNotSendable(self._not_sendable(campaign, "scheduled"), param="campaign_id")
            if at <= self.account.clock.now():
                raise ValidationFailed({"scheduled_at": ["The scheduled at must be a date in the future."]})
            campaign.status, campaign.scheduled_at = "scheduled", at
        self.account.record("campaign.scheduled", actor, "campaign", campaign.id,
                            {"scheduled_at": isoformat_or_none(at)})
        return campaign

    def unschedule(self, campaign: Campaign, actor: Actor) -> Campaign:
        with self.account.lock:
            if campaign.status != "scheduled":
                raise CampaignNotScheduled("Only scheduled campaigns can be unscheduled.", param="campaign_id")
            campaign.status, campaign.scheduled_at = "draft", None
        self.account.record("campaign.unscheduled", actor, "campaign", campaign.id, {})
        return campaign

    @staticmethod
    def _not_sendable(campaign: Campaign, verb: str) -> str:
        if not campaign.sendable and campaign.status in ("draft", "scheduled"):
            return "Campaign is missing a subject, sender or content."
        return f"Campaign can only be {verb} from draft status."

    def release_due(self) -> None:
        """Dispatch every scheduled campaign whose time has come (a step of :meth:`Account.tick`)."""
        now = self.account.clock.now()
        with self.account.lock:
            due = [c for c in self._campaigns.values()
                   if c.status == "scheduled" and c.scheduled_at is not None and c.scheduled_at <= now]
            for campaign in due:
                campaign.status = "preparing"
        for campaign in sorted(due, key=lambda c: (c.scheduled_at or now, c.created_at)):
            self.dispatch(campaign)

    # -- dispatching ------------------------------------------------------------------------------
    def recipients(self, campaign: Campaign) -> list[Contact]:
        """The subscribed contacts the campaign goes to now, each once, oldest first."""
        audience = self.account.audience
        chosen = {c.id for c in self._audience_of(campaign)}
        return [c for c in audience.contacts
                if c.id in chosen and c.subscribed and c.email not in self.account.suppressions]

    def _audience_of(self, campaign: Campaign) -> Iterable[Contact]:
        """Everyone chosen (all contacts, or the lists' members and the segments' matches)."""
        audience = self.account.audience
        if campaign.all_contacts:
            yield from audience.contacts
        for list_id in campaign.list_ids:
            yield from (c for c in audience.contacts if list_id in c.list_ids)
        segments = (audience.find_segment(segment_id) for segment_id in campaign.segment_ids)
        for segment in segments:
            if segment is not None:
                yield from audience.members(segment)

    def dispatch(self, campaign: Campaign) -> None:
        """``preparing`` → ``sent`` (one email per recipient, stored and announced) or ``failed``."""
        recipients = self.recipients(campaign)
        emails = [self._email(campaign, contact) for contact in recipients]
        now = self.account.clock.now()
        with self.account.lock:
            campaign.total_recipients = len(emails)
            campaign.email_ids = [e.id for e in emails]
            campaign.status = "sent" if emails else "failed"
            campaign.sent_at = now if emails else None
        self.account.store_emails(emails)
        self.account.record("campaign.dispatched", Actor.system(), "campaign", campaign.id,
                            {"recipients": len(emails), "status": campaign.status})

    def _email(self, campaign: Campaign, contact: Contact) -> Email:
        account = self.account
        token = account.entropy.stream("unsubscribe_tokens").token(40)
        link = f"{account.link_base}{UNSUBSCRIBE_PATH}{token}"
        values = self._merge_values(contact)
        html, redirect = _with_unsubscribe(campaign.html or "", link)
        email = Email(id=account.entropy.new_id("email_"), from_=campaign.from_email or "", to=[contact.email],
                      subject=render(campaign.subject or "", values), html=render(html, values, html=True),
                      text=None, created_at=account.clock.now(), reply_to=campaign.reply_to,
                      tags=[campaign.id], sent_at=account.clock.now(),
                      request_id=str(account.entropy.stream("request_ids").randint(10**19, 10**20 - 1)),
                      headers={"List-Unsubscribe": f"<{link}>"},
                      extra={"campaign_id": campaign.id, "contact_id": contact.id, "from_name": campaign.from_name,
                             "unsubscribe_url": link})
        self.unsubscribes[token_digest(token)] = Unsubscribe(campaign.id, contact.id, email.id, redirect)
        return email

    def _merge_values(self, contact: Contact) -> dict[str, Any]:
        """The contact's property values over the properties' fallbacks; a tag with neither renders
        empty (and is absent, so a template's own default, ``{{ name or 'there' }}``, can apply)."""
        values: dict[str, Any] = {p.name: p.fallback_value for p in self.account.audience.properties
                                  if p.fallback_value}
        values.update({k: v for k, v in contact.properties.items() if v != ""})
        values["email"] = contact.email
        return values

    # -- what happened ----------------------------------------------------------------------------
    def emails_of(self, campaign: Campaign) -> list[Email]:
        """The campaign's emails still in the outbox (a test may have deleted some)."""
        outbox = self.account.outbox
        positions = (outbox.position(email_id) for email_id in campaign.email_ids)
        return [outbox.at(p) for p in positions if p is not None]

    def events(self, campaign: Campaign) -> list[tuple[Email, Any]]:
        """``(email, event)`` of every event of the campaign's emails, oldest first."""
        found = [(email, event) for email in self.emails_of(campaign) for event in list(email.events)
                 if getattr(event, "type", None) in EVENT_TYPES]
        return sorted(found, key=lambda pair: pair[1].created_at)

    def stats(self, campaign: Campaign) -> CampaignStats:
        counts = dict.fromkeys(EVENT_TYPES.values(), 0)
        opened, clicked = set(), set()
        for email, event in self.events(campaign):
            counts[EVENT_TYPES[event.type]] += 1
            if event.type == "email.opened":
                opened.add(email.id)
            elif event.type == "email.clicked":
                clicked.add(email.id)
        return CampaignStats(counts["injection"], counts["delivery"], counts["bounce"], counts["spam_complaint"],
                             counts["open"], len(opened), counts["click"], len(clicked), counts["list_unsubscribe"])

    def _record_unsubscribe(self, email: Email) -> None:
        """``email.unsubscribed`` on the email once (``email.delivered`` first if it was only sent);
        a second click racing the first finds it done."""
        try:
            if email.status == "sent":
                lifecycle.simulate(self.account, email.id, "delivered")
            if email.status == "delivered" and not _unsubscribed(email):
                lifecycle.simulate(self.account, email.id, "unsubscribed")
        except InvalidTransition:
            pass

    def unsubscribe(self, token: str) -> str | None:
        """Open a recipient's unsubscribe link: the contact is ``unsubscribed`` and the email records
        ``email.unsubscribed`` (once; a sent email is first ``delivered``). Returns the redirect, if
        any; an unknown token raises :class:`NotFound`."""
        found = self.unsubscribes.get(token_digest(token))
        if found is None:
            raise NotFound("This unsubscribe link is invalid.")
        self._record_unsubscribe(self.account.outbox.get(found.email_id))
        contact = self.account.audience.find_by_id(found.contact_id)
        if contact is not None and contact.status != "unsubscribed":
            contact.status = "unsubscribed"
            self.account.record("contact.status_changed", Actor.system(), "contact", contact.id,
                                {"status": "unsubscribed", "cause": "campaign.unsubscribe_link"})
        return found.redirect_url


def _unsubscribed(email: Email) -> bool:
    return any(getattr(e, "type", None) == "email.unsubscribed" for e in email.events)


def _with_unsubscribe(html: str, link: str) -> tuple[str, str | None]:
    """``html`` with its unsubscribe tags replaced by ``link`` (or a footer added); and the redirect."""
    redirect: list[str] = []

    def replace(match: re.Match[str]) -> str:
        if match.group(1):
            redirect.append(match.group(1))
        return link

    replaced, count = _UNSUBSCRIBE_TAG.subn(replace, html)
    if count == 0:
        footer = f'<p style="font-size:12px;color:#666"><a href="{link}">Unsubscribe</a></p>'
        head, tag, tail = replaced.rpartition("</body>")
        replaced = f"{head}{footer}{tag}{tail}" if tag else replaced + footer
    return replaced, redirect[0] if redirect else None


def _copy(campaign: Campaign) -> Campaign:
    from dataclasses import replace

    return replace(campaign, email_ids=list(campaign.email_ids))
