"""Emails (v1 §4): send, batch, get, list with filters, schedule and cancel."""

from __future__ import annotations

import base64
import re
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from pytest_lettr import LettrServer

from . import V1, assert_v1_error, email

EMAIL_FIELDS = {"id", "object", "from", "to", "cc", "bcc", "replyTo", "subject", "tags", "metadata", "status",
                "opens", "clicks", "firstOpenedAt", "lastOpenedAt", "deliveredAt", "scheduledAt", "createdAt"}
FULL_ONLY = {"html", "text", "attachments"}
T0 = datetime(2024, 1, 15, 10, 30, tzinfo=timezone.utc)


def send(v1: V1, **fields: Any) -> dict[str, Any]:
    response = v1().post("/emails", json=email(**fields))
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


# -- send -----------------------------------------------------------------------------------------

def test_send_returns_the_sent_email(v1: V1, lettr_server: LettrServer) -> None:
    sent = send(v1)
    assert set(sent) >= EMAIL_FIELDS | FULL_ONLY
    assert re.fullmatch(r"email_[A-Za-z0-9]{24}", sent["id"]) and sent["object"] == "email"
    assert (sent["from"], sent["to"], sent["subject"], sent["text"]) == ("app@example.com", ["ada@example.com"],
                                                                         "Hi", "Hello")
    assert sent["status"] == "sent" and sent["scheduledAt"] is None
    assert sent["cc"] == [] and sent["bcc"] == [] and sent["replyTo"] is None and sent["html"] is None
    assert sent["tags"] == [] and sent["metadata"] == {} and sent["opens"] == 0 and sent["clicks"] == 0
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", sent["createdAt"])
    stored = lettr_server.assert_sent(to="ada@example.com", subject="Hi")
    assert stored.id == sent["id"]


def test_send_with_every_field(v1: V1, lettr_server: LettrServer) -> None:
    pdf = base64.b64encode(b"%PDF-1.4 hello").decode()
    sent = send(v1, from_="Acme <billing@example.com>", to=["ada@example.com", "Bob <bob@example.com>"],
                cc=["carol@example.com"], bcc=["dave@example.com"], replyTo="help@example.com",
                html="<p>Hi</p>", text="Hi", headers={"X-Campaign": "spring"}, tags=["invoice", "q1"],
                metadata={"orderId": "A-1", "amount": 12.5, "paid": True},
                attachments=[{"filename": "invoice.pdf", "content": pdf, "contentType": "application/pdf"},
                             {"filename": "terms.txt", "url": "https://example.com/terms.txt"}],
                tracking={"opens": False})
    assert sent["from"] == "Acme <billing@example.com>"
    assert sent["to"] == ["ada@example.com", "Bob <bob@example.com>"]
    assert (sent["cc"], sent["bcc"], sent["replyTo"]) == (["carol@example.com"], ["dave@example.com"],
                                                          "help@example.com")
    assert sent["tags"] == ["invoice", "q1"] and sent["metadata"] == {"orderId": "A-1", "amount": 12.5, "paid": True}
    assert sent["headers"] == {"X-Campaign": "spring"} and sent["tracking"] == {"opens": False, "clicks": True}
    assert sent["attachments"][0] == {"filename": "invoice.pdf", "contentType": "application/pdf",
                                      "size": len(b"%PDF-1.4 hello"), "url": None}
    assert sent["attachments"][1]["url"] == "https://example.com/terms.txt"
    stored = lettr_server.emails[-1]
    assert stored.attachments[0].content == b"%PDF-1.4 hello"
    assert stored.recipients == ["ada@example.com", "Bob <bob@example.com>", "carol@example.com",
                                 "dave@example.com"]


def test_template_send_needs_no_subject(v1: V1) -> None:
    sent = send(v1, subject=None, text=None, templateId="welcome", variables={"name": "Ada"})
    assert sent["subject"] is None and sent["templateId"] == "welcome"


