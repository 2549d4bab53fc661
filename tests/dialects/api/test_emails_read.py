"""Listing emails (cursor pages), one email with its events, and the events list."""

from __future__ import annotations

import httpx
import lettr
import pytest

from pytest_lettr import LettrServer

from .conftest import send_kwargs


def send_many(client: lettr.Lettr, count: int) -> list[str]:
    return [client.emails.send(**send_kwargs(to=[f"user{i}@example.com"], subject=f"Mail {i}")).request_id
            for i in range(count)]


def test_list_pages_through_every_email_newest_first(client: lettr.Lettr) -> None:
    ids = send_many(client, 5)
    seen: list[str | None] = []
    page = client.emails.list(per_page=2)
    assert page.total_count == 5 and page.per_page == 2
    while True:
        seen.extend(item.request_id for item in page.results)
        if page.next_cursor is None:
            break
        page = client.emails.list(per_page=2, cursor=page.next_cursor)
    assert seen == list(reversed(ids))


@pytest.mark.lettr(domains=["shop.example"])
def test_list_items_describe_the_injection(client: lettr.Lettr) -> None:
    sent = client.emails.send(**send_kwargs(from_email="app@shop.example", to=["ada@gmail.com"],
                                            metadata={"user": "7"}))
    (item,) = client.emails.list().results
    assert (item.type, item.request_id, item.rcpt_to) == ("injection", sent.request_id, "ada@gmail.com")
    assert (item.sending_domain, item.recipient_domain, item.mailbox_provider) == ("shop.example", "gmail.com",
                                                                                  "Gmail")
    assert item.rcpt_meta == {"user": "7"} and item.subject == "Hello"


def test_list_filters_by_recipient_and_dates(lettr_server: LettrServer, client: lettr.Lettr) -> None:
    send_many(client, 3)
    assert [r.rcpt_to for r in client.emails.list(recipients="user1@example.com").results] == ["user1@example.com"]
    lettr_server.clock.advance(days=11)
    client.emails.send(**send_kwargs(subject="Recent"))
    recent = client.emails.list()
    assert [r.subject for r in recent.results] == ["Recent"]
    older = client.emails.list(from_date="2000-01-01")
    assert older.total_count == 4


def test_list_validation(client: lettr.Lettr) -> None:
    with pytest.raises(lettr.ValidationError) as caught:
        client.emails.list(per_page=101, from_date="yesterday")
    assert set(caught.value.errors) == {"per_page", "from"}
    with pytest.raises(lettr.ValidationError) as caught:
        client.emails.list(cursor="!!!")
    assert list(caught.value.errors) == ["cursor"]


def test_get_returns_the_email_with_its_events(lettr_server: LettrServer, client: lettr.Lettr) -> None:
    sent = client.emails.send(**send_kwargs(from_name="Shop", to=["ada@example.com", "bob@example.com"]))
    email = lettr_server.emails[-1]
    lettr_server.clock.advance(seconds=5)
    lettr_server.account.emit("email.delivered", email, {"email_id": email.id, "to": "ada@example.com"})
    lettr_server.clock.advance(seconds=5)
    lettr_server.account.emit("email.clicked", email, {"email_id": email.id, "to": "ada@example.com",
                                                       "url": "https://shop.example/track", "user_agent": "UA"})
    detail = client.emails.get(sent.request_id)
    assert (detail.transmission_id, detail.state, detail.from_email, detail.from_name) == (
        sent.request_id, "delivered", "app@example.com", "Shop")
    assert detail.recipients == ["ada@example.com", "bob@example.com"] and detail.num_recipients == 2
    assert [e.type for e in detail.events] == ["click", "delivery", "injection"]
    assert detail.events[0].target_link_url == "https://shop.example/track"
    assert detail.events[1].outbound_tls == "1"


