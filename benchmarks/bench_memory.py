"""Memory of the standalone server (``lettr-mock serve``) under large refused requests.

A child process runs ``lettr-mock serve --port 0``; the harness sends it 1,000 unauthenticated
5 MiB ``POST /v1/emails`` over one kept-alive connection (``--quick``: 200 of 1 MiB) and reads the
child's resident set size (``VmRSS``) before and after. The target is a ratio of the two: a refused
body is never buffered and the request log is bounded, so the server's memory stays where it was.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time

import httpx
from bench_common import ROOT, Result, check

GOAL = "<= 1.5"
_URL = re.compile(r"v1 API:\s+(http://\S+)")


def _rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status", encoding="utf-8") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def _serve() -> tuple[subprocess.Popen[str], str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")
    child = subprocess.Popen([sys.executable, "-m", "pytest_lettr", "serve", "--port", "0"], cwd=ROOT, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert child.stdout is not None
    for line in child.stdout:
        found = _URL.search(line)
        if found:
            return child, found[1]
    raise RuntimeError("lettr-mock serve printed no URL")


def run(quick: bool = False) -> Result:
    count, size = (200, 1024 * 1024) if quick else (1000, 5 * 1024 * 1024)
    body = b"x" * size
    child, v1_url = _serve()
    try:
        with httpx.Client(base_url=v1_url, timeout=60) as client:
            for _ in range(20):  # warm up: imports, the first account, the first connection
                client.post("/emails", content=b"{}", headers={"Content-Type": "application/json"})
            before = _rss_mib(child.pid)
            started = time.perf_counter()
            statuses = {client.post("/emails", content=body, headers={"Content-Type": "application/json"})
                        .status_code for _ in range(count)}
            elapsed = time.perf_counter() - started
            after = _rss_mib(child.pid)
    finally:
        child.terminate()
        child.wait(10)
    ratio = after / before
    return Result(
        name="Memory of the standalone server under large refused requests",
        metric="resident set size, MiB",
        ours_label=f"after {count:,} refused {size // (1024 * 1024)} MiB requests",
        ours=after,
        baseline_label="after warm-up",
        baseline=before,
        ratio=ratio,
        goal=GOAL,
        met=check(ratio, GOAL) and statuses == {401},
        extra={"Statuses": ", ".join(map(str, sorted(statuses))),
               "Sent": f"{count * size / 2**30:.1f} GiB in {elapsed:.1f} s"},
        notes=["Before this was bounded, 40 refused 5 MiB requests took the server from 37 MB to 243 MB."],
    )
