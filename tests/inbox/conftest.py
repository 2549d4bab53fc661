"""Fixtures of the inbox tests: an SDK client, an HTTP client, a webhook receiver, and for the browser tests one
headless Chromium per worker (Debian's, at ``/usr/bin/chromium``) with a fresh page per test.

Browser tests are marked ``browser``; each uses its own ``lettr_server`` account, so ``-n 2`` runs
them side by side. ``LETTR_SCREENSHOTS=docs/images`` saves their screenshots for the docs.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import lettr
import pytest
from support import Receiver

from pytest_lettr import LettrServer

CHROMIUM = "/usr/bin/chromium"
Shot = Callable[[Any, str], Path]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: drives the web inbox in headless Chromium")


@pytest.fixture
def client(lettr_server: LettrServer) -> lettr.Lettr:
    """The official SDK on the fake's current API, with the admin key."""
    return lettr.Lettr(lettr_server.admin_key, base_url=lettr_server.api_url)


@pytest.fixture
def inbox(lettr_server: LettrServer) -> Iterator[httpx.Client]:
    """A plain HTTP client on the inbox (no redirects followed, so a form's 303 is visible)."""
    with httpx.Client(base_url=lettr_server.url) as http:
        yield http


def csrf_token(page_html: str) -> str:
    """The token a page's forms carry."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', page_html)
    assert found is not None, "the page has no form with a CSRF token"
    return found[1]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A live webhook receiver on 127.0.0.1 for this test."""
    with Receiver() as server:
        yield server


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1100, "height": 800}, accept_downloads=True)
    context.set_default_timeout(5000)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def shot(tmp_path: Path) -> Shot:
    """``shot(page, "name")``: a full-page PNG, in ``$LETTR_SCREENSHOTS`` when set (the docs' images)."""
    folder = Path(os.environ.get("LETTR_SCREENSHOTS") or tmp_path)

    def take(page: Any, name: str) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"inbox-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        return path

    return take
