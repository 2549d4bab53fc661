"""``lettr-mock serve`` prints the inbox's URL, and the inbox answers there."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]


def test_serve_prints_the_inbox_url() -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    process = subprocess.Popen([sys.executable, "-m", "pytest_lettr", "serve", "--port", "0"],
                               stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(5)]
        (line,) = [text for text in lines if text.strip().startswith("inbox:")]
        url = line.split()[-1]
        assert url.startswith("http://127.0.0.1:") and url.endswith("/")
        page = httpx.get(url, timeout=10)
        assert page.status_code == 200 and "<h1>Emails</h1>" in page.text
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=10)
