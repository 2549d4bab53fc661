"""Domains by name: create, list, get, verify, delete, over the account's one set of domains."""

from __future__ import annotations

import httpx
import lettr
import pytest

from pytest_lettr import LettrServer

from .conftest import send_kwargs


def test_create_returns_dkim_and_is_pending(lettr_server: LettrServer, client: lettr.Lettr) -> None:
    domain = client.domains.create("Mail.Shop.example")
    assert (domain.domain, domain.status, domain.status_label) == ("mail.shop.example", "pending", "Pending Review")
    assert domain.dkim is not None and domain.dkim.signing_domain == "mail.shop.example"
    assert domain.dkim.selector and domain.dkim.public and domain.dkim.headers == "from:to:subject:date"
    (stored,) = lettr_server.account.domains
    assert (stored.name, stored.status) == ("mail.shop.example", "pending")
    assert lettr_server.audit_log[-1].action == "domain.created"


def test_duplicate_and_invalid_domains(client: lettr.Lettr) -> None:
    client.domains.create("shop.example")
    with pytest.raises(lettr.ConflictError) as caught:
        client.domains.create("SHOP.example")
    assert caught.value.error_code == "resource_already_exists"
    with pytest.raises(lettr.ValidationError) as invalid:
        client.domains.create("not a domain")
    assert invalid.value.errors == {"domain": ["The domain must be a valid domain name (e.g., example.com)."]}


def test_list_and_get_before_and_after_verify(client: lettr.Lettr) -> None:
    client.domains.create("news.shop.example")
    (listed,) = client.domains.list()
    assert (listed.can_send, listed.dkim_status, listed.cname_status) == (False, None, None)
    detail = client.domains.get("news.shop.example")
    assert (detail.is_primary_domain, detail.spf_status, detail.dmarc_status) == (False, None, None)
    assert detail.dns is not None and detail.dns["dkim"]["selector"].startswith("scph")
    verification = client.domains.verify("news.shop.example")
    assert (verification.dkim_status, verification.cname_status, verification.spf_status) == (
        "valid", "valid", "valid")
    assert verification.ownership_verified == "true" and verification.is_primary_domain is False
    assert verification.spf is not None and verification.spf.includes_sparkpost
    assert verification.dmarc is not None and verification.dmarc.policy == "none"
    after = client.domains.get("news.shop.example")
    assert (after.status, after.status_label, after.can_send, after.dkim_status) == (
        "approved", "Approved", True, "valid")


def test_apex_domains_need_no_cname(client: lettr.Lettr) -> None:
    client.domains.create("shop.co.uk")
    assert client.domains.verify("shop.co.uk").cname_status == "not_applicable"
    assert client.domains.get("shop.co.uk").is_primary_domain is True


@pytest.mark.parametrize("verified", [False, True])
def test_an_apex_domain_shows_one_cname_status_everywhere(client: lettr.Lettr, verified: bool) -> None:
    client.domains.create("shop.example")
    statuses = [client.domains.verify("shop.example").cname_status] if verified else []
    statuses += [client.domains.list()[0].cname_status, client.domains.get("shop.example").cname_status]
    assert statuses == ["not_applicable"] * len(statuses)


def test_a_subdomain_lists_the_cname_it_reports(lettr_server: LettrServer, client: lettr.Lettr) -> None:
    client.domains.create("mail.shop.example")
    found = client.domains.verify("mail.shop.example")
    assert found.cname_status == "valid" and found.dns is not None
    assert (found.dns.cname_record, found.dns.cname_error) == ("sparkpostmail.com", None)
    assert client.domains.list()[0].cname_status == client.domains.get("mail.shop.example").cname_status == "valid"
    lettr_server.fail_dns("mail.shop.example", "dkim")
    missing = client.domains.verify("mail.shop.example")
    assert missing.cname_status == "invalid" and missing.dns is not None
    assert (missing.dns.cname_record, missing.dns.cname_error) == (None, "CNAME record not found")
    assert client.domains.get("mail.shop.example").cname_status == "invalid"


def test_delete(lettr_server: LettrServer, client: lettr.Lettr) -> None:
    client.domains.create("old.example")
    client.domains.delete("old.example")
    assert len(lettr_server.account.domains) == 0
    with pytest.raises(lettr.NotFoundError) as caught:
        client.domains.get("old.example")
    assert (caught.value.error_code, caught.value.message) == ("not_found", "Domain not found.")
    with pytest.raises(lettr.NotFoundError):
        client.domains.delete("old.example")
    with pytest.raises(lettr.NotFoundError):
        client.domains.verify("old.example")
    with pytest.raises(lettr.ValidationError):
        client.domains.delete("bad_domain")


def test_domains_are_shared_with_v1_and_strict_mode(lettr_server: LettrServer, client: lettr.Lettr,
                                                    raw: httpx.Client) -> None:
    lettr_server.add_domain("ready.example")
    lettr_server.add_domain("waiting.example", verified=False)
    assert {(d.domain, d.status, d.can_send) for d in client.domains.list()} == {
        ("ready.example", "approved", True), ("waiting.example", "pending", False)}
    lettr_server.strict_domains = True
    with pytest.raises(lettr.BadRequestError):
        client.emails.send(**send_kwargs(from_email="app@waiting.example"))
    client.domains.verify("waiting.example")
    assert client.emails.send(**send_kwargs(from_email="app@waiting.example")).accepted == 1
    verify = raw.post("/domains/ready.example/verify", headers={"Content-Type": "application/json"})
    assert verify.status_code == 200


def test_a_failing_dns_record_keeps_the_domain_pending(lettr_server: LettrServer, client: lettr.Lettr) -> None:
    client.domains.create("mail.shop.example")
    lettr_server.fail_dns("mail.shop.example", "dkim")
    failed = client.domains.verify("mail.shop.example")
    assert (failed.dkim_status, failed.cname_status, failed.spf_status, failed.dmarc_status) == (
        "invalid", "invalid", "valid", "valid")
    assert failed.ownership_verified is None
    assert failed.dns is not None and failed.dns.dkim_error == "DKIM record not found"
    detail = client.domains.get("mail.shop.example")
    assert (detail.status, detail.can_send, detail.dkim_status, detail.spf_status) == (
        "pending", False, "invalid", "valid")
    assert lettr_server.audit_log[-1].action == "domain.verification_failed"
    lettr_server.fix_dns("mail.shop.example")
    assert client.domains.verify("mail.shop.example").dkim_status == "valid"
    assert client.domains.get("mail.shop.example").status == "approved"
    assert lettr_server.audit_log[-1].action == "domain.verified"
