"""HTTPS: the local CA's certificate verified by httpx, requests and the official SDK."""

from __future__ import annotations

import http.client
import json
import os
import socket
import ssl
import threading
import warnings

import certifi
import httpx
import lettr
import pytest
import requests

from pytest_lettr import LettrServer

pytest_plugins = ("pytester",)

EMAIL = {"from": "shop@example.com", "to": "ada@example.com", "subject": "Receipt", "text": "Thanks"}


def _auth(server: LettrServer) -> dict[str, str]:
    return {"Authorization": f"Bearer {server.admin_key}"}


def test_server_serves_https_with_a_ca_bundle(lettr_server_https: LettrServer) -> None:
    assert lettr_server_https.url.startswith("https://127.0.0.1:")
    assert lettr_server_https.v1_url == lettr_server_https.url + "/v1"
    assert lettr_server_https.ca_bundle is not None
    with open(lettr_server_https.ca_bundle, encoding="ascii") as pem:
        assert pem.read().startswith("-----BEGIN CERTIFICATE-----")


def test_httpx_verifies_with_the_ca_bundle(lettr_server_https: LettrServer) -> None:
    ca_bundle = lettr_server_https.ca_bundle
    assert ca_bundle is not None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # httpx >= 0.28 prefers an SSLContext
        client = httpx.Client(verify=ca_bundle, trust_env=False)
    with client:
        response = client.post(lettr_server_https.v1_url + "/emails", json=EMAIL,
                               headers=_auth(lettr_server_https))
    assert response.status_code == 200, response.text
    assert response.json()["to"] == ["ada@example.com"]
    lettr_server_https.assert_sent(to="ada@example.com", subject="Receipt")


def test_httpx_verifies_with_an_ssl_context(lettr_server_https: LettrServer) -> None:
    context = ssl.create_default_context(cafile=lettr_server_https.ca_bundle)
    with httpx.Client(verify=context, trust_env=False, base_url=lettr_server_https.v1_url) as client:
        for _ in range(3):  # several requests over one kept-alive TLS connection
            assert client.post("/emails", json=EMAIL, headers=_auth(lettr_server_https)).status_code == 200
        listed = client.get("/emails", headers=_auth(lettr_server_https)).json()
    assert listed["totalCount"] == 3


def test_requests_verifies_with_the_ca_bundle(lettr_server_https: LettrServer) -> None:
    with requests.Session() as session:
        session.trust_env = False
        response = session.post(lettr_server_https.v1_url + "/emails", json=EMAIL,
                                headers=_auth(lettr_server_https), verify=lettr_server_https.ca_bundle)
    assert response.status_code == 200, response.text
    assert len(lettr_server_https.emails) == 1


def test_the_fixture_points_ssl_cert_file_and_requests_at_the_ca(lettr_server_https: LettrServer) -> None:
    assert os.environ["SSL_CERT_FILE"] == lettr_server_https.ca_bundle
    assert os.environ["REQUESTS_CA_BUNDLE"] == lettr_server_https.ca_bundle
    # Clients with default settings now verify the mock without being told about it.
    assert httpx.get(lettr_server_https.v1_url + "/emails", headers=_auth(lettr_server_https)).status_code == 200
    assert requests.get(lettr_server_https.v1_url + "/emails", headers=_auth(lettr_server_https)).status_code == 200


def test_a_client_that_does_not_trust_the_ca_is_refused(lettr_server_https: LettrServer) -> None:
    untrusting = ssl.create_default_context(cafile=certifi.where())
    with httpx.Client(verify=untrusting, trust_env=False) as client, pytest.raises(httpx.ConnectError):
        client.get(lettr_server_https.v1_url + "/emails", headers=_auth(lettr_server_https))
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(lettr_server_https.v1_url + "/emails", verify=certifi.where())
    # ... and the server is still up for those that do.
    with httpx.Client(verify=ssl.create_default_context(cafile=lettr_server_https.ca_bundle)) as client:
        assert client.get(lettr_server_https.v1_url + "/emails", headers=_auth(lettr_server_https)).status_code == 200


def test_official_sdk_verifies_through_ssl_cert_file(lettr_server_https: LettrServer) -> None:
    key = lettr_server_https.create_key("sdk", mode="api")
    client = lettr.Lettr(key.key, base_url=lettr_server_https.api_url)
    assert client.health().status == "ok"
    check = client.auth_check()
    assert check.team_id


