"""What happens to an email after it is sent: delivery, bounces, opens, clicks, complaints, failures.

A test drives it (the mock never delivers anything on its own). Every event type of the current
API's events list is accepted by its own name, and v1's names keep working::

    lettr_server.simulate(email.id, "delivery")                     # or "delivered"
    lettr_server.simulate(email.id, "open")                         # the first open is recorded as initial_open
    lettr_server.simulate(email.id, "click", url="https://app.example.com/verify")
    lettr_server.simulate(other.id, "bounce", bounce_type="hard")   # the address is now suppressed
    lettr_server.simulate(third.id, "link_unsubscribe")             # so is this one

Each call updates the :class:`~pytest_lettr.state.emails.Email`, records one account event with
realistic (seeded faker) details — the ones given replace them — and hands it to webhooks. The
account event keeps v1's vocabulary where v1 has the event (``email.opened`` for ``open``,
``initial_open``, ``amp_open`` and ``amp_initial_open``) and carries the current API's type in
:attr:`~pytest_lettr.state.account.Event.api_type`. Allowed moves (:data:`MOVES`):

========================================================  ===========================  ==========
event (v1 name)                                           allowed when the email is    afterwards
========================================================  ===========================  ==========
``delivery`` (``delivered``)                              ``sent``                     delivered
``bounce`` (``bounced``; ``bounce_type`` hard or soft)    ``sent``                     bounced
``delay`` (``deferred``)                                  ``sent``                     sent
``policy_rejection``, ``generation_failure``,             ``sent``                     failed
``generation_rejection``
``out_of_band`` (a bounce after delivery)                 ``delivered``                bounced
``open`` / ``initial_open`` (``opened``)                  ``delivered``, opens tracked delivered
``click`` (``clicked``)                                   ``delivered``, clicks tracked delivered
``amp_open`` / ``amp_initial_open`` / ``amp_click``       the same, and an AMP body    delivered
``spam_complaint`` (``complained``)                       ``delivered``, once          delivered
``list_unsubscribe`` / ``link_unsubscribe``               ``delivered``, once          delivered
(``unsubscribed``)
========================================================  ===========================  ==========

``injection`` is recorded when the email is sent and cannot be simulated. Anything else raises
:class:`InvalidTransition`. :func:`suppresses` is the one suppression rule of the account.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from ..casing import snake_keys
from ..errors import InvalidTransition
from ..webhooks.events import EVENT_TYPES as V1_EVENT_TYPES
from ..webhooks.events import sample_data
from ..webhooks.payloads import BOUNCE_CLASSES, HARD_BOUNCE_CLASSES, LIST_UNSUBSCRIBE_REASONS
from .emails import Email, address_of

if TYPE_CHECKING:
    from .account import Account, Event

BOUNCE_TYPES = ("hard", "soft")
#: Bounce categories (and SMTP replies) by bounce type.
BOUNCE_CATEGORIES: dict[str, dict[str, str]] = {
    "hard": {"invalid_recipient": "550 5.1.1 The email account that you tried to reach does not exist",
             "invalid_domain": "550 5.1.2 The recipient domain does not accept mail"},
    "soft": {"mailbox_full": "452 4.2.2 The recipient's mailbox is full",
             "dns_failure": "451 4.4.3 Temporary DNS failure for the recipient domain",
             "spam_block": "421 4.7.0 Message temporarily deferred due to the sender's reputation"},
}
#: What a failure before delivery reports when the test gives no ``reason``.
FAILURE_REASONS: dict[str, tuple[str, str]] = {
    "policy_rejection": ("554", "554 5.7.1 The message was rejected by a sending policy"),
    "generation_failure": ("500", "The message could not be generated (a template or substitution error)"),
    "generation_rejection": ("554", "The message was rejected while it was being generated"),
}
#: The reason of the policy rejection a suppressed recipient's send records.
SUPPRESSED_REASON = "554 5.7.1 The recipient is on the account's suppression list"
_SENT = ("sent", "queued")


@dataclass(frozen=True)
class Move:
    """One thing that can happen to a sent email, by its current-API name."""

    name: str
    account_type: str  # the account event it records (v1's name where v1 has the event)
    past: str  # for messages: "it cannot be <past>"
    allowed_from: tuple[str, ...]
    status: str | None = None  # the email's status afterwards (None: unchanged)
    tracking: str | None = None  # "opens" / "clicks": needs that tracking on
    amp: bool = False  # needs an AMP body
    once: bool = False  # at most once per email (complaints, unsubscribes)


MOVES: dict[str, Move] = {move.name: move for move in (
    Move("injection", "email.sent", "injected", ()),
    Move("delivery", "email.delivered", "delivered", _SENT, "delivered"),
    Move("bounce", "email.bounced", "bounced", _SENT, "bounced"),
    Move("delay", "email.deferred", "deferred", _SENT),
    Move("out_of_band", "email.bounced", "bounced out of band", ("delivered",), "bounced"),
    Move("spam_complaint", "email.complained", "complained", ("delivered",), once=True),
    Move("policy_rejection", "email.policy_rejected", "rejected by policy", _SENT, "failed"),
    Move("open", "email.opened", "opened", ("delivered",), tracking="opens"),
    Move("initial_open", "email.opened", "opened", ("delivered",), tracking="opens"),
    Move("click", "email.clicked", "clicked", ("delivered",), tracking="clicks"),
    Move("amp_open", "email.opened", "opened (AMP)", ("delivered",), tracking="opens", amp=True),
    Move("amp_initial_open", "email.opened", "opened (AMP)", ("delivered",), tracking="opens", amp=True),
    Move("amp_click", "email.clicked", "clicked (AMP)", ("delivered",), tracking="clicks", amp=True),
    Move("generation_failure", "email.generation_failed", "failed in generation", _SENT, "failed"),
    Move("generation_rejection", "email.generation_rejected", "rejected in generation", _SENT, "failed"),
    Move("list_unsubscribe", "email.unsubscribed", "unsubscribed", ("delivered",), once=True),
    Move("link_unsubscribe", "email.unsubscribed", "unsubscribed", ("delivered",), once=True),
)}
#: v1's event names → the move they make (``unsubscribed`` is settled by its ``reason``).
V1_NAMES: dict[str, str] = {"delivered": "delivery", "bounced": "bounce", "deferred": "delay", "opened": "open",
                            "clicked": "click", "complained": "spam_complaint", "unsubscribed": "link_unsubscribe"}
#: Every name :func:`simulate` accepts.
EVENTS: tuple[str, ...] = (*V1_NAMES, *MOVES)
_WEBHOOK_CATEGORIES = ("message.", "engagement.", "engagament.", "generation.", "unsubscribe.")


def normalise_event(event: str) -> str:
    """The name as given, without an ``email.`` or webhook-category prefix (``message.bounce``)."""
    name = event.removeprefix("email.")
    for prefix in _WEBHOOK_CATEGORIES:
        name = name.removeprefix(prefix)
    if name not in V1_NAMES and name not in MOVES:
        raise ValueError(f"unknown email event {event!r}; one of: {', '.join(EVENTS)}")
    return name


def _opens_of_kind(email: Email, amp: bool) -> int:
    amp_opens = int(email.extra.get("amp_opens", 0))
    return amp_opens if amp else email.opens - amp_opens


def resolve(email: Email, name: str, given: Mapping[str, Any]) -> Move:
    """The move ``name`` makes now: v1 names map to theirs, and an open is ``initial_open`` (or
    ``amp_initial_open``) exactly when it is the email's first of its kind."""
    if name == "unsubscribed":
        name = "list_unsubscribe" if given.get("reason") in LIST_UNSUBSCRIBE_REASONS else "link_unsubscribe"
    name = V1_NAMES.get(name, name)
    move = MOVES[name]
    if move.account_type == "email.opened":
        first = _opens_of_kind(email, move.amp) == 0
        if first:
            return MOVES["amp_initial_open" if move.amp else "initial_open"]
        if name.endswith("initial_open"):
            raise InvalidTransition(f"Email {email.id} was already opened: a later open is "
                                    f"'{name.replace('initial_', '')}'", param="event")
        return MOVES["amp_open" if move.amp else "open"]
    return move


