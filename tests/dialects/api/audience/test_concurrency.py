"""Parallel requests never duplicate a contact, a membership or an unsubscribe."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import lettr

from pytest_lettr import LettrServer


def test_parallel_creates_of_one_address_make_one_contact(lettr_server: LettrServer, raw: httpx.Client) -> None:
    def create(_: int) -> int:
        return raw.post("/audience/contacts", json={"email": "ada@example.com"}).status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = sorted(pool.map(create, range(16)))
    assert statuses == [201] + [409] * 15
    assert [c.email for c in lettr_server.audience.contacts] == ["ada@example.com"]


def test_parallel_imports_create_each_address_once(lettr_server: LettrServer, raw: httpx.Client) -> None:
    emails = [f"user{n}@example.com" for n in range(20)]

    def bulk(_: int) -> int:
        return int(raw.post("/audience/contacts/bulk", json={"emails": emails}).json()["data"]["created"])

    with ThreadPoolExecutor(4) as pool:
        created = list(pool.map(bulk, range(4)))
    assert sum(created) == 20 and len(lettr_server.audience.contacts) == 20


def test_parallel_unsubscribe_clicks_count_once(lettr_server: LettrServer, client: lettr.Lettr) -> None:
    client.audience.contacts.create(email="ada@example.com")
    campaign = lettr_server.create_campaign(name="c", subject="s", from_email="a@example.com",
                                            html="<p>{{unsubscribe_link}}</p>", all_contacts=True)
    client.campaigns.send(campaign.id)
    link = lettr_server.emails[-1].extra["unsubscribe_url"]
    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda _: httpx.get(link).status_code, range(8)))
    assert statuses == [200] * 8 and lettr_server.handler_errors == []
    assert client.campaigns.get(campaign.id).stats.unsubscribes == 1
    assert lettr_server.audience.contact("ada@example.com").status == "unsubscribed"
