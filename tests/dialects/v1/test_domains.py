"""v1 domains (§8) through the wire: create, list, get, verify (with failing DNS), delete, audit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from pytest_lettr import LettrServer

from . import error_body as error


def create(client: httpx.Client, name: str = "mail.example.com", **extra: Any) -> dict[str, Any]:
    response = client.post("/domains", json={"name": name, **extra})
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def test_create_returns_a_pending_domain_with_three_records(client: httpx.Client) -> None:
    domain = create(client)
    assert domain["object"] == "domain" and domain["id"].startswith("dom_") and len(domain["id"]) == 28
    assert (domain["name"], domain["status"], domain["region"]) == ("mail.example.com", "pending", "us")
    assert domain["verifiedAt"] is None
    assert (domain["spfStatus"], domain["dkimStatus"], domain["dmarcStatus"]) == ("pending",) * 3
    records = {r["purpose"]: r for r in domain["dnsRecords"]}
    assert set(records) == {"spf", "dkim", "dmarc"}
    assert (records["spf"]["type"], records["spf"]["host"]) == ("TXT", "@")
    assert records["spf"]["value"].startswith("v=spf1 ")
    assert (records["dkim"]["type"], records["dkim"]["host"]) == ("CNAME", "lettr._domainkey")
    assert (records["dmarc"]["type"], records["dmarc"]["host"]) == ("TXT", "_dmarc")
    assert records["dmarc"]["value"].startswith("v=DMARC1;")
    assert not any(r["verified"] for r in records.values())
    assert set(domain) == {"id", "object", "name", "status", "region", "dnsRecords", "spfStatus", "dkimStatus",
                           "dmarcStatus", "createdAt", "verifiedAt"}


def test_each_domain_gets_its_own_dkim_target(client: httpx.Client) -> None:
    first, second = create(client, "a.example.com"), create(client, "b.example.com")

    def dkim(domain: dict[str, Any]) -> str:
        return next(r["value"] for r in domain["dnsRecords"] if r["purpose"] == "dkim")  # type: ignore[no-any-return]

    assert dkim(first) != dkim(second)


def test_eu_region(client: httpx.Client) -> None:
    domain = create(client, region="eu")
    assert domain["region"] == "eu"
    assert all(".eu." in r["value"] or "eu.lettr" in r["value"] for r in domain["dnsRecords"])


def test_create_normalises_the_name(client: httpx.Client) -> None:
    assert create(client, "Mail.Example.COM.")["name"] == "mail.example.com"


def test_a_duplicate_name_is_a_conflict(client: httpx.Client, lettr_server: LettrServer) -> None:
    create(client)
    response = client.post("/domains", json={"name": "MAIL.example.com"})
    assert response.status_code == 409
    assert (error(response)["code"], error(response)["param"]) == ("conflict", "name")
    assert len(lettr_server.account.domains) == 1


@pytest.mark.parametrize(("body", "code", "param"), [
    ({}, "missing_parameter", "name"),
    ({"name": ""}, "invalid_parameter", "name"),
    ({"name": 42}, "invalid_parameter", "name"),
    ({"name": "localhost"}, "invalid_parameter", "name"),
    ({"name": "exa mple.com"}, "invalid_parameter", "name"),
    ({"name": "ada@example.com"}, "invalid_parameter", "name"),
    ({"name": "-bad.example.com"}, "invalid_parameter", "name"),
    ({"name": "example.123"}, "invalid_parameter", "name"),
    ({"name": "a" * 64 + ".com"}, "invalid_parameter", "name"),
    ({"name": "example.com", "region": "asia"}, "invalid_parameter", "region"),
    ({"name": "example.com", "dkim": True}, "invalid_parameter", "dkim"),
])
def test_create_validation(client: httpx.Client, lettr_server: LettrServer, body: dict[str, Any], code: str,
                           param: str) -> None:
    response = client.post("/domains", json=body)
    assert response.status_code == 400
    assert (error(response)["code"], error(response)["param"]) == (code, param)
    assert not lettr_server.account.domains


def test_verify_with_every_record_published(client: httpx.Client, lettr_server: LettrServer) -> None:
    domain = create(client)
    lettr_server.clock.freeze()  # so verifiedAt can be compared to the second
    lettr_server.clock.advance(minutes=10)
    response = client.post(f"/domains/{domain['id']}/verify")
    assert response.status_code == 200
    verified = response.json()
    assert verified["status"] == "verified" and "missingRecords" not in verified
    assert verified["verifiedAt"] == lettr_server.clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")
    assert (verified["spfStatus"], verified["dkimStatus"], verified["dmarcStatus"]) == ("verified",) * 3
    assert all(r["verified"] for r in verified["dnsRecords"])
    assert lettr_server.account.domains.is_verified("mail.example.com")
    entry = lettr_server.audit_log[-1]
    assert (entry.action, entry.resource_type, entry.resource_id) == ("domain.verified", "domain", domain["id"])


def test_a_failing_dkim_record_leaves_the_domain_pending(client: httpx.Client, lettr_server: LettrServer) -> None:
    domain = create(client)
    lettr_server.fail_dns("mail.example.com", "dkim")
    body = client.post(f"/domains/{domain['id']}/verify").json()
    assert body["status"] == "pending" and body["missingRecords"] == ["dkim"]
    assert (body["spfStatus"], body["dkimStatus"], body["dmarcStatus"]) == ("verified", "failed", "verified")
    assert {r["purpose"]: r["verified"] for r in body["dnsRecords"]} == {"spf": True, "dkim": False, "dmarc": True}
    assert body["verifiedAt"] is None
    entry = lettr_server.audit_log[-1]
    assert entry.action == "domain.verification_failed"
    assert entry.metadata == {"name": "mail.example.com", "status": "pending", "missing_records": ["dkim"]}
    logged = client.get("/audit-logs", params={"action": "domain.verification_failed"}).json()["data"][0]
    assert logged["metadata"]["missingRecords"] == ["dkim"]
    # GET shows the same state without missingRecords (that belongs to the verification).
    assert client.get(f"/domains/{domain['id']}").json()["dkimStatus"] == "failed"
    # Publishing the record fixes it at the next verification.
    lettr_server.fix_dns("mail.example.com", "dkim")
    assert client.post(f"/domains/{domain['id']}/verify").json()["status"] == "verified"


def test_several_failing_records_by_id(client: httpx.Client, lettr_server: LettrServer) -> None:
    domain = create(client)
    lettr_server.fail_dns(domain["id"], "SPF")
    lettr_server.fail_dns(domain["id"], "dmarc")
    assert client.post(f"/domains/{domain['id']}/verify").json()["missingRecords"] == ["spf", "dmarc"]


def test_fail_dns_before_the_domain_is_added(client: httpx.Client, lettr_server: LettrServer) -> None:
    lettr_server.fail_dns("later.example.com", "dmarc")
    domain = create(client, "later.example.com")
    assert client.post(f"/domains/{domain['id']}/verify").json()["missingRecords"] == ["dmarc"]


def test_fail_dns_rejects_unknown_records(lettr_server: LettrServer) -> None:
    with pytest.raises(ValueError, match="unknown DNS record"):
        lettr_server.fail_dns("example.com", "mx")


def test_still_missing_after_72_hours_is_failed(client: httpx.Client, lettr_server: LettrServer) -> None:
    domain = create(client)
    lettr_server.fail_dns("mail.example.com", "spf")
    lettr_server.clock.advance(hours=71)
    assert client.post(f"/domains/{domain['id']}/verify").json()["status"] == "pending"
    lettr_server.clock.advance(hours=2)
    failed = client.post(f"/domains/{domain['id']}/verify").json()
    assert failed["status"] == "failed" and failed["missingRecords"] == ["spf"]
    assert [d["id"] for d in client.get("/domains", params={"status": "failed"}).json()["data"]] == [domain["id"]]
    lettr_server.fix_dns("mail.example.com")
    assert client.post(f"/domains/{domain['id']}/verify").json()["status"] == "verified"


def test_a_verified_domain_whose_record_disappears_is_pending_again(
        client: httpx.Client, lettr_server: LettrServer) -> None:
    lettr_server.strict_domains = True
    domain = create(client)
    assert client.post(f"/domains/{domain['id']}/verify").json()["status"] == "verified"
    send = {"from": "app@mail.example.com", "to": "ada@example.com", "subject": "Hi", "text": "Hello"}
    assert client.post("/emails", json=send).status_code == 200
    lettr_server.fail_dns("mail.example.com", "dkim")
    assert client.post(f"/domains/{domain['id']}/verify").json()["status"] == "pending"
    refused = client.post("/emails", json=send)
    assert refused.status_code == 400 and error(refused)["code"] == "invalid_from"


def test_reverifying_a_verified_domain_records_nothing_new(client: httpx.Client, lettr_server: LettrServer) -> None:
    domain = create(client)
    client.post(f"/domains/{domain['id']}/verify")
    before = len(lettr_server.audit_log)
    assert client.post(f"/domains/{domain['id']}/verify").json()["status"] == "verified"
    assert len(lettr_server.audit_log) == before


def test_list_and_status_filter(client: httpx.Client, lettr_server: LettrServer) -> None:
    pending = create(client, "pending.example.com")
    ready = create(client, "ready.example.com")
    client.post(f"/domains/{ready['id']}/verify")
    listed = client.get("/domains").json()
    assert [d["name"] for d in listed["data"]] == ["ready.example.com", "pending.example.com"]
    assert listed["totalCount"] == 2 and listed["hasMore"] is False
    only = client.get("/domains", params={"status": "pending"}).json()
    assert [d["id"] for d in only["data"]] == [pending["id"]]
    bad = client.get("/domains", params={"status": "approved"})
    assert bad.status_code == 400 and error(bad)["param"] == "status"
    page = client.get("/domains", params={"limit": 1}).json()
    assert page["hasMore"] is True and page["data"][0]["id"] == ready["id"]


def test_get_and_delete(client: httpx.Client, lettr_server: LettrServer) -> None:
    domain = create(client)
    assert client.get(f"/domains/{domain['id']}").json() == domain
    response = client.delete(f"/domains/{domain['id']}")
    assert response.status_code == 200
    assert response.json() == {"id": domain["id"], "object": "domain", "deleted": True}
    assert client.get(f"/domains/{domain['id']}").status_code == 404
    entry = lettr_server.audit_log[-1]
    assert (entry.action, entry.resource_id, entry.metadata) == ("domain.deleted", domain["id"],
                                                                 {"name": "mail.example.com"})
    assert create(client)["name"] == "mail.example.com"  # the name is free again


def test_unknown_domain_is_not_found(client: httpx.Client) -> None:
    for response in (client.get("/domains/dom_missing"), client.post("/domains/dom_missing/verify"),
                     client.delete("/domains/dom_missing")):
        assert response.status_code == 404 and error(response)["code"] == "not_found"


def test_create_is_audited_with_actor_details(client: httpx.Client, lettr_server: LettrServer) -> None:
    domain = client.post("/domains", json={"name": "mail.example.com", "region": "eu"},
                         headers={"User-Agent": "deploy-bot/1.0"}).json()
    entry = lettr_server.audit_log[-1]
    assert (entry.action, entry.resource_type, entry.resource_id) == ("domain.created", "domain", domain["id"])
    assert entry.metadata == {"name": "mail.example.com", "region": "eu"}
    assert (entry.actor_id, entry.ip_address, entry.user_agent) == (lettr_server.account.admin_key.id,
                                                                    "127.0.0.1", "deploy-bot/1.0")


@pytest.mark.parametrize(("method", "path", "permission"), [
    ("POST", "/domains", "domains:create"),
    ("GET", "/domains", "domains:read"),
    ("GET", "/domains/{id}", "domains:read"),
    ("POST", "/domains/{id}/verify", "domains:update"),
    ("DELETE", "/domains/{id}", "domains:delete"),
])
def test_domain_permissions(lettr_server: LettrServer, v1: Callable[..., httpx.Client], method: str, path: str,
                            permission: str) -> None:
    domain = lettr_server.add_domain("mail.example.com", verified=False)
    others = [p for p in ("domains:create", "domains:read", "domains:update", "domains:delete") if p != permission]
    key = lettr_server.create_key("partial", permissions=others)
    client = v1(key.key)
    response = client.request(method, path.format(id=domain.id), json={"name": "new.example.com"}
                              if method == "POST" else None)
    assert response.status_code == 403
    assert error(response)["requiredPermission"] == permission


def test_add_domain_helper_has_the_same_records(lettr_server: LettrServer, client: httpx.Client) -> None:
    domain = lettr_server.add_domain("ready.example.com")
    body = client.get(f"/domains/{domain.id}").json()
    assert body["status"] == "verified" and all(r["verified"] for r in body["dnsRecords"])
    assert body["dkimStatus"] == "verified"