def check_transition(email: Email, move: Move, label: str | None = None) -> None:
    """Raise :class:`InvalidTransition` unless ``move`` may happen to ``email`` now."""
    label = label or move.past
    if move.name == "injection":
        raise InvalidTransition(f"Email {email.id} was injected when it was sent; injection cannot be simulated",
                                param="event")
    if email.status not in move.allowed_from:
        raise InvalidTransition(
            f"Email {email.id} is '{email.status}': it cannot be {label} "
            f"(only when {' or '.join(repr(s) for s in move.allowed_from)})", param="event")
    _check_requirements(email, move, label)


def _check_requirements(email: Email, move: Move, label: str) -> None:
    """Tracking, an AMP body, and at most once, where the move needs them."""
    if move.tracking is not None and not email.tracking.get(move.tracking, True):
        kind = "Open" if move.tracking == "opens" else "Click"
        raise InvalidTransition(f"{kind} tracking is off for email {email.id}", param="event")
    if move.amp and not email.extra.get("amp_html"):
        raise InvalidTransition(f"Email {email.id} has no AMP body: it cannot be {label}", param="event")
    if move.once and email.extra.get(_once_key(move)) is not None:
        raise InvalidTransition(f"Email {email.id} was already {move.past}", param="event")


def _once_key(move: Move) -> str:
    return move.account_type.removeprefix("email.") + "_at"


