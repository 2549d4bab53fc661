"""Scale: every list, filter and stats endpoint with 100k stored emails vs 100, and memory per email.

Two accounts are filled by the state's send operation (``sending.send``: rules, storage, the
``email.sent`` audit entry and event, exactly what an HTTP send does after parsing), spread over
the last five days on the account clock: 100 emails in one, 100,000 in the other. In both, the
same shares are delivered (60 %, with opens on a third of those), bounced (2 %), tagged
``promo`` (a third), sent by a second key (a quarter) and sent to ``target@example.com`` (all
of the small account's, 1 in 100 of the large one's), and 30 emails are scheduled in each, so
every query below fills its page in both and only the number stored differs. The same in-process
keep-alive client times each query on both servers, interleaved, one request at a time.

Both accounts also hold the same few of every other listed resource (keys, webhooks of both
dialects, domains, templates, a team member, an audience of contacts, lists, topics, properties
and segments, and a sent campaign), so every list endpoint of both dialects is timed at both sizes.

A second pair of accounts holds 20,000 contacts vs 100 (half of them in a list, a tenth
unsubscribed, all in an opt-out topic, matched by a segment), for the audience lists themselves.

Memory per email is what ``tracemalloc`` sees an account grow by over 20,000 such sends (the
email, its event, its audit entry, the indexes and tallies), divided by 20,000.
"""

from __future__ import annotations

import time
import tracemalloc
from datetime import date, timedelta

import httpx
from bench_common import Result, check, median

from pytest_lettr import LettrServer
from pytest_lettr.state import Account
from pytest_lettr.state.audience import contacts
from pytest_lettr.state.audience.models import Condition
from pytest_lettr.state.audit import Actor
from pytest_lettr.state.lifecycle import simulate
from pytest_lettr.state.sending import Draft, send

GOAL = "<= 1.5"
TARGET = "target@example.com"
LARGE = 100_000
SMALL = 100
SCHEDULED = 30
SPREAD = timedelta(days=5)
MEMORY_SAMPLE = 20_000
CONTACTS_LARGE = 20_000
CONTACTS_SMALL = 100
#: Queries whose answer is not a full page in either account (one transmission's few events).
PARTIAL = frozenset({"GET /api/emails/events?transmissions="})


def furnish(server: LettrServer) -> dict[str, str]:
    """A few of every other listed resource, the same in each account; returns ids the queries name."""
    account: Account = server.account
    actor = Actor.system()
    for i in range(3):
        server.create_key(f"extra {i}", permissions=["emails:send"])
        account.webhooks.create(f"http://127.0.0.1:9/v1-hook-{i}", ["email.bounced"], actor=actor)
        account.api_webhooks.create(f"hook {i}", f"http://127.0.0.1:9/api-hook-{i}", event_types=["message.bounce"],
                                    actor=actor)
        account.domains.create(f"mail{i}.example.com", verified=True, actor=actor)
        account.templates.create(f"Template {i}", html="<p>Hi {{ name }}</p>", actor=actor)
    account.team.invite("new.hire@shop.example.com", "developer", actor=actor)
    ids = audience(account, 5)
    campaign = account.campaigns.create(name="Launch", subject="New", from_email="news@shop.example.com",
                                        html="<p>New things</p>", all_contacts=True)
    account.campaigns.send(campaign, actor)
    for email in account.campaigns.emails_of(campaign):
        simulate(account, email.id, "delivered")
    return {**ids, "campaign": campaign.id}


def audience(account: Account, count: int) -> dict[str, str]:
    """``count`` contacts (half in a list, a tenth unsubscribed, all in an opt-out topic), two
    lists, two topics, a property and a segment; returns the ids the queries name."""
    store, actor = account.audience, Actor.system()
    lists = [store.create_list(name, actor) for name in ("Customers", "Newsletter")]
    store.create_topic("Product news", actor, default_subscription="opt_out")
    store.create_topic("Events", actor)
    store.create_property("plan", "string", actor)
    segment = store.create_segment("Pro", [[Condition("properties.plan", "equals", "pro")]], actor)
    for i in range(count):
        contact = contacts.create(store, f"person{i}@example.net", actor, list_id=lists[0].id if i % 2 else None,
                                  properties={"plan": "pro" if i % 3 == 0 else "free"})
        if i % 10 == 0:
            contacts.update(store, contact, actor, status="unsubscribed")
    return {"list": lists[0].id, "segment": segment.id}


