"""``client.emails.send``: every field of the spec, the account rules, validation and idempotency."""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable

import httpx
import lettr
import pytest

from pytest_lettr import LettrServer
from pytest_lettr.state import CreatedKey, Event

from .conftest import send_kwargs


@pytest.mark.lettr(domains=["shop.example"])
def test_send_stores_every_field(lettr_server: LettrServer, client: lettr.Lettr, api_key: CreatedKey) -> None:
    pdf = base64.b64encode(b"%PDF-1.4 invoice").decode()
    sent = client.emails.send(
        from_email="billing@shop.example", from_name="Shop Billing", to=["ada@example.com"],
        cc=["cc@example.com"], bcc=["audit@example.com"], reply_to="help@shop.example", reply_to_name="Help",
        subject="Invoice {{number}}", html="<p>Hi {{name}}</p>", text="Hi {{name}}", amp_html="<p>{{name}}</p>",
        tag="invoices", metadata={"order_id": "42"}, headers={"X-Order": "42"},
        substitution_data={"name": "Ada & Co", "number": "7"},
        options=lettr.EmailOptions(click_tracking=False, open_tracking=True, transactional=True),
        attachments=[lettr.Attachment(name="invoice.pdf", type="application/pdf", data=pdf)],
    )
    assert (sent.accepted, sent.rejected, sent.replayed) == (3, 0, False)
    assert sent.request_id.isdigit()
    email = lettr_server.assert_sent(to="ada@example.com")
    assert email.request_id == sent.request_id and email.api_key_id == api_key.id
    assert email.from_ == "billing@shop.example" and email.extra["from_name"] == "Shop Billing"
    assert (email.cc, email.bcc, email.reply_to) == (["cc@example.com"], ["audit@example.com"], "help@shop.example")
    assert email.subject == "Invoice 7"
    assert email.html == "<p>Hi Ada &amp; Co</p>" and email.text == "Hi Ada & Co"
    assert email.extra["amp_html"] == "<p>Ada &amp; Co</p>"
    assert (email.tags, email.metadata, email.headers) == (["invoices"], {"order_id": "42"}, {"X-Order": "42"})
    assert email.tracking == {"opens": True, "clicks": False}
    assert email.attachments[0].filename == "invoice.pdf"
    assert email.attachments[0].content == b"%PDF-1.4 invoice"
    assert email.attachments[0].content_type == "application/pdf"


def test_sent_email_is_in_v1_and_the_audit_log(lettr_server: LettrServer, client: lettr.Lettr) -> None:
    sent = client.emails.send(**send_kwargs(subject="One account"))
    response = httpx.get(lettr_server.v1_url + "/emails", headers={"Authorization": f"Bearer {lettr_server.admin_key}"})
    (listed,) = response.json()["data"]
    assert listed["subject"] == "One account" and listed["status"] == "sent"
    entry = lettr_server.audit_log[-1]
    assert (entry.action, entry.resource_type) == ("email.sent", "email")
    assert entry.metadata["request_id"] == sent.request_id
    assert [e.type for e in lettr_server.account.events] == ["email.sent"]


def test_substitutions_can_be_turned_off(lettr_server: LettrServer, client: lettr.Lettr) -> None:
    client.emails.send(**send_kwargs(html="<p>{{name}}</p>", substitution_data={"name": "x"},
                                     options=lettr.EmailOptions(perform_substitutions=False)))
    assert lettr_server.emails[-1].html == "<p>{{name}}</p>"


def test_validation_lists_every_bad_field(lettr_server: LettrServer, client: lettr.Lettr) -> None:
    with pytest.raises(lettr.ValidationError) as caught:
        client.emails.send(from_email="not-an-address", to=["ok@example.com", "bad"], html="<p>x</p>",
                           tag="t" * 65, headers={"Subject": "override"})
    errors = caught.value.errors
    assert caught.value.message == "Validation failed."
    assert set(errors) == {"from", "to.1", "subject", "tag", "headers.Subject"}
    assert errors["from"] == ["The from field must be a valid email address."]
    assert "managed by the system" in errors["headers.Subject"][0]
    assert len(lettr_server.emails) == 0


