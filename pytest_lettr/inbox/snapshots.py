"""``--lettr-snapshots DIR``: one self-contained HTML page per failing test that used ``lettr_server``.

The page holds that test's outbox (every field, the HTML body in a sandboxed frame, the text body,
the events) and its webhook deliveries with their attempts, so a CI failure can be looked at
after the run. It loads nothing and runs nothing: styles are inline and its policy forbids scripts.
"""

from __future__ import annotations

import re
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING

from jinja2 import Environment, PackageLoader, select_autoescape

from .rendering import FILTERS

if TYPE_CHECKING:
    from ..server import LettrServer


def snapshot_name(nodeid: str) -> str:
    """A file name for a test id.

    >>> snapshot_name("tests/test_signup.py::test_welcome[ada]")
    'tests_test_signup.py__test_welcome_ada_.html'
    """
    return re.sub(r"[^A-Za-z0-9_.-]", "_", nodeid)[:180] + ".html"


def render_snapshot(server: LettrServer, nodeid: str) -> str:
    """The snapshot page of the server's current account."""
    templates = Environment(loader=PackageLoader("pytest_lettr.inbox", "templates"),
                            autoescape=select_autoescape(default=True, default_for_string=True))
    templates.filters.update(FILTERS)
    account = server.account
    style = files("pytest_lettr.inbox").joinpath("static").joinpath("inbox.css").read_text(encoding="utf-8")
    return templates.get_template("snapshot.html").render(
        nodeid=nodeid, style=style, now=account.clock.now(), emails=list(reversed(list(account.outbox))),
        deliveries=list(reversed(account.delivery_engine.deliveries)))


def write_snapshot(server: LettrServer, nodeid: str, directory: str | Path) -> Path:
    """Write the snapshot of ``nodeid`` into ``directory`` (made if missing); returns its path."""
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / snapshot_name(nodeid)
    path.write_text(render_snapshot(server, nodeid), encoding="utf-8")
    return path
