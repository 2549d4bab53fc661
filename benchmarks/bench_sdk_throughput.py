"""Throughput through the official SDK: ``POST /api/emails`` on the whole fake vs a bare handler.

The same ``lettr.Lettr`` client (one per run, in another process, ``client.emails.send(...)``)
sends the same email to:

- **bare**: pytest-httpserver's ``HTTPServer`` as its ``httpserver`` fixture makes it, with one
  ``expect_request("/api/emails").respond_with_json(...)`` answering what Lettr answers;
- **fake**: a :class:`~pytest_lettr.LettrServer` (key, permission, validation against the spec,
  the sensitive-data scan, storage with its indexes, the audit entry and the event), a fresh
  account per round.

Memory per send is what ``tracemalloc`` sees the process grow by over 2,000 sends through HTTP:
the stored email with its event, audit entry and indexes, plus pytest-httpserver's request log
entry (kept until the next reset).
"""

from __future__ import annotations

import tracemalloc

import httpx
from bench_common import BENCH_DIR, Result, check, interleave, median, paired_ratio, python_subprocess
from pytest_httpserver import HTTPServer

from pytest_lettr import LettrServer

GOAL = ">= 1.0"
ANSWER = {"message": "Email queued for delivery.",
          "data": {"request_id": "54735333273090703067", "accepted": 1, "rejected": 0}}
SEND = {"from": "orders@shop.example.com", "to": ["ada@example.com"], "subject": "Your order #1042 has shipped",
        "html": "<p>Hello Ada, your parcel is on its way.</p>", "text": "Hello Ada, your parcel is on its way.",
        "tag": "shipping", "metadata": {"order": "1042"}}


def _sdk(base_url: str, requests: int, key: str) -> float:
    return float(python_subprocess([str(BENCH_DIR / "bench_client.py"), "--sdk", base_url, str(requests), key]))


def memory_per_email(count: int = 2_000) -> float:
    with LettrServer(seed="sdk-memory") as server:
        key = server.create_key("m", mode="api").key
        with httpx.Client(base_url=server.api_url, headers={"Authorization": f"Bearer {key}"}) as client:
            client.post("/emails", json=SEND).raise_for_status()
            tracemalloc.start()
            before = tracemalloc.get_traced_memory()[0]
            for _ in range(count):
                client.post("/emails", json=SEND)
            grown = tracemalloc.get_traced_memory()[0] - before
            tracemalloc.stop()
    return grown / count


def run(quick: bool = False) -> Result:
    rounds, requests = (3, 300) if quick else (11, 500)
    bare = HTTPServer(host="127.0.0.1", port=0)
    bare.expect_request("/api/emails", method="POST").respond_with_json(ANSWER)
    fake = LettrServer(seed="bench-sdk")
    for server in (bare, fake):
        server.start()
    try:
        def fake_round() -> float:
            fake.reset("sdk-throughput")
            key = fake.pin_key("bench").key
            rate = _sdk(fake.api_url, requests, key)
            assert len(fake.emails) == requests + 50
            return rate

        samples = interleave(rounds, {
            "bare": lambda: _sdk(bare.url_for("/api"), requests, "lttr_" + "x" * 40),
            "fake": fake_round,
        })
    finally:
        for server in (bare, fake):
            server.stop()
    ratio = paired_ratio(samples["fake"], samples["bare"])
    per_email = memory_per_email(500 if quick else 2_000)
    return Result(
        name="Throughput through the SDK (POST /api/emails, client in another process)",
        metric="sends per second",
        ours_label="the whole fake",
        ours=median(samples["fake"]),
        baseline_label="bare pytest-httpserver handler, static JSON",
        baseline=median(samples["bare"]),
        ratio=ratio,
        goal=GOAL,
        met=check(ratio, GOAL),
        samples={k: [round(v) for v in vs] for k, vs in samples.items()},
        extra={"memory per send through /api (email, event, audit entry, indexes, request-log entry)":
               f"{per_email:,.0f} bytes"},
        notes=[f"{rounds} rounds of {requests} sends (after 50 warm-up sends) per server, interleaved; the "
               "ratio is the median of the rounds' ratios. The bare server closes every connection "
               "(werkzeug's default); the fake keeps it alive."],
    )
