"""``lettr-mock serve --smtp-port N --smtps-port M``: the listeners start with the server and are printed."""

from __future__ import annotations

import re
import smtplib
import socket
import ssl
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from support import message
from support.serve import serving

from pytest_lettr.cli import build_parser, main

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def served() -> Iterator[dict[str, str]]:
    with serving() as text:
        smtp = re.search(r"SMTP:\s+(\S+):(\d+) \(STARTTLS\), \S+:(\d+) \(implicit TLS\)", text)
        bundle = re.search(r"CA bundle:\s+(\S+)", text)
        key = re.search(r"admin key:\s+(\S+)", text)
        v1 = re.search(r"v1 API:\s+(\S+)", text)
        assert smtp and bundle and key and v1, text
        yield {"host": smtp[1], "port": smtp[2], "tls_port": smtp[3], "ca": bundle[1], "key": key[1], "v1": v1[1]}


def test_the_defaults_are_lettrs_alternate_ports() -> None:
    args = build_parser().parse_args(["serve"])
    assert (args.smtp_port, args.smtps_port) == (2587, 2465)


def test_an_out_of_range_smtp_port_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--smtp-port", "70000"]) == 2
    assert "--smtp-port" in capsys.readouterr().err


def test_serve_accepts_smtp_on_both_printed_ports(served: dict[str, str]) -> None:
    context = ssl.create_default_context(cafile=served["ca"])
    with smtplib.SMTP(served["host"], int(served["port"]), timeout=30) as client:
        client.starttls(context=context)
        client.login("lettr", served["key"])
        assert client.send_message(message("from the cli")) == {}
    with smtplib.SMTP_SSL(served["host"], int(served["tls_port"]), context=context, timeout=30) as client:
        client.login("lettr", served["key"])
        assert client.send_message(message("implicit")) == {}
    listed = httpx.get(served["v1"] + "/emails", headers={"Authorization": f"Bearer {served['key']}"}).json()
    assert sorted(e["subject"] for e in listed["data"]) == ["from the cli", "implicit"]


def test_a_busy_smtp_port_says_so_and_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["serve", "--port", "0", "--smtp-port", str(port), "--smtps-port", "0"]) == 1
    assert f"SMTP {port}" in capsys.readouterr().err