def test_bounced_email_state(lettr_server: LettrServer, client: lettr.Lettr) -> None:
    sent = client.emails.send(**send_kwargs())
    email = lettr_server.emails[-1]
    email.status = "bounced"
    lettr_server.account.emit("email.bounced", email, {"email_id": email.id, "to": "ada@example.com",
                                                       "bounce_type": "hard", "bounce_category": "invalid_recipient",
                                                       "message": "550 5.1.1 unknown user"})
    detail = client.emails.get(sent.request_id)
    assert detail.state == "bounced"
    bounce = detail.events[0]
    assert (bounce.type, bounce.bounce_class, bounce.error_code) == ("bounce", 10, "550")


def test_get_unknown_email_is_not_found(client: lettr.Lettr) -> None:
    with pytest.raises(lettr.NotFoundError) as caught:
        client.emails.get("12345678901234567890")
    assert caught.value.error_code == "not_found"


def test_v1_emails_are_readable_by_their_id(lettr_server: LettrServer, client: lettr.Lettr) -> None:
    response = httpx.post(lettr_server.v1_url + "/emails",
                          headers={"Authorization": f"Bearer {lettr_server.admin_key}"},
                          json={"from": "a@example.com", "to": "b@example.com", "subject": "v1", "text": "x"})
    email_id = response.json()["id"]
    detail = client.emails.get(email_id)
    # One send operation under every intake: a v1 email has a request id like any other.
    assert (detail.transmission_id, detail.subject) == (lettr_server.emails[-1].request_id, "v1")


def test_events_list_filters_and_pages(lettr_server: LettrServer, client: lettr.Lettr) -> None:
    ids = send_many(client, 3)
    for email in list(lettr_server.emails):
        lettr_server.account.emit("email.delivered", email, {"email_id": email.id, "to": email.to[0]})
    everything = client.emails.list_events()
    assert everything.total_count == 6
    assert [e.type for e in everything.results][:3] == ["delivery"] * 3
    deliveries = client.emails.list_events(events=["delivery"], per_page=2)
    assert deliveries.total_count == 3 and len(deliveries.results) == 2 and deliveries.next_cursor
    rest = client.emails.list_events(events=["delivery"], per_page=2, cursor=deliveries.next_cursor)
    assert len(rest.results) == 1 and rest.next_cursor is None
    assert {e.request_id for e in deliveries.results + rest.results} == set(ids)
    only_user1 = client.emails.list_events(recipients=["user1@example.com"])
    assert {e.rcpt_to for e in only_user1.results} == {"user1@example.com"} and only_user1.total_count == 2
    one_transmission = client.emails.list_events(transmissions=ids[0])
    assert {e.request_id for e in one_transmission.results} == {ids[0]}


def test_events_list_rejects_unknown_types(client: lettr.Lettr) -> None:
    with pytest.raises(lettr.ValidationError) as caught:
        client.emails.list_events(events=["delivery", "teleport"])
    assert list(caught.value.errors) == ["events"]


def test_simulated_lifecycle_shows_as_api_events_and_in_stats(lettr_server: LettrServer,
                                                              client: lettr.Lettr) -> None:
    lettr_server.clock.freeze()  # stats count by UTC day
    opened = client.emails.send(**send_kwargs(to=["ada@example.com"]))
    bounced = client.emails.send(**send_kwargs(to=["bob@example.com"]))
    first, second = lettr_server.emails
    lettr_server.simulate(first.id, "delivered")
    lettr_server.simulate(first.id, "opened")
    lettr_server.simulate(first.id, "clicked", url="https://shop.example/verify")
    lettr_server.simulate(second.id, "bounced", bounce_type="soft")
    assert [e.type for e in client.emails.get(opened.request_id).events] == ["click", "initial_open",
                                                                             "delivery", "injection"]
    detail = client.emails.get(bounced.request_id)
    assert detail.state == "bounced" and detail.events[0].bounce_class in (20, 21, 22, 51)
    clicks = client.emails.list_events(events=["click"]).results
    assert [c.target_link_url for c in clicks] == ["https://shop.example/verify"]
    stats = lettr_server.stats("today")
    assert (stats.sent, stats.delivered, stats.bounced, stats.opened, stats.clicked) == (2, 1, 1, 1, 1)
