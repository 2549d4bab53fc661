"""What users touch is importable from ``pytest_lettr`` and typed (mypy checks this file too)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx

import pytest_lettr
from pytest_lettr import Email, LettrServer, errors

if TYPE_CHECKING:
    from typing_extensions import assert_type

    def _types_users_see(server: LettrServer) -> None:
        assert_type(server.emails[-1], Email)
        assert_type(server.emails[:2], list[Email])
        assert_type([e.subject for e in server.emails], list[str | None])
        assert_type(server.templates.create("Hi", html="<p>x</p>"), pytest_lettr.Template)
        assert_type(server.quota.status(), pytest_lettr.QuotaStatus)
        assert_type(server.domains, list[pytest_lettr.Domain])
        assert_type(server.webhook_deliveries, list[pytest_lettr.Delivery])
        assert_type(server.receive(sender="a@example.com", to="b@in.example.com"), list[pytest_lettr.InboundMessage])
        assert_type(server.add_inbound_domain("in.example.com"), pytest_lettr.InboundDomain)
        assert_type(server.smtp_port, int)
        assert_type(server.audience.contact("ada@example.com"), pytest_lettr.Contact)
        assert_type(server.create_campaign(name="n", subject="s", from_email="a@example.com", html="<p>x</p>"),
                    pytest_lettr.Campaign)


def test_every_public_name_is_exported() -> None:
    for name in ("Email", "Event", "ApiKey", "CreatedKey", "Domain", "Webhook", "Delivery", "AuditEntry",
                 "Clock", "LettrError", "EmailOutbox", "Template", "ApiWebhook", "InboundDomain", "InboundMessage",
                 "Audience", "AudienceList", "Contact", "ContactProperty", "Segment", "Topic", "Campaign",
                 "CampaignStats"):
        assert name in pytest_lettr.__all__ and hasattr(pytest_lettr, name), name
    assert issubclass(errors.Suppressed, pytest_lettr.LettrError)


def test_the_current_api_stores_are_on_the_server(lettr_server: LettrServer) -> None:
    template = lettr_server.templates.create("Welcome", html="<p>Hi {{name}}</p>")
    assert [p.name for p in lettr_server.projects] == ["Default Project"]
    key = lettr_server.create_key("reader", permissions=["templates:read"], mode="api")
    listed = httpx.get(lettr_server.api_url + "/templates", headers={"Authorization": f"Bearer {key.key}"})
    assert [t["slug"] for t in listed.json()["data"]["templates"]] == [template.slug]
    assert lettr_server.api_webhooks.all() == [] and lettr_server.quota.applies is False
    lettr_server.add_domain("mail.example.com")
    assert [d.name for d in lettr_server.domains] == ["mail.example.com"]


def test_the_outbox_is_a_sequence_of_emails(lettr_server: LettrServer) -> None:
    httpx.post(lettr_server.v1_url + "/emails", headers={"Authorization": f"Bearer {lettr_server.admin_key}"},
               json={"from": "a@example.com", "to": "b@example.com", "subject": "One", "text": "1"})
    assert isinstance(lettr_server.emails[-1], Email) and lettr_server.emails[:1] == [lettr_server.emails[0]]
    assert lettr_server.emails.index(lettr_server.emails[0]) == 0 and lettr_server.emails[0] in lettr_server.emails
