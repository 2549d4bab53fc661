"""Scale: every list, filter and stats endpoint with 100k stored emails vs 100, and memory per email.

Two accounts are filled by the state's send operation (``sending.send``: rules, storage, the
``email.sent`` audit entry and event, exactly what an HTTP send does after parsing), spread over
the last five days on the account clock: 100 emails in one, 100,000 in the other. In both, the
same shares are delivered (60 %, with opens on a third of those), bounced (2 %), tagged
``promo`` (a third), sent by a second key (a quarter) and sent to ``target@example.com`` (all
of the small account's, 1 in 100 of the large one's), and 30 emails are scheduled in each, so
every query below fills its page in both and only the number stored differs. The same in-process
keep-alive client times each query on both servers, interleaved, one request at a time.

Memory per email is what ``tracemalloc`` sees an account grow by over 20,000 such sends (the
email, its event, its audit entry, the indexes and tallies), divided by 20,000.
"""

from __future__ import annotations

import time
import tracemalloc
from datetime import timedelta

import httpx
from bench_common import Result, check, median

from pytest_lettr import LettrServer
from pytest_lettr.state import Account
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
            simulate(account, email.id, "bounced", bounce_type="soft")
        elif i % 5 < 3:
            simulate(account, email.id, "delivered")
            if i % 3 == 1:
                simulate(account, email.id, "opened")
    account.clock.set(start + SPREAD + timedelta(minutes=1), frozen=True)
    return second.id


def queries(second_key: str, today: str, yesterday: str) -> dict[str, tuple[str, dict[str, str]]]:
    """Every list, filter and stats query, by label: (path, params)."""
    return {
        "GET /v1/emails": ("/v1/emails", {"limit": "20"}),
        "GET /v1/emails?to=": ("/v1/emails", {"limit": "20", "to": TARGET}),
        "GET /v1/emails?status=delivered": ("/v1/emails", {"limit": "20", "status": "delivered"}),
        "GET /v1/emails?tags=promo": ("/v1/emails", {"limit": "20", "tags": "promo"}),
        "GET /v1/emails?from_date=&to_date=": ("/v1/emails", {"limit": "20", "from_date": yesterday,
                                                                "to_date": today}),
        "GET /v1/emails?status=&tags=&to=": ("/v1/emails", {"limit": "10", "status": "delivered",
                                                            "tags": "promo", "to": TARGET}),
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
    """Whether a warm-up answer has a full page (lists) or counts anything (stats)."""
    size = int(params.get("limit") or params.get("per_page") or 0)
    if "/stats" in label:
        return int(body["sent"]) > 0
    if "/analytics" in label:
        return sum(row["sent"] for row in body["data"]) > 0
    if label.startswith("GET /api/emails/scheduled"):
        return len(body["data"]["scheduled_emails"]) == size
    if label.startswith("GET /api"):
        return len(body["data"]["events"]["data"]) == size
    return len(body["data"]) == size


def memory_per_email() -> float:
    server = LettrServer(seed="scale-memory")
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    fill(server, MEMORY_SAMPLE, every_nth_to_target=100)
    grown = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    return grown / (MEMORY_SAMPLE + SCHEDULED)


def run(quick: bool = False) -> tuple[Result, ...]:
    large_count = 20_000 if quick else LARGE
    rounds = 20 if quick else 60
    servers = {"small": LettrServer(seed="scale-small"), "large": LettrServer(seed="scale-large")}
    seeded = time.perf_counter()
    second = {"small": fill(servers["small"], SMALL, every_nth_to_target=1),
              "large": fill(servers["large"], large_count, every_nth_to_target=100)}
    seeded = time.perf_counter() - seeded
    per_email = memory_per_email() if not quick else 0.0
    samples: dict[str, dict[str, list[float]]] = {}
    for server in servers.values():
        server.start()
    try:
        clients = {name: httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {server.admin_key}"},
                                      timeout=60)
                   for name, server in servers.items()}
        now = servers["large"].clock.now()
        today, yesterday = now.date().isoformat(), (now - timedelta(days=1)).date().isoformat()
        table = {size: queries(second[size], today, yesterday) for size in servers}
        for size, client in clients.items():  # warm up, and check that every page is full
            for label, (path, params) in table[size].items():
                response = client.get(path, params=params)
                full = response.status_code == 200 and _full(label, params, response.json())
                assert full, (size, label, response.text)
        for _ in range(rounds):
            for label in table["small"]:
                for size, client in clients.items():
                    path, params = table[size][label]
                    started = time.perf_counter()
                    response = client.get(path, params=params)
                    samples.setdefault(label, {}).setdefault(size, []).append((time.perf_counter() - started) * 1000)
                    assert response.status_code == 200
        for client in clients.values():
            client.close()
    finally:
        for server in servers.values():
            server.stop()
    results = []
    for label, by_size in samples.items():
        ours, baseline = median(by_size["large"]), median(by_size["small"])
        ratio = ours / baseline
        results.append(Result(
            name=f"Scale: {label}",
            metric="median latency, ms",
            ours_label=f"{large_count:,} emails stored",
            ours=ours,
            baseline_label=f"{SMALL} emails stored",
            baseline=baseline,
            ratio=ratio,
            goal=GOAL,
            met=check(ratio, GOAL),
            extra={"memory per stored email": f"{per_email:,.0f} bytes (email, event, audit entry, indexes)",
                   "seeding both accounts by real sends": f"{seeded:.1f} s"} if not results else {},
            notes=[f"{rounds} requests per query and size, interleaved, one in-process keep-alive client."]
            if not results else [],
        ))
    return tuple(results)