def test_limits_that_are_just_fine(v1: V1) -> None:
    sent = send(v1, to=[f"u{i}@example.com" for i in range(30)], cc=[f"c{i}@example.com" for i in range(20)],
                subject="s" * 998, tags=["t" * 64], metadata={f"k{i:02d}" + "x" * 36: "v" * 500 for i in range(50)})
    assert len(sent["to"]) + len(sent["cc"]) == 50 and len(sent["metadata"]) == 50


@pytest.mark.parametrize(("fields", "code", "param"), [
    ({"from_": None}, "missing_parameter", "from"),
    ({"from_": "not an address"}, "invalid_parameter", "from"),
    ({"from_": "Acme <billing@>"}, "invalid_parameter", "from"),
    ({"from_": ["a@example.com"]}, "invalid_parameter", "from"),
    ({"to": None}, "missing_parameter", "to"),
    ({"to": "nobody"}, "invalid_to", "to"),
    ({"to": ["ada@example.com", "bad@"]}, "invalid_to", "to.1"),
    ({"to": ["ada@example.com", 7]}, "invalid_to", "to.1"),
    ({"to": []}, "invalid_parameter", "to"),
    ({"to": {"email": "a@example.com"}}, "invalid_parameter", "to"),
    ({"to": [f"u{i}@example.com" for i in range(51)]}, "invalid_parameter", "to"),
    ({"to": [f"u{i}@example.com" for i in range(40)], "bcc": [f"b{i}@example.com" for i in range(11)]},
     "invalid_parameter", "to"),
    ({"cc": "carol@example.com"}, "invalid_parameter", "cc"),
    ({"cc": ["carol@"]}, "invalid_to", "cc.0"),
    ({"bcc": ["ok@example.com", "x y@example.com"]}, "invalid_to", "bcc.1"),
    ({"subject": None}, "missing_parameter", "subject"),
    ({"subject": "s" * 999}, "invalid_parameter", "subject"),
    ({"subject": 5}, "invalid_parameter", "subject"),
    ({"text": None}, "missing_parameter", "html"),
    ({"html": ["<p>"]}, "invalid_parameter", "html"),
    ({"replyTo": "nope"}, "invalid_parameter", "replyTo"),
    ({"replyTo": ["a@example.com"]}, "invalid_parameter", "replyTo"),
    ({"attachments": {"filename": "a"}}, "invalid_parameter", "attachments"),
    ({"attachments": [{"content": "aGk="}]}, "missing_parameter", "attachments.0.filename"),
    ({"attachments": [{"filename": "a.txt", "content": "not base64!"}]}, "invalid_parameter",
     "attachments.0.content"),
    ({"attachments": [{"filename": "a.txt", "content": "aGk="}, {"filename": "b.txt"}]}, "missing_parameter",
     "attachments.1.content"),
    ({"attachments": [{"filename": "../etc/passwd", "content": "aGk="}]}, "invalid_parameter",
     "attachments.0.filename"),
    ({"attachments": [{"filename": "a", "url": "ftp://example.com/a"}]}, "invalid_parameter", "attachments.0.url"),
    ({"headers": ["X-A"]}, "invalid_parameter", "headers"),
    ({"headers": {"X-Count": 3}}, "invalid_parameter", "headers.X-Count"),
    ({"headers": {"X-A": "line\r\nBcc: evil@example.com"}}, "invalid_parameter", "headers.X-A"),
    ({"headers": {"Bcc": "evil@example.com"}}, "invalid_parameter", "headers.Bcc"),
    ({"headers": {"Bad Name": "x"}}, "invalid_parameter", "headers.Bad Name"),
    ({"tags": "a,b"}, "invalid_parameter", "tags"),
    ({"tags": ["ok", "t" * 65]}, "invalid_parameter", "tags.1"),
    ({"tags": [""]}, "invalid_parameter", "tags.0"),
    ({"metadata": ["a"]}, "invalid_parameter", "metadata"),
    ({"metadata": {f"k{i}": 1 for i in range(51)}}, "invalid_parameter", "metadata"),
    ({"metadata": {"k" * 41: 1}}, "invalid_parameter", "metadata." + "k" * 40),
    ({"metadata": {"note": "v" * 501}}, "invalid_parameter", "metadata.note"),
    ({"metadata": {"nested": {"a": 1}}}, "invalid_parameter", "metadata.nested"),
    ({"metadata": {"list": [1]}}, "invalid_parameter", "metadata.list"),
    ({"metadata": {"none": None}}, "invalid_parameter", "metadata.none"),
    ({"scheduledAt": "2001-01-01T00:00:00Z"}, "invalid_parameter", "scheduledAt"),
    ({"scheduledAt": "tomorrow"}, "invalid_parameter", "scheduledAt"),
    ({"scheduledAt": "9999-12-31T23:59:59-14:00"}, "invalid_parameter", "scheduledAt"),  # past year 9999 in UTC
    ({"scheduledAt": "0001-01-01T00:00:00+14:00"}, "invalid_parameter", "scheduledAt"),
    ({"variables": ["x"]}, "invalid_parameter", "variables"),
    ({"tracking": {"opens": "yes"}}, "invalid_parameter", "tracking.opens"),
    ({"tracking": {"replies": True}}, "invalid_parameter", "tracking.replies"),
    ({"tracking": True}, "invalid_parameter", "tracking"),
    ({"template": "welcome"}, "invalid_parameter", "template"),
])
def test_send_validation(v1: V1, lettr_server: LettrServer, fields: dict[str, Any], code: str, param: str) -> None:
    body = email(**fields)
    body = {k: v for k, v in body.items() if v is not None}
    assert_v1_error(v1().post("/emails", json=body), 400, code, param=param)
    assert len(lettr_server.emails) == 0


