"""Tracking as a recipient meets it: an email sent with the official SDK is delivered with an open
pixel and links through the fake; following them (plain ``httpx``, redirects not followed) records
opens, clicks and unsubscribes, which webhooks receive and the events API lists."""

from __future__ import annotations

from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

import httpx
import lettr
import pytest
from support import Receiver

from pytest_lettr import LettrServer
from pytest_lettr.state.emails import Email

from .conftest import send_kwargs

HTML = ('<html><body><p>Hi <a href="https://app.example.com/verify?u=1&amp;t=2" class="cta">Verify</a></p>'
        '<a href="javascript:alert(1)">js</a> <a href="mailto:help@example.com">mail</a> <a href="#top">top</a>'
        ' <a href="https://app.example.com/raw" data-msys-clicktrack="0">raw</a>'
        ' <a href="https://app.example.com/unsubscribe?u=1" data-msys-unsubscribe="1">Unsubscribe</a>'
        '</body></html>')


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.images: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.hrefs.append(dict(attrs).get("href") or "")
        if tag == "img":
            self.images.append(dict(attrs))


def parsed(html: str | None) -> _Links:
    links = _Links()
    links.feed(html or "")
    return links


def send(lettr_server: LettrServer, client: lettr.Lettr, **overrides: Any) -> Email:
    client.emails.send(**send_kwargs(html=HTML, metadata={"userId": "u_1"}, **overrides))
    return lettr_server.emails[-1]


def pixel_of(email: Email) -> str:
    (image,) = parsed(email.delivered_html).images
    return str(image["src"])


@pytest.fixture
def receiver(client: lettr.Lettr) -> Iterator[Receiver]:
    with Receiver() as running:
        client.webhooks.create(name="All", url=running.url + "/hooks", auth_type="none", events_mode="all")
        yield running


def received_types(receiver: Receiver) -> list[str]:
    return [next(iter(r.json()[0]["msys"].values()))["type"] for r in receiver.requests]


def test_the_delivered_html_tracks_and_the_sent_html_is_kept(lettr_server: LettrServer, client: lettr.Lettr) -> None:
    email = send(lettr_server, client)
    assert email.html == HTML
    hrefs = parsed(email.delivered_html).hrefs
    base = lettr_server.url
    assert hrefs[0].startswith(f"{base}/lettr/t/c/") and len(hrefs[0].rsplit("/", 1)[1]) == 40
    assert hrefs[1:5] == ["javascript:alert(1)", "mailto:help@example.com", "#top", "https://app.example.com/raw"]
    assert hrefs[5].startswith(f"{base}/lettr/t/c/") and hrefs[5] != hrefs[0]
    assert pixel_of(email).startswith(f"{base}/lettr/t/o/")
    assert email.delivered_html is not None and email.delivered_html.endswith('"></body></html>')
    assert 'class="cta"' in email.delivered_html
    assert email.delivered_headers["List-Unsubscribe"].startswith(f"<{base}/lettr/t/l/")
    assert email.delivered_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "u=1" not in email.delivered_html.split("Verify")[0]  # the original URL is not in the tracked link


def test_tracking_off_delivers_the_html_as_sent(lettr_server: LettrServer, client: lettr.Lettr) -> None:
    email = send(lettr_server, client, options=lettr.EmailOptions(open_tracking=False, click_tracking=False))
    assert email.delivered_html == HTML
    assert "List-Unsubscribe" not in email.delivered_headers
    only_opens = send(lettr_server, client, options=lettr.EmailOptions(click_tracking=False))
    assert parsed(only_opens.delivered_html).hrefs == parsed(HTML).hrefs
    assert "List-Unsubscribe" not in only_opens.delivered_headers  # the unsubscribe needs click tracking
    only_clicks = send(lettr_server, client, options=lettr.EmailOptions(open_tracking=False))
    assert parsed(only_clicks.delivered_html).images == []


def test_the_text_part_is_delivered_as_written(lettr_server: LettrServer, client: lettr.Lettr) -> None:
    email = send(lettr_server, client, text="Verify: https://app.example.com/verify")
    assert email.text == "Verify: https://app.example.com/verify"
    assert "delivered_text" not in email.extra


