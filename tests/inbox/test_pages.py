"""The inbox's pages over plain HTTP: what they show, what they never show, and how forms are guarded."""

from __future__ import annotations

import base64
from datetime import timedelta

import httpx
import lettr
import pytest
from support import Receiver, client_for

from pytest_lettr import LettrServer, errors
from pytest_lettr.guard import LettrSensitiveDataWarning
from pytest_lettr.inbox.replies import status_of

from .conftest import csrf_token

pytestmark = pytest.mark.lettr(domains=["shop.example"])


def send(client: lettr.Lettr, **overrides: object) -> None:
    kwargs: dict[str, object] = {"from_email": "hello@shop.example", "to": ["ada@example.com"],
                                 "subject": "Welcome", "html": "<p>Hi</p>", "text": "Hi"}
    kwargs.update(overrides)
    client.emails.send(**kwargs)  # type: ignore[arg-type]


def post(inbox: httpx.Client, path: str, data: dict[str, str], page: str = "/") -> httpx.Response:
    """Submit a form as the page's own script-less browser would (with the page's token)."""
    token = csrf_token(inbox.get(page).text)
    return inbox.post(path, data={"csrf_token": token, **data})


def test_the_list_is_newest_first_and_search_covers_sender_recipient_tag_and_metadata(
        lettr_server: LettrServer, client: lettr.Lettr, inbox: httpx.Client) -> None:
    send(client, subject="First", tag="onboarding")
    send(client, subject="Second", to=["grace@example.com"], metadata={"order_id": "A-991"})
    send(client, subject="Third", from_email="billing@shop.example")
    page = inbox.get("/").text
    assert page.index("Third") < page.index("Second") < page.index("First")
    for query, subject in [("onboarding", "First"), ("a-991", "Second"), ("GRACE@", "Second"),
                           ("billing@shop", "Third"), ("thi", "Third")]:
        found = inbox.get("/", params={"q": query}).text
        assert "1 email matching" in found and subject in found, query


def test_the_list_escapes_what_the_app_sent(client: lettr.Lettr, inbox: httpx.Client) -> None:
    send(client, subject='<img src=x onerror="alert(1)">')
    page = inbox.get("/").text
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in page and "<img src=x" not in page


def test_the_version_changes_when_an_email_arrives_or_an_event_happens(
        lettr_server: LettrServer, client: lettr.Lettr, inbox: httpx.Client) -> None:
    first = inbox.get("/inbox.json").json()
    send(client)
    second = inbox.get("/inbox.json").json()
    lettr_server.simulate(lettr_server.emails[0].id, "delivered")
    third = inbox.get("/inbox.json").json()
    assert (first["emails"], second["emails"]) == (0, 1)
    assert len({first["version"], second["version"], third["version"]}) == 3


def test_the_html_body_is_served_under_a_policy_that_runs_nothing(
        lettr_server: LettrServer, client: lettr.Lettr, inbox: httpx.Client) -> None:
    send(client, html="<p>Hi<script>alert(1)</script></p>")
    email_id = lettr_server.emails[0].id
    response = inbox.get(f"/emails/{email_id}/html")
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "img-src data:;" in policy and "sandbox" in policy
    assert "script-src" not in policy and response.text == "<p>Hi<script>alert(1)</script></p>"
    allowed = inbox.get(f"/emails/{email_id}/html", params={"images": "1"}).headers["Content-Security-Policy"]
    assert "img-src data: https: http:;" in allowed and "default-src 'none'" in allowed
    page = inbox.get(f"/emails/{email_id}").text
    assert '<iframe title="HTML body" sandbox src=' in page


def test_the_email_page_shows_every_part(lettr_server: LettrServer, client: lettr.Lettr, inbox: httpx.Client) -> None:
    send(client, cc=["cc@example.com"], tag="receipts", metadata={"order_id": "42"}, headers={"X-Order": "42"},
         attachments=[lettr.Attachment(name="r.txt", type="text/plain", data=base64.b64encode(b"receipt").decode())])
    email = lettr_server.emails[0]
    page = inbox.get(f"/emails/{email.id}").text
    for shown in ("hello@shop.example", "ada@example.com", "cc@example.com", "receipts", "order_id",
                  "X-Order: 42", "Message-ID: &lt;" + email.id, "email.sent", f"/emails/{email.id}/attachments/0"):
        assert shown in page, shown
    source = inbox.get(f"/emails/{email.id}/source")
    assert source.headers["Content-Type"].startswith("text/plain")
    assert "Content-Type: multipart/mixed" in source.text and 'filename="r.txt"' in source.text
    download = inbox.get(f"/emails/{email.id}/attachments/0")
    assert download.content == b"receipt"
    assert download.headers["Content-Disposition"] == "attachment; filename*=UTF-8''r.txt"
    assert download.headers["Content-Type"] == "application/octet-stream"
    assert inbox.get(f"/emails/{email.id}/attachments/1").status_code == 404


