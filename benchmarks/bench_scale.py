"""Scale: list latency with 100k stored emails vs 100, and memory per stored email.

Two running servers: one account holds 100 emails, the other 100,000 (1 in 100 of them, and all
100 of the small one's, to ``target@example.com``, so both filters fill a 100-item page). The same
in-process keep-alive client times ``GET /v1/emails?limit=100`` and
``GET /v1/emails?limit=100&to=target@example.com`` on both, interleaved, one request at a time.
Memory per email is what ``tracemalloc`` sees the account grow by while the 100k are stored
(the email, its ``email.sent`` event and the indexes), divided by 100,000.
"""

from __future__ import annotations

import time
import tracemalloc
from datetime import timedelta

import httpx
from bench_common import Result, check, median

from pytest_lettr import LettrServer
from pytest_lettr.state import Account, Email

GOAL = "<= 1.5"
TARGET = "target@example.com"
LARGE = 100_000
SMALL = 100
CHUNK = 1000


def fill(account: Account, count: int, *, every_nth_to_target: int) -> None:
    """Store ``count`` emails the way a send stores them, 1 in ``every_nth_to_target`` to TARGET."""
    start = account.clock.now() - timedelta(seconds=count)
    batch: list[Email] = []
    for i in range(count):
        to = TARGET if i % every_nth_to_target == 0 else f"user{i % 997}@example.org"
        moment = start + timedelta(seconds=i)
        batch.append(Email(
            id=account.entropy.new_id("email_"),
            from_="Shop <orders@shop.example.com>",
            to=[to],
            subject=f"Your order #{i} has shipped",
            html=f"<p>Hello, order {i} is on its way.</p>",
            text=f"Hello, order {i} is on its way.",
            created_at=moment,
            sent_at=moment,
            tags=["shipping"],
            metadata={"order": str(i)},
        ))
        if len(batch) == CHUNK:
            account.store_emails(batch)
            batch = []
    if batch:
        account.store_emails(batch)


def run(quick: bool = False) -> tuple[Result, Result]:
    large_count = 20_000 if quick else LARGE
    requests = 60 if quick else 300
    small, large = LettrServer(seed="scale-small"), LettrServer(seed="scale-large")
    fill(small.account, SMALL, every_nth_to_target=1)
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    fill(large.account, large_count, every_nth_to_target=100)
    grown = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    per_email = grown / large_count
    queries = {"list": {"limit": "100"}, "to": {"limit": "100", "to": TARGET}}
    samples: dict[str, list[float]] = {f"{size} {q}": [] for size in ("small", "large") for q in queries}
    for server in (small, large):
        server.start()
    try:
        clients = {name: httpx.Client(base_url=server.v1_url,
                                      headers={"Authorization": f"Bearer {server.admin_key}"})
                   for name, server in (("small", small), ("large", large))}
        for client in clients.values():  # warm up, and check both pages are full
            for params in queries.values():
                page = client.get("/emails", params=params).json()
                assert len(page["data"]) == 100, page
        for _ in range(requests):
            for query, params in queries.items():
                for size, client in clients.items():
                    started = time.perf_counter()
                    response = client.get("/emails", params=params)
                    samples[f"{size} {query}"].append((time.perf_counter() - started) * 1000)
                    assert response.status_code == 200
        for client in clients.values():
            client.close()
    finally:
        for server in (small, large):
            server.stop()
    results = []
    for query, label in (("list", "GET /v1/emails?limit=100"), ("to", f"GET /v1/emails?limit=100&to={TARGET}")):
        ours, baseline = median(samples[f"large {query}"]), median(samples[f"small {query}"])
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
            extra={"memory per stored email": f"{per_email:,.0f} bytes (email, its event, indexes)",
                   "totalCount on the large account": f"{len(large.emails):,}"},
            notes=[f"{requests} requests per query and size, interleaved, one in-process keep-alive client."],
        ))
    return results[0], results[1]