def test_the_pixel_records_initial_open_then_open(lettr_server: LettrServer, client: lettr.Lettr,
                                                   receiver: Receiver) -> None:
    email = send(lettr_server, client)
    pixel = pixel_of(email)
    first = httpx.get(pixel, headers={"User-Agent": "MailClient/1.0"})
    assert (first.status_code, first.headers["content-type"]) == (200, "image/gif")
    assert first.content.startswith(b"GIF89a\x01\x00\x01\x00") and first.headers["cache-control"].startswith("no-store")
    lettr_server.clock.advance(minutes=1)
    httpx.get(pixel)
    assert (email.opens, email.status) == (2, "delivered")
    assert email.last_opened_at is not None and email.first_opened_at is not None
    assert 60 <= (email.last_opened_at - email.first_opened_at).total_seconds() < 90
    assert received_types(receiver) == ["injection", "delivery", "initial_open", "open"]
    opened = next(iter(receiver.requests[2].json()[0]["msys"].values()))
    assert opened["user_agent"] == "MailClient/1.0" and opened["rcpt_meta"] == {"userId": "u_1"}
    events = [e.type for e in client.emails.list_events().results]
    assert events[:2] == ["open", "initial_open"]


def test_a_click_records_and_redirects_to_the_original_url(lettr_server: LettrServer, client: lettr.Lettr,
                                                           receiver: Receiver) -> None:
    email = send(lettr_server, client)
    link = parsed(email.delivered_html).hrefs[0]
    answer = httpx.get(link, follow_redirects=False)
    assert (answer.status_code, answer.headers["location"]) == (302, "https://app.example.com/verify?u=1&t=2")
    assert email.clicks == 1 and email.extra["clicked_urls"] == ["https://app.example.com/verify?u=1&t=2"]
    assert received_types(receiver) == ["injection", "delivery", "click"]
    clicked = next(iter(receiver.requests[-1].json()[0]["msys"].values()))
    assert clicked["target_link_url"] == "https://app.example.com/verify?u=1&t=2"


def test_a_head_request_from_a_scanner_records_nothing(lettr_server: LettrServer, client: lettr.Lettr) -> None:
    email = send(lettr_server, client)
    link = parsed(email.delivered_html).hrefs[0]
    assert httpx.head(link).status_code == 302
    assert httpx.head(pixel_of(email)).status_code == 200
    assert (email.clicks, email.opens, email.status) == (0, 0, "sent")


def test_an_unsubscribe_link_unsubscribes_and_suppresses(lettr_server: LettrServer, client: lettr.Lettr,
                                                         receiver: Receiver) -> None:
    email = send(lettr_server, client)
    link = parsed(email.delivered_html).hrefs[5]
    answer = httpx.get(link)
    assert (answer.status_code, answer.headers["location"]) == (302, "https://app.example.com/unsubscribe?u=1")
    assert httpx.get(link).status_code == 302  # a second click: still answered, nothing more recorded
    assert received_types(receiver) == ["injection", "delivery", "link_unsubscribe"]
    again = client.emails.send(**send_kwargs())
    assert (again.accepted, again.rejected) == (0, 1)


def test_one_click_list_unsubscribe(lettr_server: LettrServer, client: lettr.Lettr, receiver: Receiver) -> None:
    email = send(lettr_server, client)
    url = email.delivered_headers["List-Unsubscribe"].strip("<>")
    page = httpx.get(url)
    assert page.status_code == 200 and 'value="One-Click"' in page.text
    assert email.status == "sent"  # a GET only asks
    assert httpx.post(url, data={"List-Unsubscribe": "Yes"}).status_code == 400
    done = httpx.post(url, data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and "unsubscribed" in done.text
    assert received_types(receiver) == ["injection", "delivery", "list_unsubscribe"]
    assert "ada@example.com" in lettr_server.account.suppressions


def test_tokens_are_bound_to_their_path_and_account(lettr_server: LettrServer, client: lettr.Lettr) -> None:
    email = send(lettr_server, client)
    click_token = parsed(email.delivered_html).hrefs[0].rsplit("/", 1)[1]
    pixel_token = pixel_of(email).rsplit("/", 1)[1]
    base = lettr_server.url
    assert httpx.get(f"{base}/lettr/t/o/{click_token}").status_code == 404
    assert httpx.get(f"{base}/lettr/t/c/{pixel_token}", follow_redirects=False).status_code == 404
    assert httpx.get(f"{base}/lettr/t/c/{'x' * 40}").status_code == 404
    assert httpx.post(f"{base}/lettr/t/c/{click_token}").status_code == 405
    lettr_server.reset()  # a fresh account knows none of the old account's tokens
    assert httpx.get(f"{base}/lettr/t/c/{click_token}", follow_redirects=False).status_code == 404
    assert email.clicks == 0


def test_a_bounced_email_still_answers_but_records_nothing(lettr_server: LettrServer, client: lettr.Lettr) -> None:
    email = send(lettr_server, client)
    lettr_server.simulate(email.id, "bounce", bounce_type="hard")
    assert httpx.get(pixel_of(email)).status_code == 200
    assert (email.opens, email.status) == (0, "bounced")