def test_rendering_checks(lettr_server: LettrServer, client: lettr.Lettr, inbox: httpx.Client) -> None:
    with pytest.warns(LettrSensitiveDataWarning):
        send(client, html='<img src="https://cdn.example/logo.png"><a href="https://shop.example/x">Shop <b>now</b>'
                          '</a><a href="mailto:help@shop.example">Help</a>', text=None,
             metadata={"note": "card 4111 1111 1111 1111"})
    page = inbox.get(f"/emails/{lettr_server.emails[0].id}").text
    checks = page[page.index('id="checks"'):page.index('id="source"')]
    assert "Plain-text part: <strong>missing</strong>" in page
    assert "Images without <code>alt</code>: <strong>1</strong>" in page and "cdn.example/logo.png" in page
    assert "“Shop now” — rewritten for click tracking" in page and "“Help” — not tracked" in page
    assert "Sensitive-data guard: <strong>1 finding(s)</strong>" in checks and "metadata.note" in checks
    assert "4111 1111 1111 1111" not in checks  # the guard's excerpt is masked


def test_lifecycle_forms_apply_the_event_and_refuse_a_bad_one(
        lettr_server: LettrServer, client: lettr.Lettr, inbox: httpx.Client) -> None:
    send(client)
    email = lettr_server.emails[0]
    page = f"/emails/{email.id}"
    answer = post(inbox, f"{page}/events", {"event": "delivered"}, page)
    assert (answer.status_code, answer.headers["Location"]) == (303, page)
    assert email.status == "delivered" and [e.type for e in email.events] == ["email.sent", "email.delivered"]
    assert post(inbox, f"{page}/events", {"event": "opened"}, page).status_code == 303
    assert email.opens == 1
    again = post(inbox, f"{page}/events", {"event": "bounced"}, page)
    assert again.status_code == 409 and "cannot be bounced" in again.text
    unknown = post(inbox, f"{page}/events", {"event": "exploded"}, page)
    assert unknown.status_code == 400 and "is not one of" in unknown.text
    assert post(inbox, "/emails/nope/events", {"event": "delivered"}, page).status_code == 404
    assert email.status == "delivered" and len(email.events) == 3


def test_a_form_without_the_token_or_from_another_site_changes_nothing(
        lettr_server: LettrServer, client: lettr.Lettr, inbox: httpx.Client) -> None:
    send(client)
    email = lettr_server.emails[0]
    path = f"/emails/{email.id}/events"
    token = csrf_token(inbox.get(f"/emails/{email.id}").text)
    refused = [
        inbox.post(path, data={"event": "bounced"}),
        inbox.post(path, data={"event": "bounced", "csrf_token": token[:-1] + "x"}),
        inbox.post(path, data={"event": "bounced", "csrf_token": token}, headers={"Origin": "http://evil.test"}),
        inbox.post(path, data={"event": "bounced", "csrf_token": token}, headers={"Sec-Fetch-Site": "cross-site"}),
        inbox.post(path, data={"event": "bounced", "csrf_token": token}, headers={"Host": "rebound.evil.test"}),
    ]
    assert [r.status_code for r in refused] == [403] * 5
    assert email.status == "sent" and len(email.events) == 1
    assert inbox.get("/", headers={"Host": "rebound.evil.test"}).status_code == 403
    assert inbox.get("/", headers={"Host": "localhost"}).status_code == 200


def test_pages_carry_a_strict_policy(inbox: httpx.Client) -> None:
    headers = inbox.get("/").headers
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert inbox.get("/static/inbox.js").headers["Content-Type"].startswith("text/javascript")
    assert inbox.get("/static/..%2Fapp.py").status_code == 404


def test_keys_page_shows_prefixes_and_never_a_secret(lettr_server: LettrServer, inbox: httpx.Client) -> None:
    created = lettr_server.create_key("CI mailer", ["emails:send"])
    page = inbox.get("/keys").text
    assert created.api_key.key_prefix in page and "CI mailer" in page and "emails:send" in page
    assert created.key not in page and lettr_server.admin_key not in page
    for other in ("/", "/audit", "/deliveries", "/clock", "/domains"):
        assert lettr_server.admin_key not in inbox.get(other).text


