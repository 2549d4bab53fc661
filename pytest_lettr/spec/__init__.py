"""Lettr's published OpenAPI 3.1 document of the current API (``/api``), shipped with the package.

::

    >>> from pytest_lettr.spec import OPENAPI_PATH, load_openapi
    >>> OPENAPI_PATH.name
    'lettr-openapi.json'
    >>> load_openapi()["servers"][0]["url"]
    'https://app.lettr.com/api'

Where the file comes from, its date and how to refresh it: ``README.md`` beside it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

OPENAPI_PATH = Path(__file__).with_name("lettr-openapi.json")
"""The vendored document (read-only; :func:`load_openapi` gives a copy to change)."""


def load_openapi() -> dict[str, Any]:
    """A fresh copy of the document, parsed (callers may change it)."""
    document: dict[str, Any] = json.loads(OPENAPI_PATH.read_text(encoding="utf-8"))
    return document


__all__ = ["OPENAPI_PATH", "load_openapi"]
