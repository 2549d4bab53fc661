"""The load generator: one keep-alive httpx client POSTing the same email, run in its own process.

    python benchmarks/bench_client.py URL REQUESTS [API_KEY|-]

Prints requests per second (after a warm-up) and fails if any response is not 200.
"""

from __future__ import annotations

import json
import sys
import time

import httpx

BODY = json.dumps({
    "from": "Shop <orders@shop.example.com>",
    "to": ["ada@example.com"],
    "subject": "Your order #1042 has shipped",
    "html": "<p>Hello Ada, your parcel is on its way.</p>",
    "text": "Hello Ada, your parcel is on its way.",
    "tags": ["shipping"],
    "metadata": {"order": "1042"},
}).encode()
WARM_UP = 50


def main(url: str, requests: int, key: str) -> float:
    headers = {"Content-Type": "application/json"}
    if key != "-":
        headers["Authorization"] = f"Bearer {key}"
    with httpx.Client(headers=headers, timeout=30) as client:
        for _ in range(WARM_UP):
            client.post(url, content=BODY).raise_for_status()
        bad = 0
        started = time.perf_counter()
        for _ in range(requests):
            bad += client.post(url, content=BODY).status_code != 200
        elapsed = time.perf_counter() - started
    if bad:
        raise SystemExit(f"{bad} of {requests} responses were not 200")
    return requests / elapsed


if __name__ == "__main__":
    print(main(sys.argv[1], int(sys.argv[2]), sys.argv[3] if len(sys.argv) > 3 else "-"))
