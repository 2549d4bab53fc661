"""``lettr-mock serve`` prints the control URL, and wants a control token off loopback."""

from __future__ import annotations

import re
import ssl

import httpx
import pytest
from support.serve import serving

from pytest_lettr.cli import is_loopback, main
from pytest_lettr.intercept import fake_proxy


def test_a_non_loopback_host_needs_a_control_token(capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LETTR_MOCK_CONTROL_TOKEN", raising=False)
    assert main(["serve", "--host", "0.0.0.0", "--port", "0"]) == 2
    assert "--control-token" in capsys.readouterr().err


@pytest.mark.parametrize(("host", "loopback"), [("127.0.0.1", True), ("127.8.0.1", True), ("::1", True),
                                                ("localhost", True), ("0.0.0.0", False), ("::", False),
                                                ("192.168.1.10", False), ("mock.internal", False)])
def test_loopback_hosts(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_serve_prints_the_control_url_and_enforces_the_token() -> None:
    with serving(env={"LETTR_MOCK_CONTROL_TOKEN": "tok-123"}) as text:
        found = re.search(r"control API:\s+(\S+)", text)
        assert found and found[1].endswith("/_lettr"), text
        assert "tok-123" not in text  # the token is never printed
        assert httpx.post(found[1] + "/accounts").status_code == 401
        made = httpx.post(found[1] + "/accounts", headers={"X-Lettr-Control-Token": "tok-123"})
        assert made.status_code == 201 and made.json()["admin_key"].startswith("le_")


def test_serve_runs_the_proxy_with_proxy_port() -> None:
    with serving("--proxy-port", "0") as text:
        found = re.search(r"proxy:\s+(\S+)\s+\(HTTPS_PROXY; CA bundle: (\S+)\)", text)
        key = re.search(r"admin key:\s+(\S+)", text)
        assert found and key, text
        proxy = httpx.URL(found[1])
        # a proxy of another process is not known to this one's guard until declared
        with fake_proxy(proxy.host, proxy.port or 80), \
                httpx.Client(proxy=found[1], verify=ssl.create_default_context(cafile=found[2])) as client:
            answer = client.get("https://api.lettr.dev/v1/emails", headers={"Authorization": f"Bearer {key[1]}"})
        assert answer.status_code == 200 and answer.json()["data"] == []
