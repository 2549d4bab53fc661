"""The inbox in a real browser, through its pinned accessible names (headless Chromium)."""

from __future__ import annotations

import base64
import re
from datetime import timedelta
from typing import Any

import lettr
import pytest
from playwright.sync_api import expect
from support import Receiver

from pytest_lettr import LettrServer

from .conftest import Shot

pytestmark = [pytest.mark.browser, pytest.mark.lettr(domains=["shop.example"])]


def send(client: lettr.Lettr, **overrides: Any) -> None:
    kwargs: dict[str, Any] = {"from_email": "hello@shop.example", "to": ["ada@example.com"],
                              "subject": "Welcome to Shop", "html": "<h1>Welcome aboard</h1><p>Glad you came.</p>",
                              "text": "Welcome aboard"}
    kwargs.update(overrides)
    client.emails.send(**kwargs)


def open_email(page: Any, subject: str) -> None:
    page.get_by_role("link", name=subject).click()
    expect(page.get_by_role("heading", level=1, name=subject)).to_be_visible()


def test_a_new_email_appears_without_a_reload_and_its_html_renders(
        lettr_server: LettrServer, client: lettr.Lettr, page: Any, shot: Shot) -> None:
    page.goto(lettr_server.inbox_url)
    expect(page.get_by_text("0 emails")).to_be_visible()
    page.evaluate("window.notReloaded = true")
    send(client, tag="onboarding", metadata={"plan": "pro"})
    send(client, subject="Your receipt", to=["grace@example.com"], html="<p>Total: <b>$12</b></p>")
    links = page.locator("ol.emails > li > a")
    expect(links).to_have_count(2)
    expect(links.first).to_contain_text("Your receipt")  # newest first
    assert page.evaluate("window.notReloaded") is True
    shot(page, "list")
    open_email(page, "Welcome to Shop")
    frame = page.frame_locator('iframe[title="HTML body"]')
    expect(frame.get_by_role("heading", name="Welcome aboard")).to_be_visible()
    expect(page.get_by_text("onboarding")).to_be_visible()
    shot(page, "email")


def test_a_script_in_an_email_runs_nowhere(lettr_server: LettrServer, client: lettr.Lettr, page: Any) -> None:
    seen: list[str] = []
    page.on("console", lambda message: seen.append(message.text))
    page.on("dialog", lambda dialog: (seen.append("dialog"), dialog.dismiss()))
    subject = '<script>console.log("ran in page")</script>Hi'
    send(client, subject=subject, html='<p id="shown">Visible text</p>'
         '<script>console.log("ran in frame"); parent.document.title = "taken";</script>'
         '<img src="x" onerror="console.log(\'ran onerror\')" alt="x">'
         '<img src="https://images.example/pixel.png" alt="remote">')
    page.goto(lettr_server.inbox_url)
    open_email(page, subject)  # the subject shows as text, so its script is not markup
    frame = page.frame_locator('iframe[title="HTML body"]')
    expect(frame.locator("#shown")).to_have_text("Visible text")
    page.wait_for_timeout(300)
    assert not [text for text in seen if "ran" in text or text == "dialog"]
    assert page.title() != "taken"
    assert page.locator('iframe[title="HTML body"]').get_attribute("sandbox") == ""


def test_search_finds_an_email_by_recipient(lettr_server: LettrServer, client: lettr.Lettr, page: Any) -> None:
    send(client, subject="For Ada", to=["ada@example.com"])
    send(client, subject="For Grace", to=["grace@example.com"])
    page.goto(lettr_server.inbox_url)
    search = page.get_by_role("searchbox", name="Search")
    search.fill("grace@example")
    search.press("Enter")
    expect(page.get_by_role("link", name=re.compile("For Grace"))).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("For Ada"))).to_have_count(0)


def test_bounce_changes_the_status_and_the_webhook_receives_it(
        lettr_server: LettrServer, client: lettr.Lettr, page: Any, receiver: Receiver) -> None:
    lettr_server.add_webhook(receiver.url + "/hooks", ["email.bounced"])
    send(client)
    page.goto(lettr_server.inbox_url)
    open_email(page, "Welcome to Shop")
    expect(page.locator("#status")).to_have_text("sent")
    expect(page.get_by_role("button", name="Open")).to_be_disabled()  # only after delivery
    page.get_by_role("button", name="Bounce").click()
    expect(page.locator("#status")).to_have_text("bounced")
    expect(page.get_by_text("email.bounced")).to_be_visible()
    (received,) = receiver.requests
    assert received.json()["type"] == "email.bounced"
    assert received.json()["data"]["emailId"] == lettr_server.emails[0].id
    assert lettr_server.emails[0].status == "bounced"


def test_an_attachment_downloads_with_its_bytes(lettr_server: LettrServer, client: lettr.Lettr, page: Any) -> None:
    content = b"%PDF-1.4 invoice \x00\xff bytes"
    send(client, attachments=[lettr.Attachment(name="invoice 7.pdf", type="application/pdf",
                                               data=base64.b64encode(content).decode())])
    page.goto(lettr_server.inbox_url)
    open_email(page, "Welcome to Shop")
    with page.expect_download() as download:
        page.get_by_role("link", name="invoice 7.pdf").click()
    assert download.value.suggested_filename == "invoice 7.pdf"
    with open(download.value.path(), "rb") as file:
        assert file.read() == content


def test_the_clock_page_releases_a_scheduled_email(
        lettr_server: LettrServer, client: lettr.Lettr, page: Any, shot: Shot) -> None:
    client.emails.schedule(scheduled_at=lettr_server.clock.now() + timedelta(hours=2), from_email="hello@shop.example",
                           to=["ada@example.com"], subject="Later", html="<p>Later</p>")
    page.set_viewport_size({"width": 390, "height": 800})  # a phone
    page.goto(lettr_server.inbox_url + "clock")
    expect(page.get_by_role("link", name="Later")).to_be_visible()
    page.get_by_label("Amount").fill("3")
    page.get_by_label("Unit").select_option("hours")
    shot(page, "clock-phone")
    page.get_by_role("button", name="Advance").click()
    expect(page.get_by_text("None waiting.").first).to_be_visible()
    assert lettr_server.emails[0].status == "sent"
    assert [e.type for e in lettr_server.emails[0].events] == ["email.sent"]
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling
