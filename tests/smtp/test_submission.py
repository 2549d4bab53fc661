"""SMTP submission through smtplib: STARTTLS and implicit TLS, AUTH with a key, MIME → the stored email."""

from __future__ import annotations

import base64
import logging
import smtplib
from email.header import Header
from email.message import EmailMessage
from email.mime.application import MIMEApplication
from email.mime.image import MIMEImage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

import pytest
from support import Receiver, message, smtp_client

from pytest_lettr import LettrServer

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==")


def test_a_multipart_message_with_an_attachment_is_stored_as_an_api_send_would_be(lettr_server: LettrServer) -> None:
    msg = message("Order confirmed", text="Your order shipped.", html="<p>Your order <b>shipped</b>.</p>",
                  Cc="Carol <carol@example.com>", Reply_To="support@example.com", X_Order_Id="A-7",
                  X_Lettr_Metadata='{"order_id": "A-7", "tier": "gold"}', X_Lettr_Tag="orders")
    msg.add_attachment(b"%PDF-1.4 invoice", maintype="application", subtype="pdf", filename="invoice.pdf")
    with smtp_client(lettr_server) as client:
        refused = client.send_message(msg, to_addrs=["bob@example.com", "carol@example.com", "dave@example.com"])
    assert refused == {}
    email = lettr_server.assert_sent(to="bob@example.com")
    assert (email.from_, email.to, email.cc, email.bcc) == (
        "ada@example.com", ["bob@example.com"], ["carol@example.com"], ["dave@example.com"])
    assert email.reply_to == "support@example.com" and email.extra["from_name"] == "Ada"
    assert email.subject == "Order confirmed"
    assert email.text == "Your order shipped.\n"  # the wire's CRLF becomes \n, as in an API send
    assert email.html is not None and "<b>shipped</b>" in email.html
    (attachment,) = email.attachments
    assert (attachment.filename, attachment.content_type, attachment.content) == (
        "invoice.pdf", "application/pdf", b"%PDF-1.4 invoice")
    assert email.headers == {"X-Order-Id": "A-7"}
    assert email.metadata == {"order_id": "A-7", "tier": "gold"} and email.tags == ["orders"]
    assert email.status == "sent" and email.extra["dialect"] == "smtp"


def test_implicit_tls_on_the_smtps_port(lettr_server: LettrServer) -> None:
    with smtp_client(lettr_server, implicit=True) as client:
        client.send_message(message("Over implicit TLS"))
    assert lettr_server.assert_sent(subject="Over implicit TLS").to == ["bob@example.com"]


def test_the_certificate_verifies_with_the_local_ca_for_the_smtp_host(lettr_server: LettrServer) -> None:
    with smtp_client(lettr_server, login=False) as client:
        sock = client.sock
        assert sock is not None and sock.version() in ("TLSv1.2", "TLSv1.3")  # type: ignore[union-attr]


def test_encoded_subject_and_non_utf8_charsets_are_decoded(lettr_server: LettrServer) -> None:
    msg = MIMEMultipart("alternative")
    msg["From"], msg["To"] = "ada@example.com", "bob@example.com"
    msg["Subject"] = Header("Größe: Привет", "utf-8")
    msg.attach(MIMEText("Größe passt", "plain", "iso-8859-1"))
    msg.attach(MIMEText("<p>Привет мир</p>", "html", "koi8-r"))
    with smtp_client(lettr_server) as client:
        client.send_message(msg)
    email = lettr_server.emails[-1]
    assert email.subject == "Größe: Привет"
    assert email.text == "Größe passt" and email.html == "<p>Привет мир</p>"


def test_related_html_with_an_inline_image_keeps_the_image_as_an_attachment(lettr_server: LettrServer) -> None:
    related = MIMEMultipart("related")
    related.attach(MIMEText('<p><img src="cid:logo"></p>', "html"))
    image = MIMEImage(PNG, "png")
    image.add_header("Content-ID", "<logo>")
    image.add_header("Content-Disposition", "inline")
    related.attach(image)
    outer = MIMEMultipart("mixed")
    alternative = MIMEMultipart("alternative")
    alternative.attach(MIMEText("logo", "plain"))
    alternative.attach(related)
    outer.attach(alternative)
    outer.attach(MIMEApplication(b"a,b\n1,2\n", "csv", Name="report.csv"))
    outer["From"], outer["To"], outer["Subject"] = "ada@example.com", "bob@example.com", "Nested"
    with smtp_client(lettr_server) as client:
        client.send_message(outer)
    email = lettr_server.emails[-1]
    assert email.text == "logo" and email.html == '<p><img src="cid:logo"></p>'
    assert [(a.content_type, a.content) for a in email.attachments] == [
        ("image/png", PNG), ("application/csv", b"a,b\n1,2\n")]
    assert email.attachments[1].filename == "report.csv"


