"""SMTP clients for the fake's listeners (``smtplib``, verifying the local CA)::

    with smtp_client(lettr_server) as client:                 # STARTTLS + AUTH with the admin key
        client.send_message(message)
    with smtp_client(lettr_server, implicit=True, key=key):   # implicit TLS (the smtps port)
        ...
    with smtp_client(lettr_server, login=False, tls=False):   # as an MX would connect
        ...
"""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from pytest_lettr import LettrServer

from .clients import tls_context


def smtp_client(server: LettrServer, key: str | None = None, *, implicit: bool = False, tls: bool = True,
                login: bool = True, user: str = "lettr") -> smtplib.SMTP:
    """A connected client: TLS (STARTTLS, or implicit on ``smtps_port``), then ``AUTH`` unless ``login=False``."""
    context = tls_context(server.smtp_ca_bundle)
    client: smtplib.SMTP
    if implicit:
        client = smtplib.SMTP_SSL(server.smtp_host, server.smtps_port, context=context, timeout=30)
    else:
        client = smtplib.SMTP(server.smtp_host, server.smtp_port, timeout=30)
        if tls:
            client.starttls(context=context)
    if login:
        client.login(user, key or server.admin_key)
    return client


def message(subject: str = "Hello", *, sender: str = "Ada <ada@example.com>", to: str = "bob@example.com",
            text: str = "Hello Bob", html: str | None = None, **headers: str) -> EmailMessage:
    """A small message; ``headers`` are extra header fields (``X_Order="7"`` → ``X-Order: 7``)."""
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, to, subject
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(text)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    return msg
