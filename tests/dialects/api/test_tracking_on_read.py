"""The delivered HTML is made when it is first read: its tracking links do not depend on which
email is read first, are minted once however many threads read at once, and follow through."""

from __future__ import annotations

import threading

import httpx

from pytest_lettr import LettrServer

HTML = '<p><a href="https://app.example.com/a">A</a> <a href="https://app.example.com/b">B</a></p>'


def _send_two(server: LettrServer) -> None:
    with httpx.Client(base_url=server.api_url, headers={"Authorization": f"Bearer {server.admin_key}"}) as client:
        for subject in ("first", "second"):
            client.post("/emails", json={"from": "app@example.com", "to": ["ada@example.com"],
                                         "subject": subject, "html": HTML}).raise_for_status()


def test_links_are_the_same_whichever_email_is_read_first() -> None:
    with LettrServer(seed="order") as one, LettrServer(seed="order") as other:
        _send_two(one)
        _send_two(other)
        assert len(one.account.tracking) == 0  # nothing minted by the sends
        forwards = [(e.delivered_html or "").replace(one.url, "") for e in (one.emails[0], one.emails[1])]
        backwards = [(e.delivered_html or "").replace(other.url, "") for e in (other.emails[1], other.emails[0])]
        assert forwards == backwards[::-1]
        assert all(html and "/lettr/t/c/" in html for html in forwards)
        assert forwards[0] != forwards[1]  # each email has tokens of its own


def test_concurrent_readers_see_one_rendering(lettr_server: LettrServer) -> None:
    _send_two(lettr_server)
    email = lettr_server.emails[0]
    seen: list[str | None] = []
    readers = [threading.Thread(target=lambda: seen.append(email.delivered_html)) for _ in range(8)]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join()
    assert len(set(seen)) == 1
    assert len(lettr_server.account.tracking) == 3  # two links and the pixel, minted once


def test_a_link_made_on_read_records_the_click(lettr_server: LettrServer) -> None:
    _send_two(lettr_server)
    email = lettr_server.emails[-1]
    html = email.delivered_html or ""
    start = html.index(lettr_server.url + "/lettr/t/c/")
    link = html[start:html.index('"', start)]
    answer = httpx.get(link, follow_redirects=False)
    assert answer.status_code == 302 and answer.headers["Location"] == "https://app.example.com/a"
    assert email.clicks == 1
