"""Per-test cost of the docs' first example: ``lettr_client`` vs respx's best case, same SDK call.

Three files, each run as its own ``python -m pytest`` process (wall time, interleaved rounds):

- **plain**: 500 tests that do nothing (pytest's own cost per test);
- **respx**: the best case a respx user can reach: one ``lettr.Lettr`` client per module, and per
  test a ``respx.mock`` router with a route for ``POST /emails`` answering what Lettr answers,
  one ``client.emails.send(...)`` and a check that the route was called;
- **lettr_client**: each test sends the same email with ``lettr_client`` (a fresh account each
  test) and checks it with ``lettr_server.assert_sent``: the first example of the docs.

The extra time per test is ``(run - plain) / 500``; the target compares lettr_client's to respx's.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from bench_common import ROOT, Result, check, interleave, median, python_subprocess

GOAL = "<= 1.2"
TESTS = 500
SEND = ('from_email="shop@example.com", to=["ada@example.com"], subject="Receipt", '
        'html="<p>Thanks!</p>"')

PLAIN = f"""
import pytest

@pytest.mark.parametrize("n", range({TESTS}))
def test_one(n):
    pass
"""

RESPX = f"""
import lettr
import pytest
import respx

CLIENT = lettr.Lettr("lttr_" + "x" * 40)
ANSWER = {{"message": "Email queued for delivery.",
          "data": {{"request_id": "54735333273090703067", "accepted": 1, "rejected": 0}}}}

@pytest.mark.parametrize("n", range({TESTS}))
def test_one(n):
    with respx.mock(base_url="https://app.lettr.com/api") as router:
        route = router.post("/emails").respond(200, json=ANSWER)
        CLIENT.emails.send({SEND})
        assert route.called
"""

LETTR = f"""
import pytest

@pytest.mark.parametrize("n", range({TESTS}))
def test_one(lettr_client, lettr_server, n):
    lettr_client.emails.send({SEND})
    lettr_server.assert_sent(to="ada@example.com", subject="Receipt")
"""


def _pytest_run(directory: Path, name: str) -> float:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPATH": str(ROOT)}
    env.pop("PYTEST_ADDOPTS", None)
    started = time.perf_counter()
    out = python_subprocess(["-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:cacheprovider",
                             "-p", "no:xdist", f"{name}.py"], cwd=directory, env=env)
    elapsed = time.perf_counter() - started
    if f"{TESTS} passed" not in out:
        raise RuntimeError(f"{name}: unexpected outcome:\n{out[-2000:]}")
    return elapsed


def run(quick: bool = False) -> Result:
    rounds = 2 if quick else 5
    names = ("plain", "respx", "lettr")
    with tempfile.TemporaryDirectory(prefix="lettr-bench-sdk-") as tmp:
        directory = Path(tmp)
        for name, source in zip(names, (PLAIN, RESPX, LETTR), strict=True):
            (directory / f"{name}.py").write_text(source, encoding="utf-8")
        (directory / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
        samples = interleave(rounds, {name: (lambda n=name: _pytest_run(directory, n)) for name in names})
    plain = median(samples["plain"])
    per_test = {name: (median(samples[name]) - plain) / TESTS * 1000 for name in ("respx", "lettr")}
    ratio = per_test["lettr"] / per_test["respx"]
    return Result(
        name=f"Per-test cost of the SDK example ({TESTS} tests, one send each, fresh pytest process)",
        metric="extra milliseconds per test over an empty test",
        ours_label="lettr_client + lettr_server.assert_sent",
        ours=per_test["lettr"],
        baseline_label="respx, one client per module, a router per test",
        baseline=per_test["respx"],
        ratio=ratio,
        goal=GOAL,
        met=check(ratio, GOAL),
        samples={name: [round(s, 3) for s in values] for name, values in samples.items()},
        extra={"empty test run (500 tests)": f"{plain:.2f} s"},
        notes=[f"{rounds} interleaved rounds of each run; wall time of the whole pytest process. The "
               "session-wide costs (the server, the one SDK client, Faker) are spread over the 500 tests."],
    )
