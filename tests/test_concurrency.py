"""Many clients at once: nothing lost, ids unique, counts exact, limits and idempotency hold."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import httpx

from pytest_lettr import LettrServer

THREADS = 8
T = TypeVar("T")


def email(i: int, j: int) -> dict[str, Any]:
    return {"from": "app@example.com", "to": f"user{i}@example.com", "subject": f"{i}/{j}", "text": "hi"}


def together(work: Callable[[int, httpx.Client], T], server: LettrServer, key: str | None = None) -> list[T]:
    """Run ``work(i, client)`` in THREADS threads (one client each), released at the same moment."""
    start = threading.Barrier(THREADS)

    def run(i: int) -> T:
        with httpx.Client(base_url=server.v1_url,
                          headers={"Authorization": f"Bearer {key or server.admin_key}"}) as client:
            start.wait(timeout=10)
            return work(i, client)

    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(run, range(THREADS)))


def test_concurrent_sends_lose_nothing(lettr_server: LettrServer) -> None:
    per_thread = 25

    def send(i: int, client: httpx.Client) -> list[str]:
        ids = []
        for j in range(per_thread):
            response = client.post("/emails", json=email(i, j))
            assert response.status_code == 200, response.text
            ids.append(response.json()["id"])
        return ids

    ids = [email_id for chunk in together(send, lettr_server) for email_id in chunk]
    total = THREADS * per_thread
    assert len(ids) == len(set(ids)) == total
    assert len(lettr_server.emails) == total
    assert {e.id for e in lettr_server.emails} == set(ids)
    stamps = [e.created_at for e in lettr_server.emails]
    assert stamps == sorted(stamps)

    with httpx.Client(base_url=lettr_server.v1_url,
                      headers={"Authorization": f"Bearer {lettr_server.admin_key}"}) as client:
        listed: list[str] = []
        params: dict[str, Any] = {"limit": 100}
        while True:
            body = client.get("/emails", params=params).json()
            assert body["totalCount"] == total
            listed += [e["id"] for e in body["data"]]
            if not body["hasMore"]:
                break
            params = {"limit": 100, "starting_after": listed[-1]}
        assert len(listed) == total and set(listed) == set(ids)
        for i in range(THREADS):
            mine = client.get("/emails", params={"to": f"user{i}@example.com", "limit": 100}).json()
            assert mine["totalCount"] == per_thread
            assert {e["subject"] for e in mine["data"]} == {f"{i}/{j}" for j in range(per_thread)}
        for email_id in ids[::37]:
            assert client.get(f"/emails/{email_id}").status_code == 200


def test_concurrent_batches_and_single_sends(lettr_server: LettrServer) -> None:
    def send(i: int, client: httpx.Client) -> int:
        if i % 2:
            response = client.post("/emails/batch", json={"emails": [email(i, j) for j in range(10)]})
            assert response.status_code == 200
            return len(response.json()["data"])
        for j in range(10):
            assert client.post("/emails", json=email(i, j)).status_code == 200
        return 10

    assert sum(together(send, lettr_server)) == len(lettr_server.emails) == THREADS * 10
    assert len({e.id for e in lettr_server.emails}) == THREADS * 10
    assert len([e for e in lettr_server.account.events if e.type == "email.sent"]) == THREADS * 10


def test_concurrent_key_creation(lettr_server: LettrServer) -> None:
    def create(i: int, client: httpx.Client) -> list[tuple[str, str]]:
        made = []
        for j in range(5):
            response = client.post("/api-keys", json={"name": f"k{i}-{j}", "permissions": ["emails:send"]})
            assert response.status_code == 201
            made.append((response.json()["id"], response.json()["key"]))
        return made

    made = [pair for chunk in together(create, lettr_server) for pair in chunk]
    assert len({key_id for key_id, _ in made}) == len({key for _, key in made}) == THREADS * 5
    assert len(lettr_server.account.keys) == THREADS * 5 + 1
    for _, key in made[::7]:
        response = httpx.get(lettr_server.v1_url + "/emails", headers={"Authorization": f"Bearer {key}"})
        assert response.status_code == 403  # authenticated; the key can only send


def test_one_idempotency_key_from_many_threads_sends_once(lettr_server: LettrServer) -> None:
    body = email(0, 0)

    def send(i: int, client: httpx.Client) -> httpx.Response:
        return client.post("/emails", json=body, headers={"Idempotency-Key": "checkout-1"})

    responses = together(send, lettr_server)
    assert len(lettr_server.emails) == 1
    done = [r for r in responses if r.status_code == 200]
    busy = [r for r in responses if r.status_code == 409]
    assert len(done) + len(busy) == THREADS and done
    assert {r.json()["id"] for r in done} == {lettr_server.emails[0].id}
    assert all(r.json()["error"]["code"] == "idempotency_in_progress" for r in busy)


def test_rate_limit_counts_exactly_under_load(lettr_server: LettrServer) -> None:
    lettr_server.clock.freeze()
    lettr_server.set_rate_limit(20, per_seconds=60)

    def hammer(i: int, client: httpx.Client) -> list[int]:
        return [client.get("/emails").status_code for _ in range(10)]

    statuses = [s for chunk in together(hammer, lettr_server) for s in chunk]
    assert statuses.count(200) == 20 and statuses.count(429) == THREADS * 10 - 20
