"""The sensitive-data scan: server CPU per send of a 20 KB HTML email, guard ``warn`` vs ``off``.

Two fake servers in this process, one per mode; the same keep-alive client, in another process,
POSTs the same realistic 20 KB transactional HTML email (tables, inline styles, prices, links
with query strings, an address and phone number, "Forgot your password?") to ``/v1/emails``.
The metric is this process's CPU time per request while the client runs: the server's work,
not the client's. The email holds no secret, so the scan runs every rule to the end.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

from bench_common import BENCH_DIR, Result, check, interleave, median, paired_ratio, python_subprocess
from email_html import realistic_html

from pytest_lettr import LettrServer
from pytest_lettr.guard import scan_email

GOAL = "<= 1.3"


def run(quick: bool = False) -> Result:
    rounds, requests = (3, 100) if quick else (11, 300)
    html = realistic_html(20_000)
    assert scan_email(subject="Your order", html=html) == [], "the benchmark email must hold no secret"
    body = json.dumps({"from": "Shop <orders@shop.example.com>", "to": "ada@example.com",
                       "subject": "Your order #100482", "html": html}).encode()
    servers = {mode: LettrServer(seed=f"guard-{mode}", sensitive_data=mode) for mode in ("warn", "off")}
    with tempfile.TemporaryDirectory(prefix="lettr-guard-") as tmp:
        body_file = Path(tmp) / "body.json"
        body_file.write_bytes(body)
        for server in servers.values():
            server.start()
        try:
            def cpu_per_request(mode: str) -> float:
                server = servers[mode]
                server.reset(mode, sensitive_data=mode)
                started = time.process_time()
                python_subprocess([str(BENCH_DIR / "bench_client.py"), server.v1_url + "/emails", str(requests),
                                   server.admin_key, str(body_file)])
                return (time.process_time() - started) / (requests + 50) * 1e6

            samples = interleave(rounds, {mode: (lambda m=mode: cpu_per_request(m)) for mode in servers})
        finally:
            for server in servers.values():
                server.stop()
    started = time.perf_counter()
    for _ in range(50):
        scan_email(subject="Your order #100482", html=html)
    scan_alone = (time.perf_counter() - started) / 50 * 1e6
    ratio = paired_ratio(samples["warn"], samples["off"])
    return Result(
        name="Sensitive-data scan: server CPU per send of a 20 KB HTML email",
        metric="server CPU microseconds per request",
        ours_label="guard warn (the default)",
        ours=median(samples["warn"]),
        baseline_label="guard off",
        baseline=median(samples["off"]),
        ratio=ratio,
        goal=GOAL,
        met=check(ratio, GOAL),
        samples={k: [round(v) for v in vs] for k, vs in samples.items()},
        extra={"the email": f"{len(html):,} characters of HTML",
               "scan_email alone, in-process": f"{scan_alone:,.0f} us"},
        notes=[f"{rounds} interleaved rounds of {requests} requests (after 50 warm-up requests) per mode; "
               "the ratio is the median of the rounds' ratios."],
    )
