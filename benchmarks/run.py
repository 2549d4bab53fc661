"""Run every benchmark side by side and write ``benchmarks/RESULTS.md``.

    python benchmarks/run.py             # all targets (a few minutes)
    python benchmarks/run.py --quick     # fewer rounds and smaller sizes, to try the harness
    python benchmarks/run.py --only throughput,scale --no-write

Targets are ratios against a baseline measured in the same run, interleaved, so a noisy shared
machine moves both sides alike. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_guard
import bench_memory
import bench_per_test
import bench_scale
import bench_sdk_per_test
import bench_sdk_throughput
import bench_signing
import bench_startstop
import bench_startup
import bench_throughput
import bench_webhooks
from bench_common import BENCH_DIR, Result, machine

BENCHMARKS: dict[str, Callable[[bool], Result | tuple[Result, ...]]] = {
    "throughput": bench_throughput.run,
    "sdk-throughput": bench_sdk_throughput.run,
    "guard": bench_guard.run,
    "per-test": bench_per_test.run,
    "sdk-per-test": bench_sdk_per_test.run,
    "startup": bench_startup.run,
    "scale": bench_scale.run,
    "start-stop": bench_startstop.run,
    "signing": bench_signing.run,
    "memory": bench_memory.run,
    "webhooks": bench_webhooks.run,
}

#: What is known about each target when it is missed: the reason and what would close the gap.
WHEN_MISSED: dict[str, str] = {
    "throughput": (
        "Per send the mock does about 1.5 million instructions of Python (callgrind, in process: "
        "about 150 us on an idle core) on top of the transport: routing, the key's SHA-256, the "
        "rate-limit window, the permission, JSON parsing with the duplicate-key and finite-number "
        "checks, field validation, the sensitive-data scan, seeded ids, storage with its indexes and "
        "tallies, the audit entry, the email.sent event and the masked request-log entry. Keep-alive "
        "makes the transport itself ~1.2x faster than bare pytest-httpserver (the reference line), "
        "which covers part of that. No single step is more than ~12% of it; meeting 0.75 would take "
        "dropping work a send is there to do (the request log, the audit entry, the indexes)."),
    "sdk-throughput": (
        "The bare handler answers static JSON and closes every connection, so the SDK reconnects each "
        "time, where the fake keeps the connection open: that headroom (~1.2x, the 'throughput' "
        "reference) pays for about 0.2 ms of work per send, and the fake's own work is ~0.15 ms of "
        "Python plus its HTTP layer (see 'throughput'). Parity would take a server whose whole "
        "request path costs what a static answer does."),
    "per-test": (
        "A fresh account per test (about 0.26 ms: seeded streams, a Faker-made owner, hashed keys) "
        "and the server's share of the session (imports, one server); see the SDK example."),
    "sdk-per-test": (
        "respx never leaves the process: it matches a route and builds a response. The fake serves a "
        "real HTTP request through a socket to its server thread (about 1 ms of client and server "
        "CPU), makes a fresh account (about 0.26 ms) and stores the email with its audit entry and "
        "event; its session share (imports, the server) is spread over the tests too. Meeting 1.2x "
        "would take an in-process transport (the SDK's httpx client calling the fake as a WSGI app), "
        "which skips the HTTP layer these tests are meant to exercise; it is not done."),
    "startup": (
        "The plugin imports only itself, pytest_lettr/__init__ (names resolved on first use) and "
        "a constants module; a miss is start-up noise of a fresh interpreter on a loaded machine."),
    "memory": ("Refused bodies are drained after the answer in 1 MiB reads and the request log keeps at most "
               "1,000 masked exchanges; a miss means something holds request data (a log, a cache)."),
    "scale": (
        "Every email, event, audit, stats, resource and campaign list reads only its page and takes its "
        "total from index sizes; the misses are the two contacts queries that evaluate something per "
        "contact: a segment (segment_id, and each segment's cached_contacts_count in the segments list) "
        "runs its rules on every contact, and search matches a substring of every address and property "
        "value (about 2.5 us and 0.7 us per contact: 50 ms and 15 ms at 20,000). Neither holds a lock "
        "a send takes. Closing them would take a segment-membership cache invalidated by every audience "
        "write (stale for a test that edits a Contact object directly, where the fidelity page promises "
        "live counts) and an n-gram index of addresses and property values for search."),
    "guard": (
        "The scan itself got cheaper (about 1.1 ms per 20 KB send over HTTP, was 1.6 ms), but its "
        "baseline got cheaper still: an 'off' send of this email went from 5.6 ms to 1.4 ms of server "
        "CPU (tracked HTML made on first read, numbers checked on the parsed JSON, masking without a "
        "case-blind regex), so the same scan is now a larger share. It reads the body several times "
        "in C: entity decoding, the number rules (this email has ~3,000 digits: prices, SKUs, colours), "
        "the password keyword, and the tag strip with a second password pass for 'Password: <b>X</b>'. "
        "Meeting 1.3x would take one hand-written pass for every rule, or a tag-aware password pass "
        "that strips only around each keyword; with the guard off (--lettr-sensitive-data=off) it "
        "costs nothing."),
    "start-stop": "stop() closes open connections and joins their threads (up to 2 s if a handler is stuck).",
    "webhooks": (
        "Each of the five deliveries of a send is a real HTTP POST made before the send is answered: "
        "signing, a kept-alive exchange (one write, one read, a small parser) and the attempt's record, "
        "about 130-165 us of server CPU each, plus the receivers' own answer time "
        "(they share the two cores). On a loaded machine the five POSTs' CPU stretches with the rest, and "
        "each send waits for five receiver processes to be scheduled. "
        "What would close it further: answering the send first and delivering from a background "
        "worker (Lettr's own delivery is asynchronous), at the cost of tests having to wait for "
        "deliveries they read."),
    "signing": (
        "The HMACs keep a keyed SHA-256 state per secret, so sign_webhook alone is faster than one "
        "raw hexdigest; what is left is the Python around them (argument checks, the header split, "
        "the clock, about 1 us per pair) and, for verify_webhook, the JSON decode. A miss of "
        "verify_signature >= 0.8 means that Python grew or the machine was loaded: it ran at about "
        "1.1-1.2x of raw on a quiet machine. Closing any gap left would take a C extension."),
}


def render(results: list[tuple[str, Result]], info: dict[str, str], elapsed: float, quick: bool) -> str:
    lines = [
        "# Benchmark results",
        "",
        f"Written by `python benchmarks/run.py{' --quick' if quick else ''}` on "
        f"{datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')} in {elapsed:.0f} s. "
        "Every target is a ratio against a baseline measured in the same run, interleaved "
        "round by round; numbers are medians.",
        "",
        "## Machine",
        "",
        *[f"- {name}: {value}" for name, value in info.items()],
        "",
        "## Targets",
        "",
        "| Target | Ours | Baseline | Ratio | Goal | Met |",
        "|---|---|---|---|---|---|",
    ]
    for _, result in results:
        lines.append(
            f"| {result.name} | {_fmt(result.ours)} ({result.ours_label}) | {_fmt(result.baseline)} "
            f"({result.baseline_label}) | **{result.ratio:.3f}** | {result.goal} | "
            f"{'yes' if result.met else '**no**'} |")
    lines += ["", "## Details", ""]
    for key, result in results:
        lines += [f"### {result.name}", "", f"- Metric: {result.metric}",
                  f"- {result.ours_label}: {_fmt(result.ours)}",
                  f"- {result.baseline_label}: {_fmt(result.baseline)}",
                  f"- Ratio: {result.ratio:.3f} (goal {result.goal}: {'met' if result.met else 'MISSED'})"]
        lines += [f"- {name}: {value}" for name, value in result.extra.items()]
        lines += [f"- {note}" for note in result.notes]
        if result.samples:
            lines.append("- Samples: " + "; ".join(
                f"{name}: {', '.join(_fmt(v) for v in values)}" for name, values in result.samples.items()))
        if not result.met:
            lines.append(f"- **Missed.** {WHEN_MISSED.get(key, '')}")
        lines.append("")
    return "\n".join(lines)


def _fmt(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer rounds, smaller sizes")
    parser.add_argument("--only", default="", help=f"comma-separated subset of: {', '.join(BENCHMARKS)}")
    parser.add_argument("--output", type=Path, default=BENCH_DIR / "RESULTS.md")
    parser.add_argument("--no-write", action="store_true", help="print the report, do not write it")
    args = parser.parse_args(argv)
    chosen = [name.strip() for name in args.only.split(",") if name.strip()] or list(BENCHMARKS)
    unknown = set(chosen) - set(BENCHMARKS)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    info = machine()
    started = time.perf_counter()
    results: list[tuple[str, Result]] = []
    for name in chosen:
        print(f"running {name} ...", file=sys.stderr, flush=True)
        outcome = BENCHMARKS[name](args.quick)
        for result in outcome if isinstance(outcome, tuple) else (outcome,):
            results.append((name, result))
            print(f"  {result.name}: {result.ratio:.3f} (goal {result.goal}) "
                  f"{'met' if result.met else 'MISSED'}", file=sys.stderr, flush=True)
    report = render(results, info, time.perf_counter() - started, args.quick)
    if args.no_write:
        print(report)
    else:
        args.output.write_text(report + "\n", encoding="utf-8")
        print(f"wrote {args.output}", file=sys.stderr)
    return 0 if all(result.met for _, result in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
