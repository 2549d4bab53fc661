"""The load generator: one keep-alive client POSTing the same email, run in its own process.

    python benchmarks/bench_client.py URL REQUESTS [API_KEY|-] [BODY_FILE|-]
    python benchmarks/bench_client.py --sdk API_BASE_URL REQUESTS API_KEY

Prints requests per second (after a warm-up) and fails if any response is not 200. ``--sdk``
sends through the official SDK (``lettr.Lettr(...).emails.send``) to the current API.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

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


def sdk(base_url: str, requests: int, key: str) -> float:
    import lettr

    with lettr.Lettr(key, base_url=base_url) as client:
        def send() -> None:
            client.emails.send(from_email="orders@shop.example.com", to=["ada@example.com"],
                               subject="Your order #1042 has shipped",
                               html="<p>Hello Ada, your parcel is on its way.</p>",
                               text="Hello Ada, your parcel is on its way.", tag="shipping",
                               metadata={"order": "1042"})
        for _ in range(WARM_UP):
            send()
        started = time.perf_counter()
        for _ in range(requests):
            send()
        return requests / (time.perf_counter() - started)


def main(url: str, requests: int, key: str, body: bytes = BODY) -> float:
    headers = {"Content-Type": "application/json"}
    if key != "-":
        headers["Authorization"] = f"Bearer {key}"
    with httpx.Client(headers=headers, timeout=30) as client:
        for _ in range(WARM_UP):
            client.post(url, content=body).raise_for_status()
        bad = 0
        started = time.perf_counter()
        for _ in range(requests):
            bad += client.post(url, content=body).status_code != 200
        elapsed = time.perf_counter() - started
    if bad:
        raise SystemExit(f"{bad} of {requests} responses were not 200")
    return requests / elapsed


if __name__ == "__main__":
    if sys.argv[1] == "--sdk":
        print(sdk(sys.argv[2], int(sys.argv[3]), sys.argv[4]))
    else:
        with_body = len(sys.argv) > 4 and sys.argv[4] != "-"
        print(main(sys.argv[1], int(sys.argv[2]), sys.argv[3] if len(sys.argv) > 3 else "-",
                   Path(sys.argv[4]).read_bytes() if with_body else BODY))