def test_suppressed_recipient(v1: V1, lettr_server: LettrServer) -> None:
    lettr_server.suppress("Bounced@Example.com")
    for fields in ({"to": "bounced@example.com"}, {"to": "Ada <BOUNCED@example.com>"},
                   {"cc": ["bounced@example.com"]}, {"bcc": ["bounced@example.com"]}):
        error = assert_v1_error(v1().post("/emails", json=email(**fields)), 400, "suppressed", param="to")
        assert "bounced@example.com" in error["message"].lower()
    assert len(lettr_server.emails) == 0
    assert send(v1)["status"] == "sent"


def test_an_unverified_sender_domain_is_refused_by_default(v1: V1) -> None:
    error = assert_v1_error(v1().post("/emails", json=email(from_="x@unverified.io")), 400, "invalid_from",
                            param="from")
    assert "unverified.io" in error["message"]


@pytest.mark.parametrize("sender", ["a@example.com", "a@news.example.net", "Acme <a@EXAMPLE.org>"])
def test_the_reserved_example_domains_send_from_a_new_account(v1: V1, sender: str) -> None:
    assert send(v1, from_=sender)["status"] == "sent"


@pytest.mark.lettr(strict_domains=False)
def test_any_sender_domain_sends_with_strict_domains_off(v1: V1) -> None:
    assert send(v1, from_="x@unverified.io")["status"] == "sent"


@pytest.mark.lettr(domains=["acme.io"])
def test_the_marker_pre_verifies_the_user_s_domains(v1: V1, lettr_server: LettrServer) -> None:
    assert send(v1, from_="x@acme.io")["status"] == "sent"
    assert [(d.name, d.status) for d in lettr_server.domains] == [("acme.io", "verified")]


def test_a_sender_domain_must_be_a_verified_domain_of_the_account(v1: V1, lettr_server: LettrServer) -> None:
    lettr_server.add_domain("acme.io", verified=False)
    assert_v1_error(v1().post("/emails", json=email(from_="a@acme.io")), 400, "invalid_from", param="from")
    lettr_server.add_domain("mail.acme.io")
    assert_v1_error(v1().post("/emails", json=email(from_="a@acme.io")), 400, "invalid_from", param="from")
    assert send(v1, from_="Acme <a@MAIL.acme.io>")["status"] == "sent"


def test_an_example_domain_the_account_added_goes_by_its_own_status(v1: V1, lettr_server: LettrServer) -> None:
    lettr_server.add_domain("example.com", verified=False)
    assert_v1_error(v1().post("/emails", json=email()), 400, "invalid_from", param="from")
    assert send(v1, from_="a@mail.example.com")["status"] == "sent"  # not added: reserved, so it sends