def fill(server: LettrServer, count: int, *, every_nth_to_target: int) -> str:
    """Send ``count`` emails into the server's account; returns the second key's id."""
    account: Account = server.account
    admin = account.admin_key.api_key
    second = server.create_key("worker", permissions=["emails:send"]).api_key
    start = account.clock.now() - SPREAD
    step = SPREAD / (count + SCHEDULED)
    for i in range(count + SCHEDULED):
        account.clock.set(start + step * i, frozen=True)
        key = second if i % 4 == 0 else admin
        scheduled = i >= count
        draft = Draft(sender="Shop <orders@shop.example.com>",
                      to=[TARGET if i % every_nth_to_target == 0 else f"user{i % 997}@example.org"],
                      subject=f"Your order #{i} has shipped", html=f"<p>Hello, order {i} is on its way.</p>",
                      tags=["shipping", "promo"] if i % 3 == 0 else ["shipping"], metadata={"order": str(i)},
                      scheduled_at=start + SPREAD + timedelta(days=1, minutes=i) if scheduled else None)
        actor = Actor(id=key.id, type="api_key", ip_address="127.0.0.1", key_prefix=key.key_prefix)
        email = send(account, key, actor, [draft])[0]
        if scheduled:
            continue
        if i % 50 == 1:
            simulate(account, email.id, "bounced", bounce_type="soft", bounce_class=21)
        elif i % 5 < 3:
            simulate(account, email.id, "delivered")
            if i % 3 == 1:
                simulate(account, email.id, "opened")
    account.clock.set(start + SPREAD + timedelta(minutes=1), frozen=True)
    return second.id


def queries(second_key: str, today: str, yesterday: str, ids: dict[str, str]) -> dict[str, tuple[str, dict[str, str]]]:
    """Every list, filter and stats query, by label: (path, params)."""
    return {
        **email_queries(second_key, today, yesterday),
        **event_queries(today, yesterday, ids),
        **{f"GET {path}": (path, {}) for path in OTHER_LISTS},
        "GET /api/campaigns/{id}/events": (f"/api/campaigns/{ids['campaign']}/events", {"limit": "3"}),
    }


#: Lists of resources other than emails, the same few items in both accounts.
OTHER_LISTS = ("/v1/api-keys", "/v1/webhooks", "/v1/domains", "/v1/team/members", "/api/domains", "/api/templates",
               "/api/webhooks", "/api/campaigns", "/api/audience/contacts", "/api/audience/lists",
               "/api/audience/topics", "/api/audience/properties", "/api/audience/segments")


def contact_queries(ids: dict[str, str]) -> dict[str, tuple[str, dict[str, str]]]:
    """The audience lists and each contacts filter."""
    return {
        "GET /api/audience/contacts": ("/api/audience/contacts", {"per_page": "3"}),
        "GET /api/audience/contacts?status=": ("/api/audience/contacts", {"per_page": "3", "status": "unsubscribed"}),
        "GET /api/audience/contacts?list_id=": ("/api/audience/contacts", {"per_page": "3", "list_id": ids["list"]}),
        "GET /api/audience/contacts?segment_id=": ("/api/audience/contacts", {"per_page": "3",
                                                                              "segment_id": ids["segment"]}),
        "GET /api/audience/contacts?search=": ("/api/audience/contacts", {"per_page": "3", "search": "person1"}),
        "GET /api/audience/lists": ("/api/audience/lists", {}),
        "GET /api/audience/topics": ("/api/audience/topics", {}),
        "GET /api/audience/properties": ("/api/audience/properties", {}),
        "GET /api/audience/segments": ("/api/audience/segments", {}),
    }


def event_queries(today: str, yesterday: str, ids: dict[str, str]) -> dict[str, tuple[str, dict[str, str]]]:
    """``GET /api/emails/events`` plain, with each filter, two at once, a window and a second page."""
    page = {"per_page": "20"}
    return {
        "GET /api/emails/events": ("/api/emails/events", page),
        "GET /api/emails/events?events=delivery": ("/api/emails/events", {**page, "events": "delivery"}),
        "GET /api/emails/events?recipients=": ("/api/emails/events", {**page, "recipients": TARGET}),
        "GET /api/emails/events?transmissions=": ("/api/emails/events", {**page, "transmissions": ids["transmission"]}),
        "GET /api/emails/events?bounce_classes=21": ("/api/emails/events", {"per_page": "1", "bounce_classes": "21"}),
        "GET /api/emails/events?events=&recipients=": ("/api/emails/events", {**page, "events": "delivery,initial_open",
                                                                              "recipients": TARGET}),
        "GET /api/emails/events?from=&to=": ("/api/emails/events", {**page, "from": _days_before(today, 4),
                                                                    "to": _days_before(today, 1)}),
        "GET /api/emails/events?cursor=": ("/api/emails/events", {**page, "cursor": ids["events_cursor"]}),
    }