def test_audit_log_filters_by_action_and_actor(lettr_server: LettrServer, client: lettr.Lettr,
                                               inbox: httpx.Client) -> None:
    send(client)
    client_for(lettr_server, "le_" + "x" * 36).get("/emails")  # an unknown key: auth.failed
    sent = inbox.get("/audit", params={"action": "email.sent"}).text
    assert "1 entry" in sent and "<code>email.sent</code>" in sent
    assert "auth.failed" not in sent
    by_system = inbox.get("/audit", params={"actor": "nobody-like-this"}).text
    assert "0 entries" in by_system


def test_deliveries_show_attempts_and_retry_resends(
        lettr_server: LettrServer, client: lettr.Lettr, inbox: httpx.Client, receiver: Receiver) -> None:
    receiver.script = [500]
    lettr_server.add_webhook(receiver.url + "/hooks", ["email.sent"])
    send(client)
    (delivery,) = lettr_server.webhook_deliveries
    page = inbox.get("/deliveries").text
    assert delivery.id in page and "HTTP 500" in page and "next retry at" in page and "email.sent" in page
    answer = post(inbox, f"/deliveries/{delivery.id}/retry", {}, "/deliveries")
    assert answer.status_code == 303 and answer.headers["Location"] == f"/deliveries#{delivery.id}"
    assert delivery.attempt_count == 2 and delivery.attempts[-1].manual and delivery.status == "succeeded"
    assert len(receiver.requests) == 2
    assert post(inbox, "/deliveries/del_nope/retry", {}, "/deliveries").status_code == 404


def test_domains_verify_and_fail_a_record(lettr_server: LettrServer, inbox: httpx.Client) -> None:
    domain = lettr_server.add_domain("mail.shop.example", verified=False)
    assert post(inbox, f"/domains/{domain.id}/fail", {"record": "dkim"}, "/domains").status_code == 303
    assert post(inbox, f"/domains/{domain.id}/verify", {}, "/domains").status_code == 303
    assert domain.status == "pending" and domain.missing_records == ["dkim"]
    entry = lettr_server.audit_log[-1]
    assert (entry.action, entry.actor_type, entry.actor_email) == (
        "domain.verification_failed", "member", lettr_server.account.owner.email)
    page = inbox.get("/domains").text
    assert "mail.shop.example" in page and "lettr._domainkey" in page
    bad = post(inbox, f"/domains/{domain.id}/fail", {"record": "mx"}, "/domains")
    assert bad.status_code == 400 and "unknown DNS record" in bad.text


def test_the_clock_form_advances_and_releases_due_emails(
        lettr_server: LettrServer, client: lettr.Lettr, inbox: httpx.Client) -> None:
    client.emails.schedule(scheduled_at=lettr_server.clock.now() + timedelta(minutes=90), from_email="a@shop.example",
                           to=["ada@example.com"], subject="Later", html="<p>x</p>")
    before = lettr_server.clock.now()
    assert "Later" in inbox.get("/clock").text
    assert post(inbox, "/clock/advance", {"amount": "1", "unit": "hours"}, "/clock").status_code == 303
    assert lettr_server.emails[0].status == "scheduled"
    assert post(inbox, "/clock/advance", {"amount": "31", "unit": "minutes"}, "/clock").status_code == 303
    assert lettr_server.emails[0].status == "sent"
    assert lettr_server.clock.now() - before >= timedelta(minutes=91)


@pytest.mark.parametrize("amount, unit", [("0", "hours"), ("-1", "days"), ("nan", "hours"), ("lots", "hours"),
                                          ("3651", "days"), ("1", "weeks"), ("", "hours")])
def test_the_clock_form_refuses_a_bad_move(lettr_server: LettrServer, inbox: httpx.Client,
                                           amount: str, unit: str) -> None:
    before = lettr_server.clock.now()
    answer = post(inbox, "/clock/advance", {"amount": amount, "unit": unit}, "/clock")
    assert answer.status_code == 400 and 'role="alert"' in answer.text
    assert lettr_server.clock.now() - before < timedelta(minutes=1)


def test_paths_outside_the_inbox_keep_their_answers(lettr_server: LettrServer, inbox: httpx.Client) -> None:
    assert inbox.get("/nowhere").json()["error"]["code"] == "not_found"  # the v1 envelope, as before
    assert inbox.get("/v1/emails").status_code == 401
    assert inbox.get("/emails/nope").status_code == 404
    assert inbox.delete("/").status_code == 405
    assert lettr_server.inbox_url == lettr_server.url + "/"


def test_every_error_class_has_a_status() -> None:
    classes = [errors.LettrError, *errors.LettrError.__subclasses__()]
    while classes:
        cls = classes.pop()
        classes.extend(cls.__subclasses__())
        assert 400 <= status_of(cls.__new__(cls)) <= 599, cls