@pytest.mark.parametrize("sender", ["a@10.0.0.1", "a@mail.123"])
def test_a_sender_without_a_domain_name_is_invalid_domain(v1: V1, sender: str) -> None:
    assert_v1_error(v1().post("/emails", json=email(from_=sender)), 400, "invalid_domain", param="from")


# -- batch ----------------------------------------------------------------------------------------

def test_batch_sends_every_email_in_order(v1: V1, lettr_server: LettrServer) -> None:
    items = [email(to=f"u{i}@example.com", subject=f"#{i}") for i in range(3)]
    response = v1().post("/emails/batch", json={"emails": items})
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"object", "data"} and body["object"] == "list"
    assert [e["subject"] for e in body["data"]] == ["#0", "#1", "#2"]
    assert len({e["id"] for e in body["data"]}) == 3
    assert [e.subject for e in lettr_server.emails] == ["#0", "#1", "#2"]


def test_batch_of_100_is_fine(v1: V1, lettr_server: LettrServer) -> None:
    response = v1().post("/emails/batch", json={"emails": [email() for _ in range(100)]})
    assert response.status_code == 200 and len(lettr_server.emails) == 100


@pytest.mark.parametrize(("body", "code", "param"), [
    ({}, "missing_parameter", "emails"),
    ({"emails": []}, "invalid_parameter", "emails"),
    ({"emails": {"0": {}}}, "invalid_parameter", "emails"),
    ({"emails": [email() for _ in range(101)]}, "invalid_parameter", "emails"),
    ({"emails": [email(), "not an object"]}, "invalid_parameter", "emails.1"),
    ({"emails": [email(), email(), email(to="bad@")]}, "invalid_to", "emails.2.to"),
    ({"emails": [email(), email(subject=None)]}, "missing_parameter", "emails.1.subject"),
    ({"emails": [email(attachments=[{"filename": "a", "content": "%%"}])]}, "invalid_parameter",
     "emails.0.attachments.0.content"),
    ({"emails": [email(), email(cc=["ok@example.com", "no"])]}, "invalid_to", "emails.1.cc.1"),
])
def test_batch_is_all_or_nothing(v1: V1, lettr_server: LettrServer, body: dict[str, Any], code: str,
                                 param: str) -> None:
    for item in body.get("emails", []) if isinstance(body.get("emails"), list) else []:
        if isinstance(item, dict):
            for name in [k for k, v in item.items() if v is None]:
                del item[name]
    assert_v1_error(v1().post("/emails/batch", json=body), 400, code, param=param)
    assert len(lettr_server.emails) == 0


def test_batch_account_rules_name_the_email(v1: V1, lettr_server: LettrServer) -> None:
    lettr_server.suppress("gone@example.com")
    batch = {"emails": [email(), email(), email(to="gone@example.com")]}
    assert_v1_error(v1().post("/emails/batch", json=batch), 400, "suppressed", param="emails.2.to")
    lettr_server.strict_domains = True
    lettr_server.add_domain("example.com")
    batch = {"emails": [email(), email(from_="a@elsewhere.io")]}
    assert_v1_error(v1().post("/emails/batch", json=batch), 400, "invalid_from", param="emails.1.from")
    assert len(lettr_server.emails) == 0


def test_batch_may_mix_scheduled_and_immediate(v1: V1, lettr_server: LettrServer) -> None:
    later = stamp(lettr_server.clock.now() + timedelta(hours=1))
    data = v1().post("/emails/batch", json={"emails": [email(), email(scheduledAt=later)]}).json()["data"]
    assert [e["status"] for e in data] == ["sent", "scheduled"]


# -- get ------------------------------------------------------------------------------------------

def test_get_returns_the_full_email(v1: V1) -> None:
    sent = send(v1, html="<b>hi</b>", attachments=[{"filename": "a.txt", "content": "aGk="}])
    fetched = v1().get(f"/emails/{sent['id']}")
    assert fetched.status_code == 200
    assert fetched.json() == sent


def test_get_unknown_email_is_404(v1: V1) -> None:
    assert_v1_error(v1().get("/emails/email_unknown000000000000000000"), 404, "not_found")