def test_a_wrong_key_gets_535_and_is_audited_without_the_secret(lettr_server: LettrServer) -> None:
    wrong = "lttr_" + "x" * 64
    with pytest.raises(smtplib.SMTPAuthenticationError) as caught:
        smtp_client(lettr_server, wrong)
    assert caught.value.smtp_code == 535
    assert b"Authentication credentials invalid" in caught.value.smtp_error
    failed = [e for e in lettr_server.audit_log if e.action == "auth.failed"]
    assert failed and all(e.metadata["intake"] == "smtp" for e in failed)
    assert wrong not in repr(lettr_server.audit_log)


def test_a_revoked_or_expired_key_gets_535(lettr_server: LettrServer) -> None:
    created = lettr_server.create_key("old", permissions=["emails:send"])
    lettr_server.account.keys.delete(created.id)
    with pytest.raises(smtplib.SMTPAuthenticationError) as caught:
        smtp_client(lettr_server, created.key)
    assert caught.value.smtp_code == 535


def test_the_api_user_name_is_accepted_and_any_other_refused(lettr_server: LettrServer) -> None:
    with smtp_client(lettr_server, user="api") as client:
        client.send_message(message("as api"))
    lettr_server.assert_sent(subject="as api")
    with pytest.raises(smtplib.SMTPAuthenticationError):
        smtp_client(lettr_server, user="admin")
    assert any(e.action == "auth.failed" and e.metadata["command"] == "AUTH" for e in lettr_server.audit_log)


def test_auth_is_not_offered_before_tls(lettr_server: LettrServer) -> None:
    with smtp_client(lettr_server, tls=False, login=False) as client:
        client.ehlo()
        assert not client.has_extn("auth") and client.has_extn("starttls")
        token = base64.b64encode(f"\0lettr\0{lettr_server.admin_key}".encode()).decode()
        code, _ = client.docmd("AUTH", "PLAIN " + token)
    assert code == 538
    assert not any(e.action == "email.sent" for e in lettr_server.audit_log)


def test_mail_without_auth_is_relayed_only_for_an_inbound_domain(lettr_server: LettrServer) -> None:
    with smtp_client(lettr_server, login=False) as client, pytest.raises(smtplib.SMTPRecipientsRefused) as caught:
        client.send_message(message())
    ((code, reply),) = caught.value.recipients.values()
    assert code == 550 and b"Relay access denied" in reply
    assert len(lettr_server.emails) == 0
    assert [e.type for e in lettr_server.account.inbound.rejections] == ["relay.relay_rejection"]


def test_a_send_only_key_is_accepted(lettr_server: LettrServer) -> None:
    key = lettr_server.create_key("mailer", permissions=["emails:send"])
    with smtp_client(lettr_server, key.key) as client:
        client.send_message(message("send only"))
    assert lettr_server.assert_sent(subject="send only").api_key_id == key.id
    assert lettr_server.permissions_used(key.id) == {"emails:send"}


def test_a_key_without_emails_send_is_refused_and_audited(lettr_server: LettrServer) -> None:
    key = lettr_server.create_key("reader", permissions=["emails:read"])
    with pytest.raises(smtplib.SMTPAuthenticationError) as caught:
        smtp_client(lettr_server, key.key)
    assert 500 <= caught.value.smtp_code < 600
    forbidden = [e for e in lettr_server.audit_log if e.action == "auth.forbidden"]
    assert forbidden[-1].metadata["required_permission"] == "emails:send"


def test_an_ip_restriction_applies(lettr_server: LettrServer) -> None:
    key = lettr_server.create_key("office", ip_restrictions=["10.1.2.3"])
    with pytest.raises(smtplib.SMTPAuthenticationError) as caught:
        smtp_client(lettr_server, key.key)
    assert caught.value.smtp_code == 550
    assert lettr_server.audit_log[-1].metadata["restriction"] == "ip"


def test_an_unverified_sender_domain_is_refused_and_a_verified_one_sent(lettr_server: LettrServer) -> None:
    with smtp_client(lettr_server) as client:
        with pytest.raises(smtplib.SMTPDataError) as caught:
            client.send_message(message("unverified", sender="Ada <ada@acme.io>"))
        assert caught.value.smtp_code == 550 and b"acme.io" in caught.value.smtp_error
        lettr_server.add_domain("acme.io")
        client.send_message(message("verified", sender="Ada <ada@acme.io>"))
    assert [e.subject for e in lettr_server.emails] == ["verified"]


def test_a_sandbox_key_is_rewritten_to_the_owner(lettr_server: LettrServer) -> None:
    key = lettr_server.create_key("sandbox", mode="sandbox")
    with smtp_client(lettr_server, key.key) as client:
        client.send_message(message("sandboxed"), to_addrs=["bob@example.com", "eve@example.com"])
    email = lettr_server.assert_sent(subject="sandboxed")
    assert email.to == [lettr_server.account.owner.email] and email.bcc == []
    assert email.from_.endswith("@" + lettr_server.sandbox.policy.domain) and email.sandbox
    assert email.extra["original_recipients"]["bcc"] == ["eve@example.com"]


