"""Who may touch the audience and campaigns: scopes, sandbox keys, and that every operation of
the spec (and each one the SDK adds) is served."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
import lettr
import pytest

from pytest_lettr import LettrServer
from pytest_lettr.dialects.api import ApiDialect
from pytest_lettr.permissions import SENDING_ONLY
from pytest_lettr.spec import load_openapi

SOME_ID = "0b139e3f-7bc3-40e7-a324-a881cee804f1"
#: Every audience and campaign write, as (method, path) with ids filled in.
WRITES = [
    ("POST", "/audience/lists"), ("PATCH", f"/audience/lists/{SOME_ID}"), ("DELETE", f"/audience/lists/{SOME_ID}"),
    ("DELETE", "/audience/lists/bulk"), ("POST", "/audience/contacts"), ("POST", "/audience/contacts/bulk"),
    ("PATCH", f"/audience/contacts/{SOME_ID}"), ("DELETE", f"/audience/contacts/{SOME_ID}"),
    ("POST", "/audience/contacts/lists/bulk"), ("DELETE", "/audience/contacts/lists/bulk"),
    ("POST", "/audience/contacts/topics/bulk"), ("DELETE", "/audience/contacts/topics/bulk"),
    ("POST", f"/audience/contacts/{SOME_ID}/lists/{SOME_ID}"),
    ("DELETE", f"/audience/contacts/{SOME_ID}/lists/{SOME_ID}"),
    ("POST", f"/audience/contacts/{SOME_ID}/topics/{SOME_ID}"),
    ("DELETE", f"/audience/contacts/{SOME_ID}/topics/{SOME_ID}"),
    ("POST", "/audience/topics"), ("PATCH", f"/audience/topics/{SOME_ID}"), ("DELETE", f"/audience/topics/{SOME_ID}"),
    ("POST", "/audience/properties"), ("PATCH", f"/audience/properties/{SOME_ID}"),
    ("DELETE", f"/audience/properties/{SOME_ID}"), ("POST", "/audience/segments"),
    ("PATCH", f"/audience/segments/{SOME_ID}"), ("DELETE", f"/audience/segments/{SOME_ID}"),
    ("POST", f"/campaigns/{SOME_ID}/send"), ("POST", f"/campaigns/{SOME_ID}/schedule"),
    ("POST", f"/campaigns/{SOME_ID}/unschedule"),
]


def test_every_operation_of_the_spec_is_served() -> None:
    dialect = ApiDialect()
    missing = []
    operations = [(method.upper(), path) for path, item in load_openapi()["paths"].items()
                  for method in item if method in ("get", "post", "put", "patch", "delete")]
    for method, path in operations:
        concrete = "/api" + re.sub(r"\{[^}]+\}", SOME_ID, path)
        try:
            dialect.match(concrete, method)
        except LookupError:
            missing.append(f"{method} {path}")
    assert (len(operations), missing) == (66, [])


def test_a_sending_only_key_cannot_touch_the_audience(lettr_server: LettrServer,
                                                      make_client: Callable[[str], lettr.Lettr]) -> None:
    client = make_client(lettr_server.create_key("sender", SENDING_ONLY, mode="api").key)
    calls: list[Callable[[], object]] = [
        lambda: client.audience.contacts.create(email="ada@example.com"), client.audience.contacts.list,
        client.audience.lists.list, client.campaigns.list, lambda: client.campaigns.send(SOME_ID)]
    for call in calls:
        with pytest.raises(lettr.ForbiddenError) as caught:
            call()
        assert caught.value.error_code == "insufficient_scope"
    refused = [e.metadata["required_permission"] for e in lettr_server.audit_log if e.action == "auth.forbidden"]
    assert refused == ["audience:write", "audience:read", "audience:read", "campaigns:read", "campaigns:write"]
    assert lettr_server.audience.contacts == []


def test_read_scopes_are_not_write_scopes(lettr_server: LettrServer, make_client: Callable[[str], lettr.Lettr]) -> None:
    reader = make_client(lettr_server.create_key("r", ["audience:read", "campaigns:read"], mode="api").key)
    writer = make_client(lettr_server.create_key("w", ["audience:write", "campaigns:write"], mode="api").key)
    created = writer.audience.lists.create(name="VIP")
    writer.audience.lists.update(created.id, name="VIPs")
    assert [item.name for item in reader.audience.lists.list().lists] == ["VIPs"]
    assert reader.campaigns.list().total == 0
    with pytest.raises(lettr.ForbiddenError):
        reader.audience.lists.create(name="Other")
    with pytest.raises(lettr.ForbiddenError):
        writer.audience.lists.list()
    campaign = lettr_server.create_campaign(name="c", subject="s", from_email="a@example.com", html="<p>x</p>",
                                            list_ids=[created.id])
    with pytest.raises(lettr.ForbiddenError):
        reader.campaigns.send(campaign.id)
    writer.audience.lists.delete(created.id)


def test_auth_check_lists_the_campaign_scopes(lettr_server: LettrServer, raw: httpx.Client) -> None:
    scopes = raw.get("/auth/check").json()["data"]["scopes"]
    assert {"audience:read", "audience:write", "campaigns:read", "campaigns:write"} <= set(scopes)
    narrow = lettr_server.create_key("narrow", ["campaigns:read"], mode="api").key
    answer = raw.get("/auth/check", headers={"Authorization": f"Bearer {narrow}"})
    assert answer.json()["data"]["scopes"] == ["campaigns:read"]


def test_sandbox_keys_read_but_never_write(lettr_server: LettrServer, sandbox: lettr.Lettr,
                                           sandbox_key: object) -> None:
    lettr_server.sandbox.policy.per_minute = lettr_server.sandbox.policy.per_day = 1000
    assert sandbox.audience.contacts.list().total == 0 and sandbox.campaigns.list().total == 0
    key = sandbox_key.key
    with httpx.Client(base_url=lettr_server.api_url, headers={"Authorization": f"Bearer {key}"}) as http:
        answers = {f"{method} {path}": http.request(method, path, json={}) for method, path in WRITES}
    wrong = {name: (r.status_code, r.json().get("error_code")) for name, r in answers.items()
             if (r.status_code, r.json().get("error_code")) != (403, "sandbox_restricted")}
    assert wrong == {}
    with pytest.raises(lettr.ForbiddenError) as caught:
        sandbox.audience.contacts.create(email="ada@example.com")
    assert caught.value.error_code == "sandbox_restricted"
    assert lettr_server.audience.contacts == []
