"""Bad input on every audience and campaign route is a clear 4xx in the current API's envelope —
never a 500 — and stores nothing."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from pytest_lettr import LettrServer

from .test_access import SOME_ID, WRITES

BAD_BODIES: list[Any] = [[], "text", 5, None, {"name": 5, "email": ["x"], "properties": "x", "conditions": [],
                                              "list_ids": "x", "contact_ids": [1, None], "topics": [{"id": 3}],
                                              "emails": [None, 7], "contacts": [5, {"email": None}],
                                              "scheduled_at": 12, "double_opt_in": [], "fallback_value": 9,
                                              "type": None, "status": "bounced", "update_existing": "yes"}]
#: The writes that read a body (the others — a single DELETE, a pair route, send, unschedule — ignore it).
BODY_WRITES = [(m, p) for m, p in WRITES
               if (m in ("POST", "PATCH") and not p.endswith(("/send", "/unschedule")) and p.count(SOME_ID) < 2)
               or p.endswith("/bulk")]
BAD_QUERIES = ["page=0", "per_page=abc", "status=nope", "list_id=nope", "segment_id=nope", "search=" + "x" * 300,
               "limit=1000", "cursor=%FF", "start_date=tomorrow", "event_type=x"]


@pytest.fixture
def real_ids(lettr_server: LettrServer, raw: httpx.Client) -> dict[str, str]:
    """Existing records, so the bad bodies reach each handler's own checks (not only its 404)."""
    ids = {"list": raw.post("/audience/lists", json={"name": "VIP"}).json()["data"]["id"],
           "contact": raw.post("/audience/contacts", json={"email": "ada@example.com"}).json()["data"]["id"],
           "topic": raw.post("/audience/topics", json={"name": "News"}).json()["data"]["id"],
           "property": raw.post("/audience/properties", json={"name": "plan", "type": "string"}).json()["data"]["id"],
           "segment": raw.post("/audience/segments", json={"name": "All", "conditions": {"groups": []}}
                               ).json()["data"]["id"]}
    ids["campaign"] = lettr_server.create_campaign(name="c", subject="s", from_email="a@example.com",
                                                   html="<p>x</p>").id
    return ids


def _concrete(path: str, ids: dict[str, str]) -> str:
    parts = path.split("/")
    for index, part in enumerate(parts):
        if part == SOME_ID:
            kind = {"lists": "list", "contacts": "contact", "topics": "topic", "properties": "property",
                    "segments": "segment", "campaigns": "campaign"}[parts[index - 1]]
            parts[index] = ids[kind]
    return "/".join(parts)


def test_bad_bodies_are_4xx_in_the_envelope(lettr_server: LettrServer, raw: httpx.Client,
                                            real_ids: dict[str, str]) -> None:
    before = (len(lettr_server.audience.contacts), len(lettr_server.audience.lists), len(lettr_server.emails))
    wrong = []
    assert len(BODY_WRITES) == 17
    for method, path in BODY_WRITES:
        for body in BAD_BODIES:
            answer = raw.request(method, _concrete(path, real_ids), json=body)
            payload = answer.json() if answer.content else {}
            if not (400 <= answer.status_code < 500 and "message" in payload):
                wrong.append((method, path, repr(body)[:40], answer.status_code))
    assert wrong == []
    assert lettr_server.handler_errors == []
    after = (len(lettr_server.audience.contacts), len(lettr_server.audience.lists), len(lettr_server.emails))
    assert after == before


def test_bad_queries_are_422(raw: httpx.Client, real_ids: dict[str, str]) -> None:
    paths = ["/audience/contacts", "/audience/lists", "/audience/segments", "/campaigns",
             f"/campaigns/{real_ids['campaign']}/events"]
    wrong = []
    for path in paths:
        for query in BAD_QUERIES:
            answer = raw.get(f"{path}?{query}")
            if answer.status_code >= 500 or (answer.status_code != 200 and answer.json().get("error_code")
                                              != "validation_error"):
                wrong.append((path, query, answer.status_code))
    assert wrong == []
    assert raw.get("/audience/contacts?page=0").status_code == 422
    assert raw.get(f"/campaigns/{real_ids['campaign']}/events?cursor=%FF").status_code == 422