def test_a_bad_recipient_is_refused_at_rcpt_with_550(lettr_server: LettrServer) -> None:
    with smtp_client(lettr_server) as client:
        client.ehlo()
        client.mail("ada@example.com")
        code, reply = client.rcpt("not an address")
        assert code == 550 and b"5.1.3" in reply
        assert client.rcpt("bob@example.com")[0] == 250
        assert client.data(message().as_bytes())[0] == 250
    assert lettr_server.emails[-1].to == ["bob@example.com"]


def test_more_than_fifty_recipients_are_refused_at_rcpt(lettr_server: LettrServer) -> None:
    with smtp_client(lettr_server) as client:
        client.ehlo()
        client.mail("ada@example.com")
        codes = [client.rcpt(f"user{i}@example.com")[0] for i in range(51)]
    assert codes[:50] == [250] * 50 and codes[50] == 452


def test_suppressed_recipients_are_dropped_as_by_the_api(lettr_server: LettrServer) -> None:
    lettr_server.suppress("eve@example.com")
    with smtp_client(lettr_server) as client:
        client.send_message(message("mixed"), to_addrs=["bob@example.com", "eve@example.com"])
    email = lettr_server.assert_sent(subject="mixed")
    assert email.recipients == ["bob@example.com"] and email.extra["rejected"] == 1


def test_the_rate_limit_answers_421_per_message(lettr_server: LettrServer) -> None:
    lettr_server.set_rate_limit(1, per_seconds=60)
    with smtp_client(lettr_server) as client:
        client.send_message(message("first"))
        with pytest.raises(smtplib.SMTPSenderRefused) as caught:
            client.send_message(message("second"))
    assert caught.value.smtp_code == 421
    assert [e.subject for e in lettr_server.emails] == ["first"]


def test_a_key_revoked_mid_session_stops_the_next_message(lettr_server: LettrServer) -> None:
    key = lettr_server.create_key("mailer", permissions=["emails:send"])
    with smtp_client(lettr_server, key.key) as client:
        client.send_message(message("before"))
        lettr_server.account.keys.delete(key.id)
        with pytest.raises(smtplib.SMTPSenderRefused) as caught:
            client.send_message(message("after"))
    assert caught.value.smtp_code == 535
    assert [e.subject for e in lettr_server.emails] == ["before"]


@pytest.mark.lettr(plan="free")
def test_the_quota_is_a_temporary_failure(lettr_server: LettrServer) -> None:
    lettr_server.quota.policy.daily_limit = 1
    with smtp_client(lettr_server) as client:
        client.send_message(message("one"))
        with pytest.raises(smtplib.SMTPDataError) as caught:
            client.send_message(message("two"))
    assert caught.value.smtp_code == 451


@pytest.mark.lettr(sensitive_data="error")
def test_the_sensitive_data_guard_refuses_the_message(lettr_server: LettrServer) -> None:
    with smtp_client(lettr_server) as client, pytest.raises(smtplib.SMTPDataError) as caught:
        client.send_message(message("Your password is hunter2", text="password: hunter2"))
    assert caught.value.smtp_code == 550 and len(lettr_server.emails) == 0


def test_the_same_events_and_webhooks_follow(lettr_server: LettrServer) -> None:
    with Receiver() as receiver:
        lettr_server.add_webhook(receiver.url + "/hooks", ["email.sent"])
        with smtp_client(lettr_server) as client:
            client.send_message(message("hooked", X_Lettr_Metadata='{"user": "7"}'))
        email = lettr_server.emails[-1]
        assert [e.type for e in email.events] == ["email.sent"]
        assert email.events[0].data["metadata"] == {"user": "7"}
        (request,) = receiver.requests
    assert email.id in request.body.decode()


def test_a_session_sends_several_messages(lettr_server: LettrServer) -> None:
    with smtp_client(lettr_server) as client:
        for n in range(3):
            client.send_message(message(f"n{n}"))
    assert [e.subject for e in lettr_server.emails] == ["n0", "n1", "n2"]


def test_no_secret_reaches_the_logs(lettr_server: LettrServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with smtp_client(lettr_server) as client:
        client.send_message(message("logged"))
    with pytest.raises(smtplib.SMTPAuthenticationError):
        smtp_client(lettr_server, "lttr_" + "s" * 64)
    assert caplog.records, "aiosmtpd logs its sessions at DEBUG"
    text = caplog.text
    assert lettr_server.admin_key not in text and "s" * 64 not in text
    plain = base64.b64encode(f"\0lettr\0{lettr_server.admin_key}".encode()).decode()
    assert plain not in text


def test_a_message_without_from_header_uses_the_envelope_sender(lettr_server: LettrServer) -> None:
    msg = EmailMessage()
    msg["To"], msg["Subject"] = "bob@example.com", "no from"
    msg.set_content("x")
    with smtp_client(lettr_server) as client:
        client.sendmail("bounce@example.com", ["bob@example.com"], msg.as_bytes())
    assert lettr_server.emails[-1].from_ == "bounce@example.com"
