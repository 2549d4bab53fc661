"""Past sending history for an account, so stats and volume checks have a baseline.

::

    emails = seed_history(account, days=30, per_day=100)   # 3000 emails over the 30 days before today
    period_stats(account, "30d").sent                      # 3000 (plus whatever today sent)

Every day before today gets exactly ``per_day`` emails at seeded random times, with realistic
outcomes: about 1.5 % bounce (mostly hard), 3 % are deferred first, the rest are delivered; of
those about 40 % are opened (some several times), a quarter of the opened are clicked, and a few
complain or unsubscribe. Events are stamped in the past on the account clock and never later than
now. History is the past: it is not delivered to webhooks and does not touch the suppression list.
Names, addresses, subjects, user agents and IPs come from the account's seeded faker.
"""

from __future__ import annotations

import heapq
import random
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from ..randomness import ALPHANUMERIC
from .emails import Email
from .lifecycle import BOUNCE_CATEGORIES
from .stats import midnight

if TYPE_CHECKING:
    from .account import Account, Event

BOUNCE_RATE = 0.015
HARD_BOUNCE_SHARE = 0.7
DEFER_RATE = 0.03
OPEN_RATE = 0.40
CLICK_SHARE = 0.25
COMPLAINT_RATE = 0.001
UNSUBSCRIBE_RATE = 0.003
TAGS = ("welcome", "receipt", "notification", "digest", "verification")
_ID_TABLE = bytes(ord(ALPHANUMERIC[b % len(ALPHANUMERIC)]) for b in range(256))


@dataclass
class _Pools:
    """Faker values drawn once and reused, so thousands of emails cost milliseconds."""

    recipients: list[str]
    subjects: list[str]
    user_agents: list[str]
    ips: list[str]
    urls: list[str]
    sender: str

    @classmethod
    def draw(cls, account: Account, size: int) -> _Pools:
        faker = account.entropy.faker
        verified = [d.name for d in account.domains if d.status == "verified"]
        domain = verified[0] if verified else str(faker.domain_name())
        return cls(
            recipients=[str(faker.email()) for _ in range(max(1, min(size, 500)))],
            subjects=[str(faker.sentence(nb_words=5)).rstrip(".") for _ in range(40)],
            user_agents=[str(faker.user_agent()) for _ in range(30)],
            ips=[str(faker.ipv4_public()) for _ in range(60)],
            urls=[f"https://{domain}{faker.uri_path()}" for _ in range(20)],
            sender=f"notifications@{domain}",
        )


