"""The email page's link check reads what the tracking step delivered: a link kept with
``data-msys-clicktrack="0"`` (or any link, with click tracking off) is shown as not tracked."""

from __future__ import annotations

import httpx
import lettr

from pytest_lettr import LettrServer

HTML = ('<a href="https://app.example.com/go">Go</a> '
        '<a href="https://app.example.com/raw" data-msys-clicktrack="0">Raw</a>')


def test_the_link_check_follows_the_delivered_html(lettr_server: LettrServer, client: lettr.Lettr,
                                                    inbox: httpx.Client) -> None:
    client.emails.send(from_email="app@example.com", to=["ada@example.com"], subject="Links", html=HTML)
    client.emails.send(from_email="app@example.com", to=["ada@example.com"], subject="Off", html=HTML,
                       options=lettr.EmailOptions(click_tracking=False))
    tracked, off = lettr_server.emails
    page = inbox.get(f"/emails/{tracked.id}").text
    assert "“Go” — rewritten for click tracking" in page and "“Raw” — not tracked" in page
    page = inbox.get(f"/emails/{off.id}").text
    assert "“Go” — not tracked" in page and "rewritten" not in page