def test_official_sdk_refuses_the_server_without_the_ca(lettr_server_https: LettrServer,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", certifi.where())
    client = lettr.Lettr(lettr_server_https.create_key("sdk", mode="api").key,
                         base_url=lettr_server_https.api_url)
    with pytest.raises(lettr.LettrError, match=r"CERTIFICATE_VERIFY_FAILED|certificate verify failed"):
        client.health()


@pytest.mark.lettr(https=True)
def test_the_marker_makes_lettr_server_the_https_one(lettr_server: LettrServer, lettr_env: LettrServer,
                                                      lettr_server_https: LettrServer) -> None:
    assert lettr_server is lettr_server_https
    assert lettr_server.url.startswith("https://")
    assert os.environ["LETTR_BASE_URL"] == lettr_server.v1_url
    assert os.environ["SSL_CERT_FILE"] == lettr_server.ca_bundle
    assert httpx.post(os.environ["LETTR_BASE_URL"] + "/emails", json=EMAIL,
                      headers={"Authorization": f"Bearer {os.environ['LETTR_API_KEY']}"}).status_code == 200
    lettr_server.assert_sent(count=1, to="ada@example.com")


def test_plain_lettr_server_stays_http(lettr_server: LettrServer) -> None:
    assert lettr_server.url.startswith("http://")
    assert lettr_server.ca_bundle is None


def test_keep_alive_over_tls_with_the_stdlib_client(lettr_server_https: LettrServer) -> None:
    port = int(lettr_server_https.url.rsplit(":", 1)[1])
    context = ssl.create_default_context(cafile=lettr_server_https.ca_bundle)
    connection = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=10)
    try:
        bodies = []
        for _ in range(3):
            connection.request("POST", "/v1/emails", body=json.dumps(EMAIL),
                               headers={**_auth(lettr_server_https), "Content-Type": "application/json"})
            response = connection.getresponse()
            bodies.append(json.loads(response.read()))
            assert response.status == 200
            assert response.getheader("Connection") != "close"
        first_socket = connection.sock
        connection.request("GET", "/v1/emails", headers=_auth(lettr_server_https))
        assert json.loads(connection.getresponse().read())["totalCount"] == 3
        assert connection.sock is first_socket  # the same TLS connection served every request
    finally:
        connection.close()
    assert len({body["id"] for body in bodies}) == 3


def test_a_silent_or_plain_http_client_does_not_block_the_server(lettr_server_https: LettrServer) -> None:
    port = int(lettr_server_https.url.rsplit(":", 1)[1])
    silent = socket.create_connection(("127.0.0.1", port))  # never starts a TLS handshake
    plain = socket.create_connection(("127.0.0.1", port))
    try:
        plain.sendall(b"GET /v1/emails HTTP/1.1\r\nHost: x\r\n\r\n")  # HTTP spoken to a TLS port
        plain.settimeout(10)
        while plain.recv(4096):  # the server answers with at most a TLS alert, then hangs up
            pass
        context = ssl.create_default_context(cafile=lettr_server_https.ca_bundle)
        with httpx.Client(verify=context, trust_env=False) as client:
            response = client.get(lettr_server_https.v1_url + "/emails", headers=_auth(lettr_server_https))
        assert response.status_code == 200
    finally:
        silent.close()
        plain.close()


def test_standalone_https_server() -> None:
    with LettrServer(seed=7, https=True) as server:
        context = ssl.create_default_context(cafile=server.ca_bundle)
        with httpx.Client(verify=context, trust_env=False) as client:
            response = client.post(server.v1_url + "/emails", json=EMAIL, headers=_auth(server))
        assert response.status_code == 200
        assert server.is_running()
    assert not server.is_running()
    assert not any(t.name.startswith(f"lettr-httpserver:{server.httpserver.port}") for t in threading.enumerate())


def test_the_https_server_is_made_only_when_a_test_asks_for_it(pytester: pytest.Pytester,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    pytester.makepyfile(
        """
        import os
        import threading

        import pytest

        def servers():
            return sorted(t.name for t in threading.enumerate() if t.name.startswith("lettr-httpserver"))

        def test_plain(lettr_server):
            assert len(servers()) == 1
            assert "SSL_CERT_FILE" not in os.environ

        @pytest.mark.lettr(https=True)
        def test_marked(lettr_server):
            assert lettr_server.url.startswith("https://")
            assert os.environ["SSL_CERT_FILE"] == lettr_server.ca_bundle
            assert len(servers()) == 2

        def test_env_is_restored_after(lettr_server):
            assert "SSL_CERT_FILE" not in os.environ
        """
    )
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    result = pytester.runpytest_subprocess("-p", "no:randomly", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)


def test_trust_local_ca_for_a_server_started_by_hand(monkeypatch: pytest.MonkeyPatch) -> None:
    from pytest_lettr.plugin import trust_local_ca

    with LettrServer(https=True) as server:
        trust_local_ca(server, monkeypatch)
        assert os.environ["SSL_CERT_FILE"] == server.ca_bundle
        response = requests.get(server.v1_url + "/emails", headers=_auth(server))
        assert response.status_code == 200
    with LettrServer() as plain:
        monkeypatch.delenv("SSL_CERT_FILE")
        trust_local_ca(plain, monkeypatch)  # nothing to trust over plain HTTP
        assert "SSL_CERT_FILE" not in os.environ