# -- list and filters -----------------------------------------------------------------------------

def test_list_is_newest_first_and_leaves_out_bodies(v1: V1) -> None:
    ids = [send(v1, subject=f"#{i}")["id"] for i in range(3)]
    body = v1().get("/emails").json()
    assert set(body) == {"object", "data", "hasMore", "totalCount"}
    assert [e["id"] for e in body["data"]] == ids[::-1]
    assert body["totalCount"] == 3 and body["hasMore"] is False
    for item in body["data"]:
        assert set(item) >= EMAIL_FIELDS and not FULL_ONLY & set(item)


def test_empty_list(v1: V1) -> None:
    assert v1().get("/emails").json() == {"object": "list", "data": [], "hasMore": False, "totalCount": 0}


def test_filter_by_recipient(v1: V1) -> None:
    a = send(v1, to="Ada <ada@example.com>")["id"]
    b = send(v1, to=["bob@example.com"], cc=["ada@example.com"])["id"]
    send(v1, to="carol@example.com")
    for query in ("ada@example.com", "ADA@example.com", " ada@example.com "):
        body = v1().get("/emails", params={"to": query}).json()
        assert [e["id"] for e in body["data"]] == [b, a] and body["totalCount"] == 2
    assert v1().get("/emails", params={"to": "zed@example.com"}).json()["totalCount"] == 0


def test_filter_by_status(v1: V1, lettr_server: LettrServer) -> None:
    sent = send(v1)["id"]
    scheduled = send(v1, scheduledAt=stamp(lettr_server.clock.now() + timedelta(days=1)))["id"]
    assert [e["id"] for e in v1().get("/emails", params={"status": "sent"}).json()["data"]] == [sent]
    assert [e["id"] for e in v1().get("/emails", params={"status": "scheduled"}).json()["data"]] == [scheduled]
    assert v1().get("/emails", params={"status": "bounced"}).json()["totalCount"] == 0
    assert_v1_error(v1().get("/emails", params={"status": "lost"}), 400, "invalid_parameter", param="status")


def test_filter_by_tags_matches_any(v1: V1) -> None:
    a = send(v1, tags=["invoice"])["id"]
    b = send(v1, tags=["welcome", "onboarding"])["id"]
    send(v1, tags=["other"])
    send(v1)
    body = v1().get("/emails", params={"tags": "invoice,onboarding"}).json()
    assert [e["id"] for e in body["data"]] == [b, a] and body["totalCount"] == 2
    assert v1().get("/emails", params={"tags": " welcome , nope "}).json()["totalCount"] == 1


def test_filter_by_date(v1: V1, lettr_server: LettrServer) -> None:
    lettr_server.clock.set(T0, frozen=True)
    first = send(v1)["id"]
    lettr_server.clock.advance(days=1)
    second = send(v1)["id"]
    lettr_server.clock.advance(days=1, hours=13)  # 2024-01-17T23:30Z
    third = send(v1)["id"]

    def ids(**params: str) -> list[str]:
        body = v1().get("/emails", params=params).json()
        assert body["totalCount"] == len(body["data"])
        return [e["id"] for e in body["data"]]

    assert ids(from_date="2024-01-16") == [third, second]
    assert ids(to_date="2024-01-16") == [second, first]
    assert ids(from_date="2024-01-16", to_date="2024-01-16") == [second]
    assert ids(to_date="2024-01-17") == [third, second, first]  # a bare end date includes its whole day
    assert ids(from_date="2024-01-15T10:30:01Z") == [third, second]
    assert ids(to_date="2024-01-15T10:30:00Z") == [first]
    assert ids(from_date="2024-01-18") == []
    assert ids(from_date="2024-01-17", to_date="2024-01-15") == []
    assert_v1_error(v1().get("/emails", params={"from_date": "yesterday"}), 400, "invalid_parameter", param="from_date")
    assert_v1_error(v1().get("/emails", params={"to_date": "2024-02-30"}), 400, "invalid_parameter", param="to_date")
    assert_v1_error(v1().get("/emails", params={"from_date": "0001-01-01T00:00:00+01:00"}), 400, "invalid_parameter",
             param="from_date")
    assert ids(to_date="9999-12-31") == [third, second, first]


