"""Loading the plugin is cheap: a run whose tests never use the fake imports nothing heavy."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import pytest_lettr

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("werkzeug", "cryptography", "faker", "httpx", "lettr", "pytest_lettr.server", "pytest_lettr.state",
         "pytest_lettr.dialects", "pytest_lettr.webhooks", "pytest_lettr.guard")
PROBE = f"""
import json, sys

def test_trivial():
    heavy = {HEAVY!r}
    loaded = sorted(m for m in sys.modules if any(m == h or m.startswith(h + ".") for h in heavy))
    print("LOADED", json.dumps(loaded))
"""


def loaded_modules(tmp_path: Path, *args: str) -> list[str]:
    """Run pytest on one trivial test in a fresh interpreter; the heavy modules it had imported."""
    (tmp_path / "test_probe.py").write_text(PROBE, encoding="utf-8")
    # Other installed plugins (Faker's, pytest-httpserver's, respx's) import faker, werkzeug or
    # httpx themselves: only this plugin is loaded, as its entry point names it.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
           "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", "-p", "pytest_lettr.plugin",
         *args, "test_probe.py"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    line = next(line for line in completed.stdout.splitlines() if "LOADED" in line)
    return list(json.loads(line.split("LOADED", 1)[1]))


def test_collecting_a_trivial_test_imports_nothing_heavy(tmp_path: Path) -> None:
    loaded = loaded_modules(tmp_path)
    assert loaded == []


def test_the_plugin_is_loaded_in_that_run(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text(
        "def pytest_configure(config):\n    assert config.pluginmanager.hasplugin('pytest_lettr.plugin')\n",
        encoding="utf-8")
    assert loaded_modules(tmp_path, "--lettr-seed=3") == []


def test_using_the_fixture_loads_the_server(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text(
        "import pytest\n@pytest.fixture(autouse=True)\ndef _uses(lettr_server):\n    pass\n", encoding="utf-8")
    loaded = loaded_modules(tmp_path)
    assert "pytest_lettr.server" in loaded and "werkzeug" in loaded


@pytest.mark.parametrize("name", pytest_lettr.__all__)
def test_every_public_name_resolves_lazily(name: str) -> None:
    value = getattr(pytest_lettr, name)
    assert value is not None and name in dir(pytest_lettr)


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'NoSuchThing'"):
        pytest_lettr.NoSuchThing  # type: ignore[attr-defined]  # noqa: B018