def _days_before(day: str, days: int) -> str:
    return (date.fromisoformat(day) - timedelta(days=days)).isoformat()


def email_queries(second_key: str, today: str, yesterday: str) -> dict[str, tuple[str, dict[str, str]]]:
    """The email, audit and stats queries."""
    four_days_ago = _days_before(today, 4)
    return {
        "GET /v1/emails": ("/v1/emails", {"limit": "20"}),
        "GET /v1/emails?to=": ("/v1/emails", {"limit": "20", "to": TARGET}),
        "GET /v1/emails?status=delivered": ("/v1/emails", {"limit": "20", "status": "delivered"}),
        "GET /v1/emails?tags=promo": ("/v1/emails", {"limit": "20", "tags": "promo"}),
        "GET /v1/emails?from_date=&to_date=": ("/v1/emails", {"limit": "20", "from_date": yesterday,
                                                                "to_date": today}),
        "GET /v1/emails?status=&tags=&to=": ("/v1/emails", {"limit": "10", "status": "delivered",
                                                            "tags": "promo", "to": TARGET}),
        "GET /v1/emails?status=&to=": ("/v1/emails", {"limit": "20", "status": "delivered", "to": TARGET}),
        "GET /v1/emails?status=&tags=": ("/v1/emails", {"limit": "10", "status": "delivered", "tags": "promo"}),
        "GET /v1/emails?tags=&to=": ("/v1/emails", {"limit": "20", "tags": "promo", "to": TARGET}),
        "GET /v1/emails?status=&tags=&to=&dates": ("/v1/emails", {"limit": "5", "status": "delivered", "tags": "promo",
                                                                  "to": TARGET, "from_date": four_days_ago,
                                                                  "to_date": today}),
        "GET /v1/audit-logs": ("/v1/audit-logs", {"limit": "20"}),
        "GET /v1/audit-logs?action=email.sent": ("/v1/audit-logs", {"limit": "20", "action": "email.sent"}),
        "GET /v1/audit-logs?action=email.*": ("/v1/audit-logs", {"limit": "20", "action": "email.*"}),
        "GET /v1/audit-logs?actorId=": ("/v1/audit-logs", {"limit": "20", "actorId": second_key}),
        "GET /v1/audit-logs?resourceType=email": ("/v1/audit-logs", {"limit": "20", "resourceType": "email"}),
        "GET /v1/audit-logs?startDate=&endDate=": ("/v1/audit-logs", {"limit": "20", "startDate": yesterday,
                                                                       "endDate": today}),
        "GET /v1/stats?period=7d": ("/v1/stats", {"period": "7d"}),
        "GET /v1/stats?period=30d": ("/v1/stats", {"period": "30d"}),
        "GET /v1/analytics": ("/v1/analytics", {}),
        "GET /v1/analytics?tags=promo": ("/v1/analytics", {"tags": "promo"}),
        "GET /api/emails": ("/api/emails", {"per_page": "20"}),
        "GET /api/emails?recipients=": ("/api/emails", {"per_page": "20", "recipients": TARGET}),
        "GET /api/emails/scheduled": ("/api/emails/scheduled", {"per_page": "20"}),
    }


def _full(label: str, params: dict[str, str], body: dict) -> bool:  # type: ignore[type-arg]
    """Whether a warm-up answer has a full page (lists), some items (unpaged lists and the few
    events of one transmission) or counts anything (stats)."""
    size = int(params.get("limit") or params.get("per_page") or 0)
    if "/stats" in label:
        return int(body["sent"]) > 0
    if "/analytics" in label:
        return sum(row["sent"] for row in body["data"]) > 0
    items = _items(body["data"])
    return len(items) > 0 if label in PARTIAL or not size else len(items) == size


def _items(data: object) -> list[object]:
    """The listed items of an answer: v1's ``data``, or the first list inside the current API's."""
    if isinstance(data, list):
        return data
    if isinstance(data, dict):
        for value in data.values():
            found = _items(value) if isinstance(value, (list, dict)) else None
            if found:
                return found
    return []


def memory_per_email() -> float:
    server = LettrServer(seed="scale-memory")
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    fill(server, MEMORY_SAMPLE, every_nth_to_target=100)
    grown = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    return grown / (MEMORY_SAMPLE + SCHEDULED)


def _ids(server: LettrServer) -> dict[str, str]:
    """The resources every account gets, and a transmission of an email to the target."""
    ids = furnish(server)
    found = server.account.outbox.select(recipient=TARGET, statuses=("delivered",))
    ids["transmission"] = next(server.account.outbox.at(p).request_id or "" for p in reversed(list(found)))
    return ids


