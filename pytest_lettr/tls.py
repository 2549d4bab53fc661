"""A throwaway certificate authority so the mock can serve HTTPS on loopback and clients verify it.

One CA and one server certificate (for ``localhost``, ``127.0.0.1`` and ``::1``) are made per
process, on first use, and written as PEM files that any client can be pointed at::

    ca = local_ca()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = ca.server_ssl_context().wrap_socket(server.socket, server_side=True)
    httpx.get(url, verify=str(ca.ca_bundle))        # or requests.get(url, verify=...),
    ssl.create_default_context(cafile=ca.ca_bundle)  # or SSL_CERT_FILE / REQUESTS_CA_BUNDLE

Choices, and why:

- EC P-256 keys: the fastest key type that every TLS client accepts (Ed25519 is faster to make
  but browsers and many TLS stacks refuse Ed25519 certificates; RSA-2048 costs ~35 ms a key).
- The CA is name-constrained to ``localhost`` and the loopback ranges, so even a leaked CA key
  cannot vouch for any other host; its key is never written to disk.
- The server certificate lives ~2 years (under the 825-day cap some clients enforce) and
  carries everything strict verifiers (Python 3.13's ``VERIFY_X509_STRICT``) ask for.
- ``cert_file`` holds the leaf only: the CA is the trust anchor, so there is no chain to send.
"""

from __future__ import annotations

import atexit
import ipaddress
import os
import shutil
import ssl
import tempfile
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = ["LocalCA", "local_ca"]

#: Lettr's real hosts: the certificate is valid for them too, so the proxy (:mod:`pytest_lettr.proxy`)
#: can answer a ``CONNECT`` to them, for clients that trust this CA and only those.
PROXIED_HOSTS = ("app.lettr.com", "api.lettr.dev")
SERVER_HOSTS = ("localhost", "127.0.0.1", "::1", *PROXIED_HOSTS)
"""What the server certificate is valid for."""

CA_LIFETIME = timedelta(days=3 * 365)
SERVER_LIFETIME = timedelta(days=730)
BACKDATE = timedelta(days=1)


@dataclass(frozen=True)
class LocalCA:
    """Paths to a CA bundle, a server certificate and its key (PEM), plus a ready server context.

    Holds paths only, never key material, so its ``repr`` is safe to print.
    """

    ca_bundle: Path
    cert_file: Path
    key_file: Path

    def server_ssl_context(self) -> ssl.SSLContext:
        """A fresh TLS 1.2+ server context that presents the server certificate.

        >>> context = local_ca().server_ssl_context()
        >>> context.protocol == ssl.PROTOCOL_TLS_SERVER
        True
        """
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(certfile=self.cert_file, keyfile=self.key_file)
        return context

    def client_ssl_context(self) -> ssl.SSLContext:
        """A default client context that trusts this CA (and only it)."""
        return ssl.create_default_context(cafile=str(self.ca_bundle))


_lock = threading.Lock()
_cache: dict[Path | None, LocalCA] = {}


def local_ca(directory: Path | None = None) -> LocalCA:
    """The process's local CA, made on first call and cached (thread-safe).

    Files go to a private temporary directory removed at interpreter exit, or to ``directory``
    (created if missing, left in place) when given; each directory gets its own CA.

    >>> local_ca() is local_ca()
    True
    """
    cache_key = None if directory is None else Path(directory).resolve()
    with _lock:
        found = _cache.get(cache_key)
        if found is None:
            if cache_key is None:
                target = Path(tempfile.mkdtemp(prefix="pytest-lettr-tls-"))
                atexit.register(shutil.rmtree, target, ignore_errors=True)
            else:
                target = cache_key
                target.mkdir(parents=True, exist_ok=True)
            found = _create(target)
            _cache[cache_key] = found
        return found


def _create(directory: Path) -> LocalCA:
    now = datetime.now(timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = _ca_certificate(ca_key, now)
    server_key = ec.generate_private_key(ec.SECP256R1())
    server_cert = _server_certificate(server_key, ca_key, ca_cert, now)

    ca_bundle = directory / "ca.pem"
    cert_file = directory / "server.pem"
    key_file = directory / "server-key.pem"
    ca_bundle.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    cert_file.write_bytes(server_cert.public_bytes(serialization.Encoding.PEM))
    _write_private(
        key_file,
        server_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )
    return LocalCA(ca_bundle=ca_bundle, cert_file=cert_file, key_file=key_file)


def _write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to a file only the owner can read, even if it already existed."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(descriptor, 0o600)
        os.write(descriptor, data)
    finally:
        os.close(descriptor)


def _ca_certificate(key: ec.EllipticCurvePrivateKey, now: datetime) -> x509.Certificate:
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "pytest-lettr"),
            x509.NameAttribute(NameOID.COMMON_NAME, "pytest-lettr local CA"),
        ]
    )
    public_key = key.public_key()
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(now + CA_LIFETIME)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.NameConstraints(
                permitted_subtrees=[
                    x509.DNSName("localhost"),
                    *(x509.DNSName(name) for name in PROXIED_HOSTS),
                    x509.IPAddress(ipaddress.ip_network("127.0.0.0/8")),
                    x509.IPAddress(ipaddress.ip_network("::1/128")),
                ],
                excluded_subtrees=None,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )


def _server_certificate(
    key: ec.EllipticCurvePrivateKey,
    ca_key: ec.EllipticCurvePrivateKey,
    ca_cert: x509.Certificate,
    now: datetime,
) -> x509.Certificate:
    public_key = key.public_key()
    ca_ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_cert.subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(now + SERVER_LIFETIME)
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName("localhost"),
                    *(x509.DNSName(name) for name in PROXIED_HOSTS),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                    x509.IPAddress(ipaddress.ip_address("::1")),
                ]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
