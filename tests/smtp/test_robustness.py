"""Malformed SMTP dialogues and malformed MIME: a clear reply, never a crash or a stuck session.

After every case the same session still answers ``NOOP``, the mock reported no bug, and whatever
was stored renders through both HTTP dialects.
"""

from __future__ import annotations

import base64
import socket
import ssl

import pytest
from support import client_for, smtp_client, tls_context

from pytest_lettr import LettrServer

HEAD = b"From: ada@example.com\r\nTo: bob@example.com\r\n"

# (name, commands after EHLO + AUTH, the reply code of the last one)
DIALOGUES = [
    ("data before mail", ["DATA"], 503),
    ("rcpt before mail", ["RCPT TO:<bob@example.com>"], 503),
    ("mail twice", ["MAIL FROM:<ada@example.com>", "MAIL FROM:<ada@example.com>"], 503),
    ("mail from garbage", ["MAIL FROM:<@@@>"], 553),
    ("rcpt to garbage", ["MAIL FROM:<ada@example.com>", "RCPT TO:<a b@c>"], 550),
    ("rcpt to nothing", ["MAIL FROM:<ada@example.com>", "RCPT TO:<>"], 550),
    ("data without recipients", ["MAIL FROM:<ada@example.com>", "DATA"], 503),
    ("unknown command", ["FROBNICATE now"], 500),
    ("a second auth", ["AUTH PLAIN " + base64.b64encode(b"\0lettr\0x").decode()], 503),
    ("a nul in a command", ["MAIL FROM:<ada\0@example.com>"], 550),
    ("a very long line", ["MAIL FROM:<" + "a" * 2000 + "@example.com>"], 500),
    ("unknown mail parameter", ["MAIL FROM:<ada@example.com> FROB=1"], 555),
]


@pytest.mark.parametrize(("commands", "expected"), [d[1:] for d in DIALOGUES], ids=[d[0] for d in DIALOGUES])
def test_a_bad_dialogue_gets_a_clear_reply(lettr_server: LettrServer, commands: list[str], expected: int) -> None:
    with smtp_client(lettr_server) as client:
        client.ehlo()
        code = 0
        for command in commands:
            code, _ = client.docmd(command)
        assert code == expected
        client.rset()
        assert client.noop()[0] == 250
    assert lettr_server.handler_errors == [] and len(lettr_server.emails) == 0


def test_bad_auth_exchanges_are_answered(lettr_server: LettrServer) -> None:
    with smtp_client(lettr_server, login=False) as client:
        client.ehlo()
        assert client.docmd("AUTH PLAIN !!notbase64")[0] == 501
        assert client.docmd("AUTH CRAM-MD5")[0] == 504
        assert client.docmd("AUTH LOGIN")[0] == 334
        assert client.docmd("*")[0] == 501  # the client aborts
        assert client.noop()[0] == 250


def test_plain_text_to_the_implicit_tls_port_is_dropped_not_hung(lettr_server: LettrServer) -> None:
    with socket.create_connection((lettr_server.smtp_host, lettr_server.smtps_port), timeout=10) as sock:
        sock.sendall(b"EHLO plain\r\n")
        answer = sock.recv(100)  # a TLS alert or the close, within the timeout (never an SMTP greeting)
        assert not answer.startswith(b"220")
    with smtp_client(lettr_server, implicit=True) as client:  # the port still serves
        assert client.noop()[0] == 250


def test_a_client_that_vanishes_mid_handshake_leaves_the_listener_serving(lettr_server: LettrServer) -> None:
    for _ in range(3):
        sock = socket.create_connection((lettr_server.smtp_host, lettr_server.smtps_port), timeout=10)
        sock.close()
    raw = socket.create_connection((lettr_server.smtp_host, lettr_server.smtp_port), timeout=10)
    raw.recv(200)
    raw.sendall(b"EHLO x\r\nSTARTTLS\r\n")
    raw.close()
    with smtp_client(lettr_server) as client:
        assert client.noop()[0] == 250
    assert lettr_server.handler_errors == []