def test_content_is_required(client: lettr.Lettr) -> None:
    with pytest.raises(lettr.ValidationError) as caught:
        client.emails.send(from_email="a@example.com", to=["b@example.com"], subject="Empty")
    assert list(caught.value.errors) == ["html"]


def test_to_is_limited_to_50(client: lettr.Lettr) -> None:
    with pytest.raises(lettr.ValidationError) as caught:
        client.emails.send(**send_kwargs(to=[f"user{i}@example.com" for i in range(51)]))
    assert list(caught.value.errors) == ["to"]


def test_bad_attachment_is_named(client: lettr.Lettr) -> None:
    with pytest.raises(lettr.ValidationError) as caught:
        client.emails.send(**send_kwargs(attachments=[
            lettr.Attachment(name="ok.txt", type="text/plain", data="aGk="),
            lettr.Attachment(name="bad.txt", type="text/plain", data="not base64!")]))
    assert list(caught.value.errors) == ["attachments.1.data"]


def test_too_many_headers(client: lettr.Lettr) -> None:
    with pytest.raises(lettr.ValidationError) as caught:
        client.emails.send(**send_kwargs(headers={f"X-H{i}": "v" for i in range(11)}))
    assert list(caught.value.errors) == ["headers"]


def test_malformed_json_and_wrong_types_are_422(raw: httpx.Client) -> None:
    response = raw.post("/emails", content=b"{not json", headers={"Content-Type": "application/json"})
    assert response.status_code == 422 and response.json()["error_code"] == "validation_error"
    response = raw.post("/emails", json={"from": "a@example.com", "to": "b@example.com", "subject": 1,
                                         "text": "x", "metadata": {"n": 1}, "options": {"open_tracking": "yes"}})
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"to", "subject", "metadata.n", "options.open_tracking"}


def test_suppressed_recipients_are_rejected(lettr_server: LettrServer, client: lettr.Lettr) -> None:
    lettr_server.suppress("gone@example.com")
    sent = client.emails.send(**send_kwargs(to=["ada@example.com", "gone@example.com"]))
    assert (sent.accepted, sent.rejected) == (1, 1)
    email = lettr_server.emails[-1]
    assert email.to == ["ada@example.com"] and email.extra["rejected_recipients"] == ["gone@example.com"]
    everyone_gone = client.emails.send(**send_kwargs(to=["gone@example.com"]))
    assert (everyone_gone.accepted, everyone_gone.rejected) == (0, 1)
    assert lettr_server.emails[-1].status == "suppressed"


def test_an_unverified_sender_is_refused_by_default(lettr_server: LettrServer, client: lettr.Lettr) -> None:
    with pytest.raises(lettr.BadRequestError) as caught:
        client.emails.send(**send_kwargs(from_email="app@unverified.example"))
    assert caught.value.error_code == "unconfigured_domain"
    lettr_server.add_domain("verified.example")
    assert client.emails.send(**send_kwargs(from_email="app@verified.example")).accepted == 1


def test_a_sender_domain_that_cannot_be_determined_is_invalid_domain(client: lettr.Lettr) -> None:
    with pytest.raises(lettr.BadRequestError) as caught:
        client.emails.send(**send_kwargs(from_email="app@mail.123"))
    assert caught.value.error_code == "invalid_domain"


@pytest.mark.lettr(strict_domains=False)
def test_any_sender_sends_with_strict_domains_off(client: lettr.Lettr) -> None:
    assert client.emails.send(**send_kwargs(from_email="app@unverified.example")).accepted == 1