def _check_recipient(email: Email, recipient: str | None) -> None:
    if recipient is not None and address_of(recipient) not in {address_of(a) for a in email.recipients}:
        raise ValueError(f"{recipient!r} is not a recipient of email {email.id}")


def _bounce_type(given: Mapping[str, Any]) -> tuple[str, int | None]:
    """The bounce type given, else the one a given ``bounce_class`` implies, else ``hard``."""
    bounce_class = given.get("bounce_class")
    if bounce_class is not None and (isinstance(bounce_class, bool) or not isinstance(bounce_class, int)):
        raise ValueError(f"bounce_class must be an integer, not {bounce_class!r}")
    implied = "hard" if bounce_class is None or bounce_class in HARD_BOUNCE_CLASSES else "soft"
    bounce_type = given.get("bounce_type", implied)
    if bounce_type not in BOUNCE_TYPES:
        raise ValueError(f"bounce_type must be 'hard' or 'soft', not {bounce_type!r}")
    return bounce_type, bounce_class


def _bounced(account: Account, email: Email, now: datetime, given: dict[str, Any]) -> dict[str, Any]:
    bounce_type, bounce_class = _bounce_type(given)
    categories = BOUNCE_CATEGORIES[bounce_type]
    matching = sorted(c for c in categories if BOUNCE_CLASSES[c] == bounce_class) or sorted(categories)
    category = given.get("bounce_category") or account.entropy.choice(matching)
    return {"bounce_type": bounce_type, "bounce_category": category,
            "message": categories.get(category, f"Bounced ({category})"), **given}


def _opened(account: Account, email: Email, now: datetime, given: dict[str, Any]) -> dict[str, Any]:
    given.setdefault("is_first_open", email.opens == 0)
    return given


def _deferred(account: Account, email: Email, now: datetime, given: dict[str, Any]) -> dict[str, Any]:
    retry = given.setdefault("retry_count", int(email.extra.get("deferrals", 0)) + 1)
    if not isinstance(retry, int) or isinstance(retry, bool) or retry < 1:
        raise ValueError("retry_count must be a positive integer")
    given.setdefault("next_retry_at", now + timedelta(minutes=5 * 2 ** min(retry, 8)))
    return given


#: What each account event fills in from the email (before the seeded sample) when the test did not say.
_DEFAULTS: dict[str, Callable[[Account, Email, datetime, dict[str, Any]], dict[str, Any]]] = {
    "email.bounced": _bounced, "email.opened": _opened, "email.deferred": _deferred,
}


def _base_data(account: Account, move: Move, now: datetime) -> dict[str, Any]:
    """The seeded sample of the account event (failures, which v1 lacks, get their reason)."""
    if move.account_type in V1_EVENT_TYPES:
        data = sample_data(move.account_type, account.entropy, now)
    else:
        code, reason = FAILURE_REASONS[move.name]
        data = {"reason": reason, "error_code": code, "failed_at": now}
    if move.name == "list_unsubscribe" and data.get("reason") not in LIST_UNSUBSCRIBE_REASONS:
        data["reason"] = "list_unsubscribe"
    elif move.name == "link_unsubscribe" and data.get("reason") in LIST_UNSUBSCRIBE_REASONS:
        data["reason"] = "link_unsubscribe"
    return data


def event_data(account: Account, email: Email, move: Move, now: datetime,
               given: dict[str, Any]) -> dict[str, Any]:
    """Realistic snake_case data for ``move`` of ``email`` at ``now``; ``given`` details win."""
    recipient = given.pop("to", email.to[0] if email.to else None)
    _check_recipient(email, recipient)
    defaults = _DEFAULTS.get(move.account_type)
    if defaults is not None:
        given = defaults(account, email, now, given)
    data = _base_data(account, move, now)
    data.update(given)
    data["email_id"] = email.id
    data["to"] = recipient
    return data


