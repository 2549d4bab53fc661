"""Acceptance regressions: requirements checked through the wire, and the bugs that check found."""

from __future__ import annotations

import errno
import socket
from collections.abc import Iterator

import pytest

from pytest_lettr import LettrServer
from pytest_lettr.cli import main

from . import V1, assert_v1_error


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A loopback port some other socket is already listening on."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield listener.getsockname()[1]


def test_a_busy_port_raises_oserror_not_a_crash_in_cleanup(busy_port: int) -> None:
    server = LettrServer(port=busy_port)
    with pytest.raises(OSError) as caught:
        server.start()
    assert caught.value.errno == errno.EADDRINUSE
    assert not server.is_running()


def test_lettr_mock_serve_on_a_busy_port_says_so_and_exits_1(busy_port: int,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--port", str(busy_port)]) == 1
    err = capsys.readouterr().err
    assert f"cannot listen on 127.0.0.1:{busy_port}" in err
    assert "Traceback" not in err


@pytest.mark.lettr(trust_forwarded_for=True)
@pytest.mark.parametrize("forwarded", ["not-an-ip", "[2001:db8::5]:443", "<script>x</script>, 10.0.0.1"])
def test_a_forwarded_value_that_is_no_ip_never_reaches_the_audit_log(v1: V1, lettr_server: LettrServer,
                                                                    forwarded: str) -> None:
    key = lettr_server.create_key("office", ip_restrictions=["10.0.0.0/8"])
    assert_v1_error(v1(key.key, headers={"X-Forwarded-For": forwarded}).get("/emails"), 403, "forbidden")
    refused = [e for e in lettr_server.audit_log if e.action == "auth.forbidden"]
    assert [e.ip_address for e in refused] == [None]
    entries = v1().get("/audit-logs", params={"action": "auth.forbidden"}).json()["data"]
    assert [e["ipAddress"] for e in entries] == [None]