@pytest.mark.lettr(domains=["shop.example", "other.example"])
def test_key_domain_restriction(lettr_server: LettrServer, make_client: Callable[[str], lettr.Lettr]) -> None:
    key = lettr_server.create_key("shop only", mode="api", domain_restrictions=["shop.example"])
    client = make_client(key.key)
    client.emails.send(**send_kwargs(from_email="a@shop.example"))
    with pytest.raises(lettr.ForbiddenError) as caught:
        client.emails.send(**send_kwargs(from_email="a@other.example"))
    assert caught.value.error_code == "insufficient_scope"
    assert "other.example" in caught.value.message
    assert lettr_server.audit_log[-1].metadata["restriction"] == "domain"


@pytest.mark.lettr(sensitive_data="error")
def test_sensitive_data_guard_refuses_with_422(client: lettr.Lettr) -> None:
    with pytest.raises(lettr.ValidationError) as caught:
        client.emails.send(**send_kwargs(text="Your password: hunter2hunter2"))
    assert list(caught.value.errors) == ["text"]


# -- idempotency ------------------------------------------------------------------------------
def test_idempotent_retry_replays_without_a_second_email(lettr_server: LettrServer, client: lettr.Lettr) -> None:
    first = client.emails.send(**send_kwargs(), idempotency_key="order-42.confirmation")
    again = client.emails.send(**send_kwargs(), idempotency_key="order-42.confirmation")
    assert (first.replayed, again.replayed) == (False, True)
    assert again.request_id == first.request_id
    assert len(lettr_server.emails) == 1


def test_same_key_other_payload_conflicts(lettr_server: LettrServer, client: lettr.Lettr) -> None:
    client.emails.send(**send_kwargs(), idempotency_key="k-1")
    with pytest.raises(lettr.IdempotencyConflictError) as caught:
        client.emails.send(**send_kwargs(subject="Different"), idempotency_key="k-1")
    assert caught.value.error_code == "idempotency_key_conflict"
    assert len(lettr_server.emails) == 1


def test_idempotency_keys_are_scoped_per_api_key(lettr_server: LettrServer, client: lettr.Lettr,
                                                 make_client: Callable[[str], lettr.Lettr]) -> None:
    other = make_client(lettr_server.create_key("other", mode="api").key)
    client.emails.send(**send_kwargs(), idempotency_key="shared")
    assert other.emails.send(**send_kwargs(), idempotency_key="shared").replayed is False
    assert len(lettr_server.emails) == 2


def test_in_progress_send_answers_409_with_retry_after(lettr_server: LettrServer, client: lettr.Lettr,
                                                       make_client: Callable[[str], lettr.Lettr],
                                                       api_key: CreatedKey) -> None:
    entered, release = threading.Event(), threading.Event()

    def hold(event: Event) -> None:
        entered.set()
        release.wait(10)

    lettr_server.account.event_listeners.append(hold)
    first_client = make_client(api_key.key)
    results: list[lettr.SendEmailResponse] = []
    worker = threading.Thread(target=lambda: results.append(
        first_client.emails.send(**send_kwargs(), idempotency_key="slow-send")))
    worker.start()
    try:
        assert entered.wait(10)
        with pytest.raises(lettr.IdempotencyInProgressError) as caught:
            client.emails.send(**send_kwargs(), idempotency_key="slow-send")
        assert caught.value.error_code == "idempotency_in_progress"
        assert caught.value.retry_after == 1
    finally:
        release.set()
        worker.join(10)
    assert results[0].replayed is False
    assert client.emails.send(**send_kwargs(), idempotency_key="slow-send").replayed is True
    assert len(lettr_server.emails) == 1


def test_malformed_idempotency_key_is_422(raw: httpx.Client) -> None:
    response = raw.post("/emails", json={"from": "a@example.com", "to": ["b@example.com"], "subject": "s",
                                         "text": "t"}, headers={"Idempotency-Key": "has spaces"})
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["Idempotency-Key"]