def _delivered(email: Email, move: Move, data: Mapping[str, Any], at: datetime) -> None:
    email.delivered_at = at


def _bounce_recorded(email: Email, move: Move, data: Mapping[str, Any], at: datetime) -> None:
    email.extra["bounce"] = {k: data[k] for k in ("bounce_type", "bounce_category", "message") if k in data}
    email.extra["bounced_at"] = at


def _deferral(email: Email, move: Move, data: Mapping[str, Any], at: datetime) -> None:
    email.extra["deferrals"] = int(email.extra.get("deferrals", 0)) + 1


def _open(email: Email, move: Move, data: Mapping[str, Any], at: datetime) -> None:
    email.opens += 1
    email.extra["amp_opens"] = int(email.extra.get("amp_opens", 0)) + move.amp
    email.first_opened_at = email.first_opened_at or at
    email.last_opened_at = at


def _click(email: Email, move: Move, data: Mapping[str, Any], at: datetime) -> None:
    email.clicks += 1
    email.extra.setdefault("first_clicked_at", at)
    email.extra.setdefault("clicked_urls", []).append(data.get("url"))


#: How each account event changes the email's counters and times (besides its status).
_EFFECTS: dict[str, Callable[[Email, Move, Mapping[str, Any], datetime], None]] = {
    "email.delivered": _delivered, "email.bounced": _bounce_recorded, "email.deferred": _deferral,
    "email.opened": _open, "email.clicked": _click,
}


def apply(email: Email, move: Move, data: Mapping[str, Any], at: datetime) -> None:
    """Update ``email``'s fields for a move already checked with :func:`check_transition`."""
    if move.status is not None:
        email.status = move.status
    effect = _EFFECTS.get(move.account_type)
    if effect is not None:
        effect(email, move, data, at)
    if move.status == "failed":
        email.extra["failure"] = {"type": move.name, "reason": data.get("reason")}
    if move.once:
        email.extra[_once_key(move)] = at


def suppresses(move: str, data: Mapping[str, Any]) -> bool:
    """The account's one suppression rule: a hard bounce (in band or out of band), a spam complaint
    and an unsubscribe (List-Unsubscribe or link) put the recipient on the list for good."""
    if move in ("bounce", "out_of_band"):
        return data.get("bounce_type") == "hard"
    return move in ("spam_complaint", "list_unsubscribe", "link_unsubscribe")


def reject_suppressed(account: Account, email: Email) -> list[Event]:
    """A ``policy_rejection`` for each recipient the send dropped because it is suppressed (the
    spec's policy rejections include the suppression list); the email keeps its status."""
    code, _ = FAILURE_REASONS["policy_rejection"]
    now = account.clock.now()
    return [account.emit("email.policy_rejected", email,
                         {"email_id": email.id, "to": recipient, "reason": SUPPRESSED_REASON, "error_code": code,
                          "failed_at": now}, api_type="policy_rejection")
            for recipient in email.extra.get("rejected_recipients", [])]


def simulate(account: Account, email_id: str, event: str, **details: Any) -> Event:
    """Make ``event`` happen to the email now; returns the recorded :class:`Event`.

    ``event`` is a current-API event type (``delivery``, ``initial_open``, ``out_of_band``, ...),
    optionally with its webhook category (``message.bounce``), or a v1 name (``delivered``, ...).
    ``details`` (snake_case or camelCase) replace the generated event fields, e.g.
    ``bounce_type="soft"``, ``bounce_class=10``, ``url=...``, ``user_agent=...``, ``reason=...``,
    ``to=...``.
    """
    name = normalise_event(event)
    for key in details:
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", key):
            raise ValueError(f"bad detail name {key!r}")
    given = snake_keys(details)
    now = account.clock.now()
    with account.lock:
        email = account.outbox.get(email_id)
        move = resolve(email, name, given)
        check_transition(email, move, name if name in V1_NAMES else None)
        data = event_data(account, email, move, now, given)
        apply(email, move, data, now)
        if suppresses(move.name, data) and data.get("to"):
            account.suppressions.add(address_of(str(data["to"])))
    return account.emit(move.account_type, email, data, api_type=move.name)


__all__ = ["EVENTS", "MOVES", "InvalidTransition", "Move", "check_transition", "reject_suppressed", "simulate",
           "suppresses"]
