"""A live webhook receiver on 127.0.0.1 (plain HTTP or HTTPS with the local CA) for delivery tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from support import HANG, Received, Receiver

__all__ = ["HANG", "Received", "Receiver"]

@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def tls_receiver() -> Iterator[Receiver]:
    server = Receiver(tls=True).start()
    try:
        yield server
    finally:
        server.stop()
