"""Tracking on ``/v1``: its ``tracking`` object decides the delivered HTML as ``/api``'s options do,
and the v1 email keeps showing the HTML as the app sent it."""

from __future__ import annotations

import httpx

from pytest_lettr import LettrServer

from . import V1, email

HTML = '<p><a href="https://app.example.com/a">A</a></p>'


def test_v1_tracking_object_decides_the_delivered_html(v1: V1, lettr_server: LettrServer) -> None:
    tracked = v1().post("/emails", json=email(html=HTML)).json()
    untracked = v1().post("/emails", json=email(html=HTML, tracking={"opens": False, "clicks": False})).json()
    on, off = lettr_server.emails
    assert on.delivered_html is not None and "/lettr/t/c/" in on.delivered_html and "/lettr/t/o/" in on.delivered_html
    assert off.delivered_html == HTML
    assert v1().get(f"/emails/{tracked['id']}").json()["html"] == HTML  # the wire shows what was sent
    assert untracked["html"] == HTML
    link = on.delivered_html.split('href="')[1].split('"')[0]
    assert httpx.get(link).headers["location"] == "https://app.example.com/a"
    assert v1().get(f"/emails/{tracked['id']}").json()["clicks"] == 1