class _Builder:
    def __init__(self, account: Account, now: datetime) -> None:
        from .account import Event

        self.account = account
        self.now = now
        # One generator seeded from the account's entropy: reproducible, and no lock per draw.
        self.rng = random.Random(account.entropy.randint(0, 2**62))
        self.pools = _Pools.draw(account, 300)
        self.events: list[Event] = []
        self._event = Event

    def pick(self, items: list[str]) -> str:
        return items[int(self.rng.random() * len(items))]

    def new_id(self, prefix: str) -> str:
        return prefix + self.rng.randbytes(24).translate(_ID_TABLE).decode("ascii")

    def emit(self, email: Email, kind: str, at: datetime, data: dict[str, Any]) -> bool:
        """Record an event unless it would be in the future; returns whether it was recorded."""
        if at > self.now:
            return False
        event = self._event(self.new_id("evt_"), f"email.{kind}", at, data, email.id)
        email.events.append(event)
        self.events.append(event)
        return True

    def email(self, sent: datetime) -> Email:
        """One email sent at ``sent`` and what happened to it up to now.

        The order of the random draws is part of the seeded result: keep it when changing this.
        """
        email, to = self._sent(sent)
        at = sent + timedelta(seconds=1 + int(self.rng.random() * 30))
        at = self._maybe_defer(email, to, at)
        if self.rng.random() < BOUNCE_RATE:
            self._bounce(email, to, at)
        elif self.emit(email, "delivered", at, {"email_id": email.id, "to": to, "delivered_at": at}):
            email.status, email.delivered_at = "delivered", at
            self._after_delivery(email, to, at)
        return email

    def _sent(self, sent: datetime) -> tuple[Email, str]:
        rnd = self.rng.random
        to = self.pick(self.pools.recipients)
        email = Email(id=self.new_id("email_"), from_=self.pools.sender, to=[to],
                      subject=self.pick(self.pools.subjects), html=None,
                      text="This email is part of the seeded sending history.", created_at=sent,
                      status="sent", tags=[TAGS[int(rnd() * len(TAGS))]], sent_at=sent)
        self.emit(email, "sent", sent, {"email_id": email.id, "from": email.from_, "to": [to],
                                        "subject": email.subject, "sent_at": sent})
        return email, to

    def _maybe_defer(self, email: Email, to: str, at: datetime) -> datetime:
        """A few emails are deferred once, for five minutes; returns when delivery is tried again."""
        if self.rng.random() >= DEFER_RATE:
            return at
        retry_at = at + timedelta(minutes=5)
        self.emit(email, "deferred", at, {"email_id": email.id, "to": to, "retry_count": 1,
                                          "reason": "421 4.7.0 Try again later, closing connection",
                                          "next_retry_at": retry_at})
        return retry_at

    def _bounce(self, email: Email, to: str, at: datetime) -> None:
        rnd = self.rng.random
        kind = "hard" if rnd() < HARD_BOUNCE_SHARE else "soft"
        category = sorted(BOUNCE_CATEGORIES[kind])[int(rnd() * len(BOUNCE_CATEGORIES[kind]))]
        data = {"email_id": email.id, "to": to, "bounce_type": kind, "bounce_category": category,
                "message": BOUNCE_CATEGORIES[kind][category], "bounced_at": at}
        if self.emit(email, "bounced", at, data):
            email.status = "bounced"
            email.extra["bounce"] = {k: data[k] for k in ("bounce_type", "bounce_category", "message")}
            email.extra["bounced_at"] = at

    def _after_delivery(self, email: Email, to: str, delivered: datetime) -> None:
        """Opens and clicks for some, then rarely a complaint or else an unsubscribe."""
        rnd = self.rng.random
        if rnd() < OPEN_RATE:
            self._engage(email, to, delivered)
        if rnd() < COMPLAINT_RATE:
            self._react(email, to, delivered, "complained", {})
        elif rnd() < UNSUBSCRIBE_RATE:
            self._react(email, to, delivered, "unsubscribed", {"reason": "one_click"})

    def _react(self, email: Email, to: str, delivered: datetime, kind: str, details: dict[str, Any]) -> None:
        """A complaint or an unsubscribe one to 49 hours after delivery."""
        moment = delivered + timedelta(hours=1 + self.rng.random() * 48)
        if self.emit(email, kind, moment, {"email_id": email.id, "to": to, **details, f"{kind}_at": moment}):
            email.extra[f"{kind}_at"] = moment

    def _engage(self, email: Email, to: str, delivered: datetime) -> None:
        rnd = self.rng.random
        moment = delivered
        for _ in range(1 + int(rnd() * rnd() * 4)):
            moment = moment + timedelta(minutes=2 + rnd() * 600)
            data = {"email_id": email.id, "to": to, "opened_at": moment,
                    "user_agent": self.pick(self.pools.user_agents), "ip_address": self.pick(self.pools.ips),
                    "is_first_open": email.opens == 0}
            if not self.emit(email, "opened", moment, data):
                return
            email.opens += 1
            email.first_opened_at = email.first_opened_at or moment
            email.last_opened_at = moment
        if rnd() < CLICK_SHARE:
            click = moment + timedelta(seconds=5 + rnd() * 120)
            url = self.pick(self.pools.urls)
            if self.emit(email, "clicked", click, {"email_id": email.id, "to": to, "url": url,
                                                   "clicked_at": click,
                                                   "user_agent": self.pick(self.pools.user_agents),
                                                   "ip_address": self.pick(self.pools.ips)}):
                email.clicks += 1
                email.extra["first_clicked_at"] = click
                email.extra["clicked_urls"] = [url]


def _sort_key(event: Event) -> datetime:
    return event.created_at


def seed_history(account: Account, days: int = 30, per_day: int = 100) -> list[Email]:
    """Add ``per_day`` past emails on each of the ``days`` days before today (UTC); returns them,
    oldest first. Their metadata is empty; tags are one of :data:`TAGS`."""
    for name, value, top in (("days", days, 3660), ("per_day", per_day, 100_000)):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= top:
            raise ValueError(f"{name} must be an integer between 0 and {top}")
    now = account.clock.now()
    today = now.astimezone(timezone.utc).date()
    builder = _Builder(account, now)
    rnd = builder.rng.random
    emails: list[Email] = []
    for back in range(days, 0, -1):
        start = midnight(today - timedelta(days=back))
        moments = sorted(start + timedelta(seconds=rnd() * 86_399) for _ in range(per_day))
        emails.extend(builder.email(moment.replace(microsecond=0)) for moment in moments)
    new_events = sorted(builder.events, key=_sort_key)
    with account.lock:
        account.outbox.add_many(emails)
        account.events[:] = list(heapq.merge(account.events, new_events, key=_sort_key))
        account.event_index.rebuild()
    return emails
