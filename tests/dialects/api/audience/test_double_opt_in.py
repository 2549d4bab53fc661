"""Double opt-in: an unverified contact, its confirmation email in the outbox, and a GET of the
confirmation link that subscribes it and redirects (once)."""

from __future__ import annotations

import re
from typing import Any

import httpx
import lettr
import pytest

from pytest_lettr import LettrServer

CONFIRM_HTML = '<p>Please confirm: <a href="{{confirmation_url}}">yes, subscribe me</a></p>'


def _opt_in(**overrides: Any) -> dict[str, Any]:
    config = {"from": "news@example.com", "from_name": "Example News", "subject": "Confirm your subscription",
              "template_slug": "confirm", "redirect_url": "https://example.com/thanks"}
    config.update(overrides)
    return config


def _link(html: str | None) -> str:
    match = re.search(r'href="([^"]+)"', html or "")
    assert match, html
    return match.group(1)


@pytest.fixture
def template(lettr_server: LettrServer) -> None:
    lettr_server.templates.create("Confirm", html=CONFIRM_HTML)


def test_confirmation_link_subscribes_and_redirects(lettr_server: LettrServer, client: lettr.Lettr,
                                                    template: None) -> None:
    vip = client.audience.lists.create(name="VIP")
    contact = client.audience.contacts.create(email="ada@example.com", list_id=vip.id, double_opt_in=_opt_in())
    assert contact.status == "unverified" and [item.name for item in contact.lists] == ["VIP"]
    email = lettr_server.assert_sent(to="ada@example.com", subject="Confirm your subscription")
    assert email.from_ == "news@example.com" and email.extra["from_name"] == "Example News"
    link = _link(email.html)
    assert link.startswith(lettr_server.url + "/lettr/confirm/")
    token = link.rsplit("/", 1)[1]
    assert len(token) == 40 and token not in repr(lettr_server.audience.confirmations)  # kept as a digest
    opened = httpx.get(link)
    assert (opened.status_code, opened.headers["Location"]) == (302, "https://example.com/thanks")
    assert client.audience.contacts.get(contact.id).status == "subscribed"
    again = httpx.get(link)
    assert again.status_code == 404 and "invalid or has already been used" in again.text
    assert "Location" not in again.headers
    assert httpx.get(lettr_server.url + "/lettr/confirm/not-a-token").status_code == 404
    assert lettr_server.audit_log[-1].action == "contact.confirmed"


def test_an_unverified_contact_gets_no_campaign(lettr_server: LettrServer, client: lettr.Lettr,
                                                template: None) -> None:
    client.audience.contacts.create(email="ada@example.com", double_opt_in=_opt_in())
    campaign = lettr_server.create_campaign(name="News", subject="News", from_email="news@example.com",
                                            html="<p>News</p>", all_contacts=True)
    client.campaigns.send(campaign.id)
    assert client.campaigns.get(campaign.id).status == "failed"  # nobody subscribed
    assert len(lettr_server.emails) == 1  # only the confirmation


def test_an_unknown_template_stores_nothing(lettr_server: LettrServer, client: lettr.Lettr) -> None:
    with pytest.raises(lettr.NotFoundError) as caught:
        client.audience.contacts.create(email="ada@example.com", double_opt_in=_opt_in(template_slug="missing"))
    assert caught.value.error_code == "template_not_found"
    assert lettr_server.audience.contacts == [] and len(lettr_server.emails) == 0


def test_a_refused_sender_is_transmission_failed(lettr_server: LettrServer, client: lettr.Lettr,
                                                 template: None) -> None:
    config = _opt_in(**{"from": "news@shop.test"})  # shop.test is no verified domain of the account
    with pytest.raises(lettr.LettrError) as caught:
        client.audience.contacts.create(email="ada@example.com", double_opt_in=config)
    assert getattr(caught.value, "error_code", None) == "transmission_failed"
    assert lettr_server.audience.contacts == [] and len(lettr_server.emails) == 0
    lettr_server.add_domain("shop.test")
    contact = client.audience.contacts.create(email="ada@example.com", double_opt_in=config)
    assert contact.status == "unverified" and lettr_server.emails[-1].from_ == "news@shop.test"


def test_double_opt_in_validation(client: lettr.Lettr) -> None:
    with pytest.raises(lettr.ValidationError) as bad:
        client.audience.contacts.create(email="ada@example.com", double_opt_in={"from": "nope", "subject": ""})
    assert sorted(bad.value.errors) == ["double_opt_in.from", "double_opt_in.redirect_url",
                                        "double_opt_in.subject", "double_opt_in.template_slug"]
