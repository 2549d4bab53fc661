"""Fixtures of the v1 tests."""

from __future__ import annotations

import httpx
import pytest

from . import V1


@pytest.fixture
def client(v1: V1) -> httpx.Client:
    """The admin key's client (``v1`` is the clients fixture of tests/conftest.py)."""
    return v1()
