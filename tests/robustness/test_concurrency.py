"""Concurrency: many threads, many keys, one account; nothing lost, doubled or let through."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx

from pytest_lettr import LettrServer

from .conftest import client_for

THREADS = 8
SENDS = 250


def _email(thread: int, n: int) -> dict[str, object]:
    return {"from": "shop@example.com", "to": [f"user{thread}@example.com"], "subject": f"#{thread}-{n}",
            "text": "Hello", "metadata": {"thread": thread, "n": n}}


def test_eight_threads_of_250_sends_with_their_own_keys(lettr_server: LettrServer) -> None:
    barrier = threading.Barrier(THREADS)

    def create_key(thread: int) -> str:
        with client_for(lettr_server) as admin:
            barrier.wait()
            response = admin.post("/api-keys", json={"name": f"worker {thread}",
                                                     "permissions": ["emails:send", "emails:read"]})
            assert response.status_code == 201, response.text
            return str(response.json()["key"])

    def send_all(thread: int, key: str) -> list[str]:
        ids = []
        with client_for(lettr_server, key) as client:
            barrier.wait()
            for n in range(SENDS):
                response = client.post("/emails", json=_email(thread, n))
                assert response.status_code == 200, response.text
                ids.append(response.json()["id"])
        return ids

    with ThreadPoolExecutor(THREADS) as pool:
        keys = list(pool.map(create_key, range(THREADS)))
        results = list(pool.map(send_all, range(THREADS), keys))

    sent = [email_id for ids in results for email_id in ids]
    assert len(sent) == THREADS * SENDS == len(set(sent))
    stored = list(lettr_server.emails)
    assert len(stored) == THREADS * SENDS
    assert {e.id for e in stored} == set(sent)
    # each key sent exactly its own 250, in its own order
    key_ids = {lettr_server.account.keys.authenticate(k).id for k in keys}
    assert Counter(e.api_key_id for e in stored) == dict.fromkeys(key_ids, SENDS)
    for thread in range(THREADS):
        mine = [e for e in stored if e.metadata["thread"] == thread]
        assert [e.metadata["n"] for e in mine] == list(range(SENDS))
    with client_for(lettr_server) as admin:
        page = admin.get("/emails", params={"limit": "100"}).json()
        assert page["totalCount"] == THREADS * SENDS and page["hasMore"] is True
        assert admin.get("/emails", params={"to": "user3@example.com"}).json()["totalCount"] == SENDS
        # walk every page: each email exactly once
        seen, after = [], None
        while True:
            params = {"limit": "100", **({"starting_after": after} if after else {})}
            body = admin.get("/emails", params=params).json()
            seen += [item["id"] for item in body["data"]]
            if not body["hasMore"]:
                break
            after = body["data"][-1]["id"]
        assert sorted(seen) == sorted(sent)
    # the audit log and the event log agree with what happened
    audit = lettr_server.audit_log
    assert len({entry.id for entry in audit}) == len(audit)
    created = [entry for entry in audit if entry.action == "api_key.created"]
    assert sorted(entry.resource_id or "" for entry in created) == sorted(key_ids)
    assert not [entry for entry in audit if entry.action.startswith("auth.")]
    sent_events = [event for event in lettr_server.account.events if event.type == "email.sent"]
    assert Counter(event.email_id for event in sent_events) == dict.fromkeys(sent, 1)
    assert len({event.id for event in lettr_server.account.events}) == len(lettr_server.account.events)
    assert lettr_server.permissions_used(next(iter(key_ids))) == {"emails:send"}


class DeletionRace:
    """Workers sending with one key while the admin deletes it; every outcome is time-stamped."""

    def __init__(self, server: LettrServer, workers: int, name: str) -> None:
        self.server = server
        self.created = server.create_key(name, ["emails:send"])
        self.deleted_at: float | None = None
        self.outcomes: list[tuple[float, int]] = []
        self.lock = threading.Lock()
        self.started = threading.Barrier(workers + 1)
        self.threads = [threading.Thread(target=self.hammer, args=(w,)) for w in range(workers)]

    def hammer(self, worker: int) -> None:
        with client_for(self.server, self.created.key) as client:
            self.started.wait()
            for n in range(400):
                sent_at = time.monotonic()
                status = client.post("/emails", json=_email(worker, n)).status_code
                with self.lock:
                    self.outcomes.append((sent_at, status))
                deleted_at = self.deleted_at
                if status == 401 and deleted_at is not None and sent_at > deleted_at:
                    return

    def run(self, delay: float) -> httpx.Response:
        for thread in self.threads:
            thread.start()
        with client_for(self.server) as admin:
            self.started.wait()
            time.sleep(delay)  # delete at different points of the stream
            response = admin.delete(f"/api-keys/{self.created.id}")
            self.deleted_at = time.monotonic()
        for thread in self.threads:
            thread.join()
        return response


def test_a_deleted_key_is_never_let_through_after_the_deletion_returned(lettr_server: LettrServer) -> None:
    for round_ in range(15):
        race = DeletionRace(lettr_server, 4, f"doomed {round_}")
        response = race.run(0.002 * (round_ % 5))
        assert response.status_code == 200, response.text
        assert race.deleted_at is not None
        after = [status for sent_at, status in race.outcomes if sent_at > race.deleted_at]
        assert after and set(after) == {401}, Counter(after)
        assert {status for _, status in race.outcomes} <= {200, 401}
        accepted = sum(status == 200 for _, status in race.outcomes)
        assert sum(e.api_key_id == race.created.id for e in lettr_server.emails) == accepted
    assert not lettr_server.handler_errors


def test_one_idempotency_key_from_many_threads_sends_once(lettr_server: LettrServer) -> None:
    barrier = threading.Barrier(THREADS)

    def attempt(_: int) -> httpx.Response:
        with client_for(lettr_server, headers={"Idempotency-Key": "order-1042"}) as client:
            barrier.wait()
            return client.post("/emails", json=_email(0, 0))

    with ThreadPoolExecutor(THREADS) as pool:
        responses = list(pool.map(attempt, range(THREADS)))
    assert len(lettr_server.emails) == 1
    ok = [r for r in responses if r.status_code == 200]
    assert ok and {r.json()["id"] for r in ok} == {lettr_server.emails[0].id}
    others = [r for r in responses if r.status_code != 200]
    assert all(r.status_code == 409 and r.json()["error"]["code"] == "idempotency_in_progress" for r in others)


class _Window:
    """Holds a key-store operation at its start until another thread has changed a key.

    The v1 handler checks the caller's reach and then calls the store: an operation held here runs
    after the change, so only a check made inside the operation (under the store's lock) sees it.
    """

    def __init__(self, server: LettrServer, operation: str) -> None:
        self.store = server.account.keys
        self.entered, self.changed = threading.Event(), threading.Event()
        original = getattr(self.store, operation)

        def held(*args: object, **kwargs: object) -> object:
            self.entered.set()
            assert self.changed.wait(10), "the other thread never changed the key"
            return original(*args, **kwargs)

        setattr(self.store, operation, held)

    def race(self, request: Callable[[], httpx.Response], change: Callable[[], object]) -> httpx.Response:
        """Run ``request()`` in a thread; once it is inside the operation, run ``change()``."""
        result: list[httpx.Response] = []
        thread = threading.Thread(target=lambda: result.append(request()))
        thread.start()
        assert self.entered.wait(10), "the request never reached the key store"
        change()
        self.changed.set()
        thread.join(10)
        return result[0]


def test_a_rotation_racing_an_escalation_of_its_target_hands_out_no_wider_key(lettr_server: LettrServer) -> None:
    manager = lettr_server.create_key("manager", ["api-keys:*", "emails:send"])
    target = lettr_server.create_key("target", ["emails:send"])
    window = _Window(lettr_server, "rotate")
    with client_for(lettr_server, manager.key) as caller, client_for(lettr_server) as admin:
        response = window.race(
            lambda: caller.post(f"/api-keys/{target.id}/rotate"),
            lambda: admin.patch(f"/api-keys/{target.id}", json={"permissions": ["*"]}).raise_for_status())
    assert response.status_code == 403, response.text
    assert response.json()["error"]["param"] == "permissions"
    assert [k.name for k in lettr_server.account.keys.active()] == ["Admin key", "manager", "target"]
    assert not lettr_server.handler_errors


def test_an_update_racing_a_narrowing_of_its_caller_grants_nothing_the_caller_lost(
        lettr_server: LettrServer) -> None:
    manager = lettr_server.create_key("manager", ["api-keys:*", "emails:*"])
    target = lettr_server.create_key("target", ["emails:send"])
    window = _Window(lettr_server, "update")
    with client_for(lettr_server, manager.key) as caller:
        response = window.race(
            lambda: caller.patch(f"/api-keys/{target.id}", json={"permissions": ["emails:send", "emails:read"]}),
            lambda: _narrow(lettr_server, manager.id))
    assert response.status_code == 403, response.text
    assert lettr_server.account.keys.get(target.id).permissions == ["emails:send"]
    assert not lettr_server.handler_errors


def _narrow(server: LettrServer, key_id: str) -> None:
    """What an admin's PATCH does, straight on the store (the held ``update`` would hold it too)."""
    key = server.account.keys.get(key_id)
    with server.account.keys._lock:
        key.permissions = ["api-keys:*", "emails:send"]
