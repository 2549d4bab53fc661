"""The local CA: real TLS handshakes with httpx, requests and urllib, and what the files hold."""

from __future__ import annotations

import ipaddress
import socket
import ssl
import stat
import threading
import urllib.error
import urllib.request
import warnings
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID

from pytest_lettr.tls import LocalCA, local_ca

BODY = b"hello over tls"


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def ca() -> LocalCA:
    return local_ca()


@pytest.fixture(scope="module")
def port(ca: LocalCA) -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    server.socket = ca.server_ssl_context().wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
    assert not thread.is_alive()


def _urlopen(url: str, context: ssl.SSLContext) -> bytes:
    opener = urllib.request.build_opener(
        urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=context)
    )
    with opener.open(url, timeout=10) as response:
        body: bytes = response.read()
    return body


def _requests_get(url: str, verify: str | bool) -> requests.Response:
    with requests.Session() as session:
        session.trust_env = False
        return session.get(url, verify=verify, timeout=10)


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_httpx_verifies_with_the_ca_bundle(ca: LocalCA, port: int, host: str) -> None:
    with warnings.catch_warnings():
        # httpx >= 0.28 prefers an SSLContext but still honours a CA file path.
        warnings.simplefilter("ignore", DeprecationWarning)
        response = httpx.get(f"https://{host}:{port}/", verify=str(ca.ca_bundle), trust_env=False)
    assert response.status_code == 200
    assert response.content == BODY


def test_httpx_verifies_with_the_client_context(ca: LocalCA, port: int) -> None:
    response = httpx.get(f"https://localhost:{port}/", verify=ca.client_ssl_context(), trust_env=False)
    assert response.content == BODY


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_requests_verifies_with_the_ca_bundle(ca: LocalCA, port: int, host: str) -> None:
    response = _requests_get(f"https://{host}:{port}/", str(ca.ca_bundle))
    assert response.status_code == 200
    assert response.content == BODY


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_urllib_verifies_with_a_default_context(ca: LocalCA, port: int, host: str) -> None:
    context = ssl.create_default_context(cafile=str(ca.ca_bundle))
    assert _urlopen(f"https://{host}:{port}/", context) == BODY


def test_client_ssl_context_helper(ca: LocalCA, port: int) -> None:
    assert _urlopen(f"https://127.0.0.1:{port}/", ca.client_ssl_context()) == BODY


def test_httpx_without_the_ca_fails_verification(port: int) -> None:
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        httpx.get(f"https://127.0.0.1:{port}/", verify=ssl.create_default_context(), trust_env=False)


def test_requests_without_the_ca_fails_verification(port: int) -> None:
    with pytest.raises(requests.exceptions.SSLError, match="CERTIFICATE_VERIFY_FAILED"):
        _requests_get(f"https://127.0.0.1:{port}/", True)


def test_urllib_without_the_ca_fails_verification(port: int) -> None:
    with pytest.raises(urllib.error.URLError) as caught:
        _urlopen(f"https://127.0.0.1:{port}/", ssl.create_default_context())
    assert isinstance(caught.value.reason, ssl.SSLCertVerificationError)


def _handshake(ca: LocalCA, port: int, server_hostname: str, strict: bool = False) -> None:
    context = ssl.create_default_context(cafile=str(ca.ca_bundle))
    if strict:
        context.verify_flags |= ssl.VERIFY_X509_STRICT
    with (
        socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname=server_hostname) as tls,
    ):
        assert tls.version() in {"TLSv1.2", "TLSv1.3"}


@pytest.mark.parametrize("name", ["localhost", "127.0.0.1", "::1"])
def test_certificate_names_every_loopback_host(ca: LocalCA, port: int, name: str) -> None:
    _handshake(ca, port, name)


def test_certificate_passes_strict_x509_checks(ca: LocalCA, port: int) -> None:
    _handshake(ca, port, "localhost", strict=True)


@pytest.mark.parametrize("name", ["example.com", "127.0.0.2", "lettr.localhost"])
def test_certificate_is_refused_for_other_hosts(ca: LocalCA, port: int, name: str) -> None:
    with pytest.raises(ssl.SSLCertVerificationError):
        _handshake(ca, port, name)


def test_the_ca_is_made_once_and_cached() -> None:
    first = local_ca()
    with ThreadPoolExecutor(max_workers=8) as pool:
        others = list(pool.map(lambda _: local_ca(), range(16)))
    assert all(other is first for other in others)


def test_a_given_directory_gets_its_own_ca(tmp_path: Path) -> None:
    target = tmp_path / "tls"
    mine = local_ca(target)
    assert mine is local_ca(target)
    assert mine is not local_ca()
    assert {mine.ca_bundle.parent, mine.cert_file.parent, mine.key_file.parent} == {target.resolve()}
    assert mine.ca_bundle.read_bytes() != local_ca().ca_bundle.read_bytes()


def test_files_exist_and_the_key_is_private(ca: LocalCA) -> None:
    assert ca.ca_bundle.read_bytes().startswith(b"-----BEGIN CERTIFICATE-----")
    assert ca.cert_file.read_bytes().count(b"-----BEGIN CERTIFICATE-----") == 1
    assert b"PRIVATE KEY" in ca.key_file.read_bytes()
    assert stat.S_IMODE(ca.key_file.stat().st_mode) == 0o600
    assert b"PRIVATE KEY" not in ca.ca_bundle.read_bytes() + ca.cert_file.read_bytes()
    assert not any("ca-key" in path.name for path in ca.ca_bundle.parent.iterdir())


def test_repr_hides_key_material(ca: LocalCA) -> None:
    text = repr(ca) + str(ca)
    assert "PRIVATE" not in text
    key_body = ca.key_file.read_text().splitlines()[1]
    assert key_body not in text
    assert "LocalCA(" in text


def test_certificate_contents(ca: LocalCA) -> None:
    root = x509.load_pem_x509_certificate(ca.ca_bundle.read_bytes())
    leaf = x509.load_pem_x509_certificate(ca.cert_file.read_bytes())

    assert isinstance(root.public_key(), ec.EllipticCurvePublicKey)
    assert isinstance(leaf.public_key(), ec.EllipticCurvePublicKey)
    assert leaf.public_key().curve.name == "secp256r1"  # type: ignore[union-attr]

    root_constraints = root.extensions.get_extension_for_class(x509.BasicConstraints)
    assert root_constraints.critical and root_constraints.value.ca
    root_usage = root.extensions.get_extension_for_class(x509.KeyUsage).value
    assert root_usage.key_cert_sign and root_usage.crl_sign
    root_ski = root.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value

    san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["localhost", "app.lettr.com", "api.lettr.dev"]
    assert set(san.get_values_for_type(x509.IPAddress)) == {
        ipaddress.ip_address("127.0.0.1"),
        ipaddress.ip_address("::1"),
    }
    assert not leaf.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    eku = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.SERVER_AUTH]
    aki = leaf.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    assert aki.key_identifier == root_ski.digest
    assert leaf.issuer == root.subject

    lifetime = leaf.not_valid_after_utc - leaf.not_valid_before_utc
    assert timedelta(days=365) < lifetime < timedelta(days=825)
    assert leaf.not_valid_before_utc < root.not_valid_after_utc
    assert leaf.not_valid_after_utc <= root.not_valid_after_utc
