"""Each resource operation writes its own audit entry, the same whichever intake called it."""

from __future__ import annotations

import httpx

from pytest_lettr import LettrServer


def test_a_domain_made_through_either_dialect_is_audited_the_same(lettr_server: LettrServer) -> None:
    admin = {"Authorization": f"Bearer {lettr_server.admin_key}"}
    api_key = lettr_server.create_key("domains", permissions=["domains:write"], mode="api").key
    assert httpx.post(lettr_server.v1_url + "/domains", headers=admin, json={"name": "one.example.com"}).is_success
    assert httpx.post(lettr_server.api_url + "/domains", headers={"Authorization": f"Bearer {api_key}"},
                      json={"domain": "two.example.com"}).is_success
    first, second = (e for e in lettr_server.audit_log if e.action == "domain.created")
    assert first.metadata == {"name": "one.example.com", "region": "us"}
    assert second.metadata == {"name": "two.example.com", "region": "us"}
    assert (first.resource_type, second.resource_type) == ("domain", "domain")


def test_helpers_of_the_fixture_are_not_audited(lettr_server: LettrServer) -> None:
    lettr_server.add_domain("ready.example.com")
    lettr_server.templates.create("Welcome", html="<p>Hi</p>")
    assert lettr_server.audit_log == []