def test_filters_combine_and_total_count_counts_every_match(v1: V1, lettr_server: LettrServer) -> None:
    lettr_server.clock.set(T0, frozen=True)
    for i in range(12):
        send(v1, to="ada@example.com" if i % 2 else "bob@example.com", tags=["t"] if i % 3 == 0 else [])
        lettr_server.clock.advance(hours=6)
    body = v1().get("/emails", params={"to": "ada@example.com", "limit": 2}).json()
    assert body["totalCount"] == 6 and len(body["data"]) == 2 and body["hasMore"] is True
    body = v1().get("/emails", params={"to": "ada@example.com", "tags": "t", "from_date": "2024-01-16"}).json()
    # i >= 3 fall on or after 2024-01-16; odd ones go to ada; multiples of 3 carry the tag: i = 9, 3
    assert body["totalCount"] == 2
    assert [e["id"] for e in body["data"]] == [lettr_server.emails[9].id, lettr_server.emails[3].id]


# -- scheduling -----------------------------------------------------------------------------------

def test_scheduled_email_is_sent_when_the_clock_passes_its_time(v1: V1, lettr_server: LettrServer) -> None:
    lettr_server.clock.set(T0, frozen=True)
    sent = send(v1, scheduledAt="2024-01-15T12:00:00Z")
    assert sent["status"] == "scheduled" and sent["scheduledAt"] == "2024-01-15T12:00:00Z"
    assert not [e for e in lettr_server.account.events if e.type == "email.sent"]
    lettr_server.clock.advance(hours=1, minutes=29, seconds=59)
    assert lettr_server.emails[0].status == "scheduled"
    lettr_server.clock.advance(seconds=1)
    assert lettr_server.emails[0].status == "sent"  # no request needed: moving the clock sends it
    assert v1().get(f"/emails/{sent['id']}").json()["status"] == "sent"
    events = [e for e in lettr_server.account.events if e.type == "email.sent"]
    assert len(events) == 1 and events[0].data["sent_at"] == datetime(2024, 1, 15, 12, tzinfo=timezone.utc)


def test_scheduled_email_is_sent_on_the_next_request_after_clock_set(v1: V1, lettr_server: LettrServer) -> None:
    sent = send(v1, scheduledAt=stamp(lettr_server.clock.now() + timedelta(minutes=5)))
    lettr_server.clock.set(lettr_server.clock.now() + timedelta(minutes=6))
    assert v1().get(f"/emails/{sent['id']}").json()["status"] == "sent"


def test_cancel_a_scheduled_email(v1: V1, lettr_server: LettrServer) -> None:
    sent = send(v1, scheduledAt=stamp(lettr_server.clock.now() + timedelta(hours=1)))
    response = v1().delete(f"/emails/{sent['id']}")
    assert response.status_code == 200
    cancelled = response.json()
    assert cancelled["id"] == sent["id"] and cancelled["status"] == "cancelled"
    error = assert_v1_error(v1().delete(f"/emails/{sent['id']}"), 400, "not_cancellable", param="id")
    assert "cancelled" in error["message"]
    lettr_server.clock.advance(hours=2)
    assert v1().get(f"/emails/{sent['id']}").json()["status"] == "cancelled"
    assert not [e for e in lettr_server.account.events if e.type == "email.sent"]


def test_only_scheduled_emails_can_be_cancelled(v1: V1, lettr_server: LettrServer) -> None:
    sent = send(v1)
    assert_v1_error(v1().delete(f"/emails/{sent['id']}"), 400, "not_cancellable", param="id")
    scheduled = send(v1, scheduledAt=stamp(lettr_server.clock.now() + timedelta(minutes=1)))
    lettr_server.clock.advance(minutes=2)
    assert_v1_error(v1().delete(f"/emails/{scheduled['id']}"), 400, "not_cancellable", param="id")
    assert_v1_error(v1().delete("/emails/email_unknown000000000000000000"), 404, "not_found")
