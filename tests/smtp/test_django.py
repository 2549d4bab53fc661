"""Django's SMTP EmailBackend, configured as Lettr's guides say (STARTTLS, user ``lettr``, a key)."""

from __future__ import annotations

import smtplib

import django
import pytest
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.smtp import EmailBackend

from pytest_lettr import LettrServer

if not settings.configured:
    settings.configure(EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend", DEFAULT_CHARSET="utf-8")
    django.setup()


@pytest.fixture
def connection(lettr_server: LettrServer, monkeypatch: pytest.MonkeyPatch) -> EmailBackend:
    monkeypatch.setenv("SSL_CERT_FILE", lettr_server.smtp_ca_bundle)  # Django verifies with default CAs
    key = lettr_server.create_key("django", permissions=["emails:send"])
    backend = get_connection(host=lettr_server.smtp_host, port=lettr_server.smtp_port, username="lettr",
                          password=key.key, use_tls=True, timeout=30)
    assert isinstance(backend, EmailBackend)
    return backend


def test_django_html_and_attachment_over_starttls(lettr_server: LettrServer, connection: EmailBackend) -> None:
    mail = EmailMultiAlternatives("Bienvenue, Zoë", "Hello text", "Shop <shop@example.com>",
                                  ["ada@example.com"], bcc=["audit@example.com"], connection=connection,
                                  headers={"X-Lettr-Metadata": '{"user_id": "42"}'})
    mail.attach_alternative("<h1>Hello</h1>", "text/html")
    mail.attach("terms.txt", "Be nice.", "text/plain")
    assert mail.send() == 1
    email = lettr_server.assert_sent(to="ada@example.com")
    assert email.subject == "Bienvenue, Zoë" and email.from_ == "shop@example.com"
    assert email.bcc == ["audit@example.com"] and email.metadata == {"user_id": "42"}
    assert email.text == "Hello text" and email.html == "<h1>Hello</h1>"
    assert [(a.filename, a.content) for a in email.attachments] == [("terms.txt", b"Be nice.")]


def test_django_reports_a_bad_key(lettr_server: LettrServer, connection: EmailBackend) -> None:
    connection.password = "lttr_" + "z" * 40
    with pytest.raises(smtplib.SMTPAuthenticationError):
        EmailMultiAlternatives("x", "y", "shop@example.com", ["ada@example.com"], connection=connection).send()
    assert len(lettr_server.emails) == 0