# (name, the raw message, the reply code of DATA)
MESSAGES = [
    ("empty", b"", 250),
    ("headers only", HEAD + b"Subject: nothing\r\n", 250),
    ("no headers", b"just a body line\r\n", 250),
    ("garbage from header", b"From: <<<>>>\r\nTo: bob@example.com\r\n\r\nhi\r\n", 250),
    ("bad encoded word", HEAD + b"Subject: =?utf-8?b?!!!?= =?x-nope?q?abc?=\r\n\r\nhi\r\n", 250),
    ("raw latin-1 header bytes", HEAD + b"Subject: Gr\xf6\xdfe\r\n\r\nK\xe4se\r\n", 250),
    ("unknown charset", HEAD + b"Content-Type: text/plain; charset=x-klingon\r\n\r\nqapla\xe9\r\n", 250),
    ("multipart without boundary", HEAD + b"Content-Type: multipart/mixed\r\n\r\nbody\r\n", 250),
    ("boundary never closed", HEAD + b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
                                     b"Content-Type: text/plain\r\n\r\npart one\r\n", 250),
    ("broken base64", HEAD + b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
                             b"Content-Type: application/pdf; name=x.pdf\r\nContent-Transfer-Encoding: base64\r\n"
                             b"\r\n!!!not*base64===\r\n--b--\r\n", 250),
    ("bad quoted-printable", HEAD + b"Content-Transfer-Encoding: quoted-printable\r\n\r\n=ZZ=4\r\n", 250),
    ("a path in a file name", HEAD + b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
                                     b'Content-Type: text/csv\r\nContent-Disposition: attachment; '
                                     b'filename="../../etc/passwd"\r\n\r\na,b\r\n--b--\r\n', 250),
    ("deep nesting", HEAD + b"".join(b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (i, i)
                                     for i in range(60)) + b"Content-Type: text/plain\r\n\r\ndeep\r\n", 250),
    ("metadata not json", HEAD + b"X-Lettr-Metadata: {not json\r\n\r\nhi\r\n", 550),
    ("metadata not an object", HEAD + b"X-Lettr-Metadata: [1, 2]\r\n\r\nhi\r\n", 550),
    ("a tag too long", HEAD + b"X-Lettr-Tag: " + b"t" * 100 + b"\r\n\r\nhi\r\n", 550),
    ("a tag with a space", HEAD + b"X-Lettr-Tag: spring sale\r\n\r\nhi\r\n", 550),
    ("metadata over 8 KB", HEAD + b"X-Lettr-Metadata: {" + b",\r\n ".join(b'"k%02d": "%s"' % (i, b"v" * 400)
                                                            for i in range(25)) + b"}\r\n\r\nhi\r\n", 550),
    ("over 5 MB of attachments", HEAD + b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
                                        b"Content-Type: application/octet-stream\r\n"
                                        b"Content-Disposition: attachment; filename=big.bin\r\n"
                                        b"Content-Transfer-Encoding: base64\r\n\r\n"
                                        + b"QUFB\r\n" * (1024 * 1400) + b"--b--\r\n", 550),
    ("a bare-LF line too long", HEAD + b"\r\n" + b"x\n" * 1000, 500),
]


@pytest.mark.parametrize(("raw", "expected"), [m[1:] for m in MESSAGES], ids=[m[0] for m in MESSAGES])
def test_malformed_mime_gets_a_clear_reply(lettr_server: LettrServer, raw: bytes, expected: int) -> None:
    with smtp_client(lettr_server) as client:
        client.ehlo()
        assert client.mail("ada@example.com")[0] == 250
        assert client.rcpt("bob@example.com")[0] == 250
        code, _ = client.data(raw)
        assert code == expected
        client.rset()
        assert client.noop()[0] == 250
    assert lettr_server.handler_errors == []
    assert len(lettr_server.emails) == (1 if expected == 250 else 0)
    for dialect in ("v1", "api"):
        with client_for(lettr_server, dialect=dialect) as http:  # type: ignore[arg-type]
            assert http.get("/emails").status_code == 200
            for email in lettr_server.emails:
                assert http.get(f"/emails/{email.id if dialect == 'v1' else email.request_id}").status_code == 200


def test_stored_text_is_valid_unicode_whatever_the_bytes(lettr_server: LettrServer) -> None:
    with smtp_client(lettr_server) as client:
        client.sendmail("ada@example.com", ["bob@example.com"], HEAD + b"Subject: Gr\xf6\xdfe\r\n\r\nK\xe4se\r\n")
    email = lettr_server.emails[-1]
    for text in (email.subject or "", email.text or ""):
        text.encode("utf-8")  # no lone surrogates


def test_a_path_file_name_is_replaced(lettr_server: LettrServer) -> None:
    raw = dict((m[0], m[1]) for m in MESSAGES)["a path in a file name"]
    with smtp_client(lettr_server) as client:
        client.sendmail("ada@example.com", ["bob@example.com"], raw)
    (attachment,) = lettr_server.emails[-1].attachments
    assert "/" not in attachment.filename and attachment.content == b"a,b"


def test_an_oversized_message_is_refused_with_552(lettr_server: LettrServer) -> None:
    with smtp_client(lettr_server) as client:
        client.ehlo()
        limit = int(client.esmtp_features["size"])
        code, _ = client.docmd(f"MAIL FROM:<ada@example.com> SIZE={limit + 1}")
        assert code == 552
        assert client.noop()[0] == 250


def test_the_listener_binds_loopback_only() -> None:
    from pytest_lettr.smtp.listener import loopback_only

    assert loopback_only("127.0.0.1") == "127.0.0.1" and loopback_only("::1") == "::1"
    with pytest.raises(ValueError, match="loopback"):
        loopback_only("0.0.0.0")


def test_a_server_on_a_wildcard_http_host_still_listens_for_smtp_on_loopback() -> None:
    server = LettrServer(host="0.0.0.0")
    try:
        assert server.smtp_host == "127.0.0.1"
    finally:
        server.stop()


def test_tls_context_is_verified(lettr_server: LettrServer) -> None:
    wrong = ssl.create_default_context()  # the system CAs do not know the local CA
    address = (lettr_server.smtp_host, lettr_server.smtps_port)
    with socket.create_connection(address, timeout=10) as sock, pytest.raises(ssl.SSLCertVerificationError):
        wrong.wrap_socket(sock, server_hostname=lettr_server.smtp_host)
    assert tls_context(lettr_server.smtp_ca_bundle) is tls_context(lettr_server.smtp_ca_bundle)
