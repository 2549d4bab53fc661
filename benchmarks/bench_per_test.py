"""Per-test cost: 500 tests that each use a fixture and make one request, in a fresh pytest.

Three files, each run as its own ``python -m pytest`` process (CPU time, interleaved rounds):

- **plain**: 500 tests that do nothing (pytest's own cost per test);
- **httpserver**: each test registers a handler on pytest-httpserver's ``httpserver`` and GETs it;
- **lettr**: each test gets a fresh ``lettr_server`` account and GETs ``/v1/emails`` with its key.

The extra time per test is ``(run - plain) / 500``; the target compares lettr's to httpserver's.
Both use one module-level httpx client, so neither pays for building a client per test.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from bench_common import Result, check, interleave, median, python_cpu, user_env

GOAL = "<= 1.5"
TESTS = 500

PLAIN = f"""
import pytest

@pytest.mark.parametrize("n", range({TESTS}))
def test_one(n):
    pass
"""

HTTPSERVER = f"""
import httpx
import pytest

CLIENT = httpx.Client()

@pytest.mark.parametrize("n", range({TESTS}))
def test_one(httpserver, n):
    httpserver.expect_request("/v1/emails").respond_with_json({{"object": "list", "data": []}})
    assert CLIENT.get(httpserver.url_for("/v1/emails")).status_code == 200
"""

LETTR = f"""
import httpx
import pytest

CLIENT = httpx.Client()

@pytest.mark.parametrize("n", range({TESTS}))
def test_one(lettr_server, n):
    response = CLIENT.get(lettr_server.v1_url + "/emails",
                          headers={{"Authorization": f"Bearer {{lettr_server.admin_key}}"}})
    assert response.status_code == 200
"""


def pytest_run(directory: Path, name: str) -> float:
    """CPU seconds of ``python -m pytest name.py`` in ``directory`` (which must pass every test)."""
    env = user_env()
    out, cpu = python_cpu(["-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:cacheprovider",
                           "-p", "no:xdist", f"{name}.py"], cwd=directory, env=env)
    if f"{TESTS} passed" not in out:
        raise RuntimeError(f"{name}: unexpected outcome:\n{out[-2000:]}")
    return cpu


def per_test_costs(sources: dict[str, str], rounds: int) -> tuple[dict[str, list[float]], float, dict[str, float]]:
    """Run each source (and the empty ``plain`` one) as a pytest file, interleaved; returns the
    samples, the empty run's median and each source's extra milliseconds per test."""
    with tempfile.TemporaryDirectory(prefix="lettr-bench-") as tmp:
        directory = Path(tmp)
        for name, source in {"plain": PLAIN, **sources}.items():
            (directory / f"{name}.py").write_text(source, encoding="utf-8")
        (directory / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
        for name in ("plain", *sources):  # caches filled, as on a machine that has run pytest before
            pytest_run(directory, name)
        samples = interleave(rounds, {name: (lambda n=name: pytest_run(directory, n))
                                      for name in ("plain", *sources)})
    plain = median(samples["plain"])
    return samples, plain, {name: (median(samples[name]) - plain) / TESTS * 1000 for name in sources}


def run(quick: bool = False) -> Result:
    rounds = 2 if quick else 5
    samples, plain, per_test = per_test_costs({"httpserver": HTTPSERVER, "lettr": LETTR}, rounds)
    ratio = per_test["lettr"] / per_test["httpserver"]
    return Result(
        name=f"Per-test cost ({TESTS} tests, one request each, fresh pytest process)",
        metric="extra CPU milliseconds per test over an empty test",
        ours_label="lettr_server",
        ours=per_test["lettr"],
        baseline_label="pytest-httpserver's httpserver",
        baseline=per_test["httpserver"],
        ratio=ratio,
        goal=GOAL,
        met=check(ratio, GOAL),
        samples={name: [round(s, 3) for s in values] for name, values in samples.items()},
        extra={"empty test run (500 tests)": f"{plain:.2f} s CPU",
               "pytest's own cost per empty test": f"{plain / TESTS * 1000:.2f} ms (includes start-up)"},
        notes=[f"{rounds} interleaved rounds of each run; CPU time (user + system) of the whole pytest process, "
               "its server threads included. The "
               "session-wide costs (start-up, the server, Faker) are spread over the 500 tests."],
    )