def _time(tables: dict[str, dict[str, tuple[str, dict[str, str]]]], servers: dict[str, LettrServer],
          rounds: int) -> dict[str, dict[str, list[float]]]:
    """Warm up (checking every page is full), then time every query on both sizes, interleaved."""
    samples: dict[str, dict[str, list[float]]] = {}
    clients = {name: httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {server.admin_key}"},
                                  timeout=60) for name, server in servers.items()}
    try:
        for size, client in clients.items():
            for label, (path, params) in tables[size].items():
                response = client.get(path, params=params)
                full = response.status_code == 200 and _full(label, params, response.json())
                assert full, (size, label, response.text[:500])
        for _ in range(rounds):
            for label in tables["small"]:
                for size, client in clients.items():
                    path, params = tables[size][label]
                    started = time.perf_counter()
                    response = client.get(path, params=params)
                    samples.setdefault(label, {}).setdefault(size, []).append((time.perf_counter() - started) * 1000)
                    assert response.status_code == 200
    finally:
        for client in clients.values():
            client.close()
    return samples


def _first_cursor(server: LettrServer) -> str:
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {server.admin_key}"}) as client:
        body = client.get("/api/emails/events", params={"per_page": "20"}).json()
    return str(body["data"]["events"]["pagination"]["next_cursor"])


def _contact_servers(quick: bool) -> dict[str, LettrServer]:
    servers = {"small": LettrServer(seed="contacts-small"), "large": LettrServer(seed="contacts-large")}
    audience(servers["small"].account, CONTACTS_SMALL)
    audience(servers["large"].account, 5_000 if quick else CONTACTS_LARGE)
    return servers


def run(quick: bool = False) -> tuple[Result, ...]:
    large_count = 20_000 if quick else LARGE
    rounds = 20 if quick else 60
    servers = {"small": LettrServer(seed="scale-small"), "large": LettrServer(seed="scale-large")}
    seeded = time.perf_counter()
    second = {"small": fill(servers["small"], SMALL, every_nth_to_target=1),
              "large": fill(servers["large"], large_count, every_nth_to_target=100)}
    ids = {size: _ids(server) for size, server in servers.items()}
    seeded = time.perf_counter() - seeded
    per_email = memory_per_email() if not quick else 0.0
    by_contacts = _contact_servers(quick)
    contact_ids = {size: {"list": server.account.audience.lists[0].id,
                          "segment": server.account.audience.segments[0].id} for size, server in by_contacts.items()}
    for server in (*servers.values(), *by_contacts.values()):
        server.start()
    try:
        now = servers["large"].clock.now()
        today, yesterday = now.date().isoformat(), (now - timedelta(days=1)).date().isoformat()
        for size, server in servers.items():
            ids[size]["events_cursor"] = _first_cursor(server)
        tables = {size: queries(second[size], today, yesterday, ids[size]) for size in servers}
        samples = _time(tables, servers, rounds)
        contact_samples = _time({size: contact_queries(contact_ids[size]) for size in by_contacts}, by_contacts,
                                rounds)
    finally:
        for server in (*servers.values(), *by_contacts.values()):
            server.stop()
    large_contacts = len(by_contacts["large"].account.audience.contacts)
    results = _results(samples, f"{large_count:,} emails stored", f"{SMALL} emails stored", "Scale",
                       extra={"memory per stored email": f"{per_email:,.0f} bytes (email, event, audit entry, "
                                                         "indexes)",
                              "seeding both accounts by real sends": f"{seeded:.1f} s"},
                       note=f"{rounds} requests per query and size, interleaved, one in-process keep-alive client.")
    results += _results(contact_samples, f"{large_contacts:,} contacts", f"{CONTACTS_SMALL} contacts",
                        "Scale (contacts)", extra={},
                        note=f"{rounds} requests per query and size, interleaved; no emails stored.")
    return tuple(results)


def _results(samples: dict[str, dict[str, list[float]]], ours_label: str, baseline_label: str, prefix: str, *,
             extra: dict[str, str], note: str) -> list[Result]:
    results = []
    for label, by_size in samples.items():
        ours, baseline = median(by_size["large"]), median(by_size["small"])
        ratio = ours / baseline
        results.append(Result(
            name=f"{prefix}: {label}",
            metric="median latency, ms",
            ours_label=ours_label,
            ours=ours,
            baseline_label=baseline_label,
            baseline=baseline,
            ratio=ratio,
            goal=GOAL,
            met=check(ratio, GOAL),
            extra=extra if not results else {},
            notes=[note] if not results else [],
        ))
    return results
