"""Start and stop: a standalone ``LettrServer`` vs pytest-httpserver's ``HTTPServer``.

Each round makes a new server of each kind and times ``start()`` + ``stop()`` (construction is
timed separately for the mock: it builds the routing tables and the first account).
"""

from __future__ import annotations

import time

import httpx
from bench_common import Result, check, interleave, median
from pytest_httpserver import HTTPServer

from pytest_lettr import LettrServer

GOAL = "<= 0.1"


def _stock() -> float:
    server = HTTPServer(host="127.0.0.1", port=0)
    started = time.perf_counter()
    server.start()
    server.stop()
    return (time.perf_counter() - started) * 1000


_construct: list[float] = []


def _lettr() -> float:
    made = time.perf_counter()
    server = LettrServer(seed="startstop")
    started = time.perf_counter()
    _construct.append((started - made) * 1000)
    server.start()
    server.stop()
    return (time.perf_counter() - started) * 1000


def _lettr_after_a_request() -> float:
    """Start, serve one request over a kept-alive connection that stays open, stop."""
    server = LettrServer(seed="startstop")
    client = httpx.Client()
    started = time.perf_counter()
    server.start()
    client.get(server.v1_url + "/emails", headers={"Authorization": f"Bearer {server.admin_key}"})
    server.stop()
    elapsed = (time.perf_counter() - started) * 1000
    client.close()
    return elapsed


def run(quick: bool = False) -> Result:
    rounds = 3 if quick else 9
    _lettr()  # first construction imports Faker and builds its providers
    _construct.clear()
    samples = interleave(rounds, {"httpserver": _stock, "lettr": _lettr,
                                  "lettr, one request, connection left open": _lettr_after_a_request})
    ours, baseline = median(samples["lettr"]), median(samples["httpserver"])
    ratio = ours / baseline
    return Result(
        name="Start + stop of a standalone server",
        metric="milliseconds",
        ours_label="LettrServer",
        ours=ours,
        baseline_label="pytest-httpserver HTTPServer",
        baseline=baseline,
        ratio=ratio,
        goal=GOAL,
        met=check(ratio, GOAL),
        samples={k: [round(v, 2) for v in vs] for k, vs in samples.items()},
        extra={"LettrServer construction (routes, first account)": f"{median(_construct):.2f} ms",
               "LettrServer start + one request + stop with the client's connection still open":
                   f"{median(samples['lettr, one request, connection left open']):.2f} ms"},
        notes=[f"{rounds} interleaved rounds."],
    )
