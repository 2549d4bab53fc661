"""Filtered lists accept a cursor that the filter leaves out, and idempotent replays of
responses carrying a one-time secret never keep that secret."""

from __future__ import annotations

import pytest

from pytest_lettr import LettrServer

from . import V1


def test_domains_cursor_may_name_a_filtered_out_domain(v1: V1, lettr_server: LettrServer) -> None:
    client = v1()
    first = lettr_server.add_domain("one.example.com", verified=True)
    pending = lettr_server.add_domain("two.example.com", verified=False)
    third = lettr_server.add_domain("three.example.com", verified=True)
    page = client.get("/domains", params={"status": "verified", "ending_before": pending.id})
    assert page.status_code == 200, page.text
    assert [d["id"] for d in page.json()["data"]] == [third.id]
    older = client.get("/domains", params={"status": "verified", "starting_after": pending.id}).json()
    assert [d["id"] for d in older["data"]] == [first.id] and older["totalCount"] == 2


def test_webhooks_cursor_may_name_a_filtered_out_webhook(v1: V1, lettr_server: LettrServer) -> None:
    client = v1()
    ids = [client.post("/webhooks", json={"url": f"http://127.0.0.1:9/{i}", "events": ["*"]}).json()["id"]
           for i in range(3)]
    assert client.patch(f"/webhooks/{ids[1]}", json={"status": "disabled"}).status_code == 200
    page = client.get("/webhooks", params={"status": "active", "starting_after": ids[1]})
    assert page.status_code == 200, page.text
    assert [w["id"] for w in page.json()["data"]] == [ids[0]]


def test_team_cursor_may_name_a_filtered_out_member(v1: V1) -> None:
    client = v1()
    invited = client.post("/team/members", json={"email": "dev@example.com", "role": "developer"}).json()
    owner = next(m for m in client.get("/team/members").json()["data"] if m["role"] == "owner")
    page = client.get("/team/members", params={"role": "developer", "starting_after": owner["id"]})
    assert page.status_code == 200, page.text
    assert page.json()["data"] == []
    newer = client.get("/team/members", params={"role": "developer", "ending_before": owner["id"]}).json()
    assert [m["id"] for m in newer["data"]] == [invited["id"]]


@pytest.mark.parametrize("path_suffix", ["", "/rotate-secret"])
def test_replayed_webhook_secret_responses_leave_the_secret_out(v1: V1, path_suffix: str) -> None:
    client = v1()
    webhook_id = ""
    if path_suffix:
        webhook_id = "/" + client.post("/webhooks", json={"url": "http://127.0.0.1:9/h", "events": ["*"]}).json()["id"]
    body = {} if path_suffix else {"url": "http://127.0.0.1:9/x", "events": ["*"]}
    headers = {"Idempotency-Key": "once-" + path_suffix}
    first = client.post(f"/webhooks{webhook_id}{path_suffix}", json=body, headers=headers)
    again = client.post(f"/webhooks{webhook_id}{path_suffix}", json=body, headers=headers)
    assert first.json()["secret"].startswith("whsec_")
    assert again.headers["Idempotency-Replayed"] == "true"
    assert "secret" not in again.json() and again.json()["id"] == first.json()["id"]
