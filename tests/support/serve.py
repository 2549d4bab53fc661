"""``lettr-mock serve`` as a child process, for the command-line tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def serving(*arguments: str, env: dict[str, str] | None = None) -> Iterator[str]:
    """Run ``lettr-mock serve`` with ``arguments`` (any free ports); yields what it printed on start,
    then stops it with SIGTERM and checks it exited cleanly."""
    environment = {**os.environ, **(env or {}),
                   "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    command = [sys.executable, "-m", "pytest_lettr.cli", "serve", "--port", "0", "--smtp-port", "0",
               "--smtps-port", "0", *arguments]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=environment)
    assert process.stdout is not None
    lines = []
    for line in process.stdout:
        lines.append(line)
        if line.startswith("Press Ctrl+C"):
            break
    try:
        yield "".join(lines)
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
        process.stdout.close()
