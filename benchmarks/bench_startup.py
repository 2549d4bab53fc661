"""Start-up: a pytest run of one trivial test with pytest-lettr installed vs ``-p no:lettr``.

Each run is a fresh ``python -m pytest`` process on a file with one empty test; rounds are
interleaved. The metric is the process's CPU time (user + system, from ``wait4``), which a
shared machine disturbs less than wall time; wall time and peak memory are reported too.

Faker installs its own pytest plugin (the ``faker`` fixture), which imports Faker at start-up in
every run of every project that has Faker installed. Its cost is measured the same way, as the
difference between ``-p no:lettr`` and ``-p no:lettr -p no:faker``; it is not pytest-lettr's,
and a project can drop it with ``-p no:faker`` in ``addopts``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_common import ROOT, Result, check, interleave, median, paired_ratio, user_env

GOAL = "<= 1.1"
TRIVIAL = "def test_trivial():\n    pass\n"
RUNS = {
    "with pytest-lettr": [],
    "-p no:lettr": ["-p", "no:lettr"],
    "-p no:faker": ["-p", "no:faker"],
    "-p no:lettr -p no:faker": ["-p", "no:lettr", "-p", "no:faker"],
}


def _run(directory: Path, extra: list[str], store: dict[str, list[float]], name: str) -> float:
    env = user_env(PYTHONPATH=str(ROOT))
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *extra,
                                "test_trivial.py"], cwd=directory, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    output = process.stdout.read().decode() if process.stdout else ""
    if os.waitstatus_to_exitcode(status) != 0 or "1 passed" not in output:
        raise RuntimeError(f"pytest {' '.join(extra)} failed:\n{output[-2000:]}")
    store.setdefault(f"{name} wall", []).append(wall * 1000)
    store.setdefault(f"{name} peak MiB", []).append(usage.ru_maxrss / 1024)
    return (usage.ru_utime + usage.ru_stime) * 1000


def run(quick: bool = False) -> Result:
    rounds = 5 if quick else 15
    extra: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="lettr-startup-") as tmp:
        directory = Path(tmp)
        (directory / "test_trivial.py").write_text(TRIVIAL, encoding="utf-8")
        (directory / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
        for args in RUNS.values():  # caches filled, as on a machine that has run pytest before
            _run(directory, args, {}, "warm-up")
        samples = interleave(rounds, {name: (lambda args=args, name=name: _run(directory, args, extra, name))
                                      for name, args in RUNS.items()})
    ratio = paired_ratio(samples["with pytest-lettr"], samples["-p no:lettr"])
    without_faker = median(samples["-p no:lettr -p no:faker"])
    faker_cost = median(samples["-p no:lettr"]) - without_faker
    lettr_cost = median(samples["with pytest-lettr"]) - median(samples["-p no:lettr"])
    return Result(
        name="Start-up: pytest with one trivial test",
        metric="CPU milliseconds of the whole pytest process (user + system)",
        ours_label="with pytest-lettr",
        ours=median(samples["with pytest-lettr"]),
        baseline_label="-p no:lettr",
        baseline=median(samples["-p no:lettr"]),
        ratio=ratio,
        goal=GOAL,
        met=check(ratio, GOAL),
        samples={name: [round(v, 1) for v in values] for name, values in samples.items()},
        extra={
            "pytest-lettr's own cost": f"{lettr_cost:+.0f} ms CPU",
            "Faker's pytest plugin (not ours)": f"{faker_cost:+.0f} ms CPU "
                                                f"({median(samples['-p no:lettr']) / without_faker:.2f}x "
                                                "of a run without it); drop it with -p no:faker",
            "with neither plugin": f"{without_faker:.0f} ms CPU",
            **{f"median {name}": f"{median(values):.0f}" for name, values in extra.items()},
        },
        notes=[f"{rounds} interleaved rounds of each run, fresh processes; the ratio is the median of "
               "the rounds' ratios."],
    )
