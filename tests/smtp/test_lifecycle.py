"""The SMTP listeners start and stop with the server: no thread, socket or session outlives it."""

from __future__ import annotations

import gc
import os
import smtplib
import threading
import time

import pytest
from support import message, smtp_client

from pytest_lettr import LettrServer


def _counts() -> tuple[int, int]:
    gc.collect()
    return threading.active_count(), len(os.listdir("/proc/self/fd"))


def _settled(baseline: tuple[int, int]) -> tuple[int, int]:
    counts = _counts()
    for _ in range(250):
        if counts <= baseline:
            break
        time.sleep(0.02)
        counts = _counts()
    return counts


def test_stopping_with_open_sessions_ends_them_and_leaks_nothing() -> None:
    LettrServer().start().stop()  # what a process makes once (the local CA, faker) is not a leak
    baseline = _counts()
    for i in range(10):
        server = LettrServer(seed=i).start()
        idle = smtp_client(server)
        busy = smtp_client(server, implicit=True)
        busy.ehlo()
        busy.mail("ada@example.com")
        busy.rcpt("bob@example.com")  # mid-transaction
        if i == 0:
            idle.send_message(message("before the stop"))
            assert len(server.emails) == 1
        server.stop()
        with pytest.raises((smtplib.SMTPServerDisconnected, OSError)):
            idle.noop()
        with pytest.raises((smtplib.SMTPServerDisconnected, OSError)):
            busy.noop()
        idle.close()
        busy.close()
    assert _settled(baseline) <= baseline


def test_a_stopped_server_starts_again_on_new_ports() -> None:
    server = LettrServer(seed=1).start()
    try:
        server.stop()
        server.start()
        with smtp_client(server) as client:
            client.send_message(message("again"))
        assert server.emails[-1].subject == "again"
    finally:
        server.stop()


def test_smtp_can_be_turned_off() -> None:
    with LettrServer(smtp=False) as server:
        assert server.smtp is None
        with pytest.raises(RuntimeError, match="smtp=False"):
            _ = server.smtp_port


def test_a_session_opened_before_a_reset_cannot_send_into_the_new_account(lettr_server: LettrServer) -> None:
    client = smtp_client(lettr_server)
    try:
        lettr_server.reset("another test")
        with pytest.raises(smtplib.SMTPSenderRefused) as caught:
            client.send_message(message("stale"))
        assert caught.value.smtp_code == 535
        assert len(lettr_server.emails) == 0
    finally:
        client.close()


def test_a_busy_smtp_port_raises_and_leaves_nothing_running() -> None:
    with LettrServer() as first:
        assert first.smtp is not None
        second = LettrServer(smtp_port=first.smtp_port)
        with pytest.raises(OSError):
            second.start()
        assert not second.is_running()
