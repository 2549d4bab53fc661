"""The inbox's forms (POST): each calls one state operation, then shows the page with the result.

The lifecycle buttons call :func:`~pytest_lettr.state.lifecycle.simulate` (what
``lettr_server.simulate`` calls, so webhooks fire), the clock form moves the account clock (due
scheduled emails and webhook retries then run), Retry is the delivery engine's manual retry, and
the domain forms are the domain store's ``verify`` and ``fail_dns``; Delete and Clear are the
outbox's audited ``delete_email`` and ``clear_outbox``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from urllib.parse import quote

from werkzeug.wrappers import Response

from ..errors import InvalidParameter, NotFound
from ..state import emails
from ..state.lifecycle import simulate as simulate_event
from .context import Context
from .pages import BUTTONS

#: The clock form's units, and the longest move it accepts (ten years).
UNITS = ("minutes", "hours", "days")
MAX_DAYS = 3650


def _field(context: Context, name: str) -> str:
    value = context.request.form.get(name)
    if value is None or not value.strip():
        raise InvalidParameter(f"The form needs '{name}'", param=name)
    return value.strip()


def simulate(context: Context, email_id: str) -> Response:
    event = _field(context, "event")
    if event not in BUTTONS.values():
        raise InvalidParameter(f"'{event[:40]}' is not one of: {', '.join(BUTTONS.values())}", param="event")
    simulate_event(context.account, email_id, event)
    return context.back(f"/emails/{quote(email_id)}")


def delete_email(context: Context, email_id: str) -> Response:
    emails.delete_email(context.account, context.actor, email_id)
    return context.back("/")


def clear_outbox(context: Context) -> Response:
    emails.clear_outbox(context.account, context.actor)
    return context.back("/")


def retry(context: Context, delivery_id: str) -> Response:
    engine = context.account.delivery_engine
    delivery = engine.get(delivery_id)
    if delivery is None:
        raise NotFound(f"Delivery '{delivery_id}' not found")
    engine.retry(delivery)
    return context.back(f"/deliveries#{quote(delivery_id)}")


def verify_domain(context: Context, domain_id: str) -> Response:
    context.account.domains.verify(domain_id, actor=context.actor)
    return context.back(f"/domains#{quote(domain_id)}")


def fail_record(context: Context, domain_id: str) -> Response:
    domains = context.account.domains
    domains.get(domain_id)
    domains.fail_dns(domain_id, _field(context, "record"))
    return context.back(f"/domains#{quote(domain_id)}")


def advance_clock(context: Context) -> Response:
    unit = _field(context, "unit")
    if unit not in UNITS:
        raise InvalidParameter(f"The unit must be one of: {', '.join(UNITS)}", param="unit")
    try:
        amount = float(_field(context, "amount"))
    except ValueError:
        raise InvalidParameter("The amount must be a number", param="amount") from None
    days = amount * {"minutes": 1 / 1440, "hours": 1 / 24, "days": 1}[unit]
    if not math.isfinite(amount) or amount <= 0 or days > MAX_DAYS:
        raise InvalidParameter(f"The amount must be above 0 and at most {MAX_DAYS} days", param="amount")
    context.account.clock.advance(**{unit: amount})
    return context.back("/clock")


HANDLERS: dict[str, Callable[..., Response]] = {
    "simulate": simulate, "delete_email": delete_email, "clear_outbox": clear_outbox, "retry": retry,
    "verify_domain": verify_domain, "fail_record": fail_record, "advance_clock": advance_clock}
