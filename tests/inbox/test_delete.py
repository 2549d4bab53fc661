"""The inbox's Delete and Clear buttons, as plain HTTP form posts: each removes what it says (and
only that), is audited, keeps the account working, and refuses a post without the page's token."""

from __future__ import annotations

from datetime import timedelta

import httpx
import lettr

from pytest_lettr import LettrServer

from .conftest import csrf_token


def send(client: lettr.Lettr, subject: str) -> None:
    client.emails.send(from_email="hello@example.com", to=["ada@example.com"], subject=subject, html="<p>Hi</p>")


def test_delete_one_email(lettr_server: LettrServer, client: lettr.Lettr, inbox: httpx.Client) -> None:
    for subject in ("First", "Second", "Third"):
        send(client, subject)
    second = lettr_server.emails[1]
    page = inbox.get(f"/emails/{second.id}").text
    assert f'action="/emails/{second.id}/delete"' in page
    answer = inbox.post(f"/emails/{second.id}/delete", data={"csrf_token": csrf_token(page)})
    assert (answer.status_code, answer.headers["location"]) == (303, "/")
    assert [e.subject for e in lettr_server.emails] == ["First", "Third"]
    assert inbox.get(f"/emails/{second.id}").status_code == 404
    assert [e.subject for e in lettr_server.account.outbox.by_request(lettr_server.emails[1].request_id or "")] \
        == ["Third"]  # the indexes follow the shift
    assert client.emails.get(lettr_server.emails[1].request_id or "").subject == "Third"
    listed = client.emails.list()
    assert sorted(item.subject for item in listed.results) == ["First", "Third"]  # the indexes are kept
    (entry,) = [e for e in lettr_server.account.audit if e.action == "email.deleted"]
    assert entry.resource_id == second.id
    again = inbox.post(f"/emails/{second.id}/delete", data={"csrf_token": csrf_token(page)})
    assert again.status_code == 404


def test_clear_the_outbox(lettr_server: LettrServer, client: lettr.Lettr, inbox: httpx.Client) -> None:
    send(client, "Now")
    client.emails.schedule(from_email="hello@example.com", to=["ada@example.com"], subject="Later",
                           html="<p>Hi</p>", scheduled_at=lettr_server.clock.now() + timedelta(days=7))
    page = inbox.get("/").text
    assert 'action="/outbox/clear"' in page
    assert inbox.post("/outbox/clear", data={"csrf_token": "forged"}).status_code == 403
    assert len(lettr_server.emails) == 2
    answer = inbox.post("/outbox/clear", data={"csrf_token": csrf_token(page)})
    assert answer.status_code == 303 and len(lettr_server.emails) == 0
    assert "Nothing was sent yet" in inbox.get("/").text
    (entry,) = [e for e in lettr_server.account.audit if e.action == "outbox.cleared"]
    assert entry.metadata == {"deleted": 2}
    lettr_server.clock.advance(days=8)  # the deleted scheduled email does not come back
    send(client, "After")
    assert [e.subject for e in lettr_server.emails] == ["After"]
