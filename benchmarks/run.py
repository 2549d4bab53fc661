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
        "Per send the mock runs about 150 us of Python on an idle machine, on top of the transport: "
        "routing, the key's SHA-256, the rate-limit window, the permission, JSON parsing with the "
        "duplicate-key check, field validation, the sensitive-data scan, two seeded ids, storage "
        "with its indexes and tallies, the audit entry and the email.sent event. Keep-alive makes "
        "the transport itself ~1.2x faster than bare pytest-httpserver, which covers most of that; "
        "on a loaded machine the Python work stretches and the ratio drops towards the goal."),
    "sdk-throughput": (
        "The bare handler answers static JSON but closes every connection, so the SDK's client "
        "reconnects each time; the fake keeps the connection open. A miss means the fake's own "
        "work per send (see 'throughput') outgrew that reconnect."),
    "per-test": (
        "A fresh account per test (about 150 us: seeded ids, a Faker-made owner, a hashed admin key) "
        "and re-registering the catch-all handler. What would close it: making the owner lazily."),
    "sdk-per-test": (
        "Per test the fake makes a fresh account and re-installs the pinned key (a SHA-256) and "
        "serves a real send; respx only matches a route. What would close it: making the owner lazily."),
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
        "The scan reads a 20 KB body several times in C (entity decoding, one pass per rule family, "
        "the tag strip for 'Password: <b>X</b>') where an 'off' send only parses the JSON once. "
        "What would close it: one combined pass for every rule (a hand-written scanner), or "
        "scanning only the text and attribute values rather than the markup."),
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
