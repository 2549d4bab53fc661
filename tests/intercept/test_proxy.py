"""The HTTPS-intercepting proxy: CONNECT to Lettr's hosts is answered by the fake with TLS from the
local CA; any other host is 403 and nothing leaves the machine. Driven with curl, requests and Node."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from pytest_lettr import LettrServer
from pytest_lettr.proxy import connect_target

SEND = {"from": "app@example.com", "to": ["ada@example.com"], "subject": "Hi", "html": "<p>Hi</p>"}
NODE_SCRIPT = """
const { EnvHttpProxyAgent, setGlobalDispatcher } = require("undici");
setGlobalDispatcher(new EnvHttpProxyAgent());
fetch("https://app.lettr.com/api/emails", {
  method: "POST",
  headers: { Authorization: `Bearer ${process.env.LETTR_API_KEY}`, "Content-Type": "application/json" },
  body: JSON.stringify({ from: "app@example.com", to: ["ada@example.com"], subject: "From Node", html: "<p>x</p>" }),
}).then(async (res) => { console.log(JSON.stringify({ status: res.status, body: await res.json() })); });
"""


@pytest.fixture
def proxied() -> Iterator[LettrServer]:
    with LettrServer(proxy=True, smtp=False) as server:
        yield server


def _curl(server: LettrServer, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["curl", "-sS", "--max-time", "20", "-x", server.proxy_url, "--cacert",
                           str(server.ca_bundle), *args], capture_output=True, text=True, timeout=60, check=False)


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl_through_the_proxy(proxied: LettrServer) -> None:
    sent = _curl(proxied, "-H", f"Authorization: Bearer {proxied.admin_key}", "-H", "Content-Type: application/json",
                 "-d", json.dumps(SEND), "https://api.lettr.dev/v1/emails")
    assert json.loads(sent.stdout)["id"].startswith("email_"), sent.stderr
    refused = _curl(proxied, "https://example.com/")
    assert "403" in refused.stderr and refused.returncode != 0
    assert len(proxied.emails) == 1


def test_requests_through_the_proxy(proxied: LettrServer) -> None:
    with requests.Session() as session:
        session.proxies = {"https": proxied.proxy_url}
        sent = session.post("https://app.lettr.com/api/emails", json=SEND, verify=str(proxied.ca_bundle),
                            headers={"Authorization": f"Bearer {proxied.admin_key}"})
        assert sent.status_code == 200, sent.text
        with pytest.raises(requests.exceptions.ProxyError):
            session.get("https://example.org/", verify=str(proxied.ca_bundle))
    proxied.assert_sent(to="ada@example.com")


def test_other_hosts_and_methods_are_refused_without_connecting(proxied: LettrServer) -> None:
    for head in (b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
                 b"CONNECT app.lettr.com:80 HTTP/1.1\r\n\r\n",
                 b"GET http://app.lettr.com/api/emails HTTP/1.1\r\nHost: app.lettr.com\r\n\r\n",
                 b"garbage\r\n\r\n"):
        assert proxied.proxy is not None
        with socket.create_connection((proxied.proxy.host, proxied.proxy.port), timeout=10) as sock:
            sock.sendall(head)
            assert sock.recv(4096).startswith(b"HTTP/1.1 403 ")
    assert len(proxied.httpserver.log) == 0


def test_connect_targets_are_parsed() -> None:
    assert connect_target(b"CONNECT App.Lettr.com:443 HTTP/1.1\r\n\r\n") == ("app.lettr.com", 443)
    assert connect_target(b"CONNECT [::1]:443 HTTP/1.1\r\n\r\n") == ("::1", 443)
    assert connect_target(b"GET / HTTP/1.1\r\n\r\n") is None
    assert connect_target(b"CONNECT nohost HTTP/1.1\r\n\r\n") is None


def _undici() -> Path | None:
    """A directory with undici installed from npm (``None`` if npm cannot get it)."""
    directory = Path(tempfile.mkdtemp(prefix="lettr-undici-"))
    done = subprocess.run(["npm", "install", "--silent", "--no-audit", "--no-fund", "undici"], cwd=directory,
                          capture_output=True, text=True, timeout=180, check=False)
    return directory if done.returncode == 0 else None


@pytest.mark.skipif(shutil.which("node") is None or shutil.which("npm") is None,
                    reason="node and npm are not installed: the Node proxy recipe cannot run")
def test_node_fetch_through_undici_env_proxy_agent(proxied: LettrServer) -> None:
    directory = _undici()
    assert directory is not None, "npm install undici failed"
    script = directory / "send.js"
    script.write_text(NODE_SCRIPT)
    env = {**os.environ, "HTTPS_PROXY": proxied.proxy_url, "NODE_EXTRA_CA_CERTS": str(proxied.ca_bundle),
           "LETTR_API_KEY": proxied.admin_key}
    ran = subprocess.run(["node", str(script)], cwd=directory, env=env, capture_output=True, text=True,
                         timeout=60, check=False)
    shutil.rmtree(directory, ignore_errors=True)
    assert ran.returncode == 0, ran.stderr
    answer = json.loads(ran.stdout)
    assert answer["status"] == 200 and answer["body"]["data"]["accepted"] == 1
    proxied.assert_sent(subject="From Node")
