"""Shared pieces of the benchmark harness: results, medians, interleaved rounds, the machine.

Every target is a *ratio* of two things measured side by side in the same run (A, B, A, B, ...),
because the machines this runs on are shared and their absolute speed drifts from minute to minute.
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "benchmarks"


@dataclass
class Result:
    """One target: ``ours`` against ``baseline``, the ratio, the goal and whether it was met."""

    name: str
    metric: str  # what the two numbers are, with their unit
    ours_label: str
    ours: float
    baseline_label: str
    baseline: float
    ratio: float
    goal: str  # e.g. ">= 0.75"
    met: bool
    samples: dict[str, list[float]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    extra: dict[str, str] = field(default_factory=dict)


def check(ratio: float, goal: str) -> bool:
    """Whether ``ratio`` meets ``goal`` (``">= x"`` or ``"<= x"``)."""
    op, _, number = goal.partition(" ")
    limit = float(number)
    return ratio >= limit if op == ">=" else ratio <= limit


def median(values: list[float]) -> float:
    return statistics.median(values)


def paired_ratio(ours: list[float], baseline: list[float]) -> float:
    """The median of round-by-round ratios: each pair was measured back to back, so a drift in
    the machine's speed between rounds cancels out."""
    return statistics.median(a / b for a, b in zip(ours, baseline, strict=True))


def interleave(rounds: int, runners: dict[str, Callable[[], float]]) -> dict[str, list[float]]:
    """Run every runner once per round, in turn, and collect each one's measurements."""
    samples: dict[str, list[float]] = {name: [] for name in runners}
    for _ in range(rounds):
        for name, runner in runners.items():
            samples[name].append(runner())
    return samples


def machine() -> dict[str, str]:
    """A short description of where the numbers were taken."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    memory = ""
    try:
        with open("/proc/meminfo", encoding="utf-8") as info:
            total_kib = int(info.readline().split()[1])
            memory = f"{total_kib / 1024 / 1024:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    load = ""
    if hasattr(os, "getloadavg"):
        load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "memory": memory,
        "os": f"{platform.system()} {platform.release()}",
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "load average (1, 5, 15 min) at start": load,
        "packages": package_versions(),
    }


def package_versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    names = ("pytest-lettr", "pytest-httpserver", "werkzeug", "httpx", "pytest")
    found = []
    for name in names:
        try:
            found.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            continue
    return ", ".join(found)


def user_env(**extra: str) -> dict[str, str]:
    """The environment of a pytest run on a user's machine: bytecode (and pytest's rewritten
    plugin modules) cached after the first run, no ``PYTEST_ADDOPTS`` of ours. A machine that sets
    ``PYTHONDONTWRITEBYTECODE`` recompiles every imported module of every pytest plugin on every run,
    which no user of a warm environment pays; each benchmark warms the caches up first."""
    env = {**os.environ, **extra}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("PYTEST_ADDOPTS", None)
    return env


def python_subprocess(args: list[str], *, cwd: Path | None = None, env: dict[str, str] | None = None,
                      timeout: float = 600) -> str:
    """Run ``python args...`` and return its stdout (raises with stderr on failure)."""
    completed = subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True,
                               timeout=timeout, check=False)
    if completed.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({completed.returncode}):\n{completed.stdout[-2000:]}\n"
                           f"{completed.stderr[-4000:]}")
    return completed.stdout


def python_cpu(args: list[str], *, cwd: Path | None = None, env: dict[str, str] | None = None) -> tuple[str, float]:
    """Run ``python args...``; its stdout and the CPU seconds (user + system) it used, every thread
    counted. CPU time is what a shared machine's other load disturbs least."""
    process = subprocess.Popen([sys.executable, *args], cwd=cwd, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT)
    assert process.stdout is not None
    output = process.stdout.read().decode()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({process.returncode}):\n{output[-4000:]}")
    return output, usage.ru_utime + usage.ru_stime
