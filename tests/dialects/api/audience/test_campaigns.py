"""Campaigns through the official SDK: send (202) to the subscribed recipients of the moment,
merge tags with fallbacks, the unsubscribe link, scheduling on the clock, unscheduling, the state
machine's errors, events with their cursor, stats, and webhook deliveries."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import lettr
import pytest
from support import Receiver

from pytest_lettr import LettrServer
from pytest_lettr.state.campaigns import Campaign

from ..conftest import send_kwargs

HTML = ('<html><body><p>Hi {{first_name}}, your plan is {{plan}}.</p>'
        '<a href="{{unsubscribe_link}}">Unsubscribe</a></body></html>')


@pytest.fixture
def vip(client: lettr.Lettr) -> lettr.AudienceList:
    """VIP: Ada (subscribed, named), Bob (unsubscribed), Cy (bounced), Di (subscribed, no name)."""
    audience = client.audience
    audience.properties.create(name="first_name", type="string", fallback_value="there")
    audience.properties.create(name="plan", type="string")
    vip = audience.lists.create(name="VIP")
    audience.contacts.create(email="ada@example.com", list_id=vip.id, properties={"first_name": "Ada", "plan": "pro"})
    bob = audience.contacts.create(email="bob@example.com", list_id=vip.id)
    audience.contacts.update(bob.id, status="unsubscribed")
    audience.contacts.create(email="cy@example.com", list_id=vip.id)
    audience.contacts.create(email="di@example.com", list_id=vip.id)
    return vip


def _bounce_cy(lettr_server: LettrServer, client: lettr.Lettr) -> None:
    client.emails.send(**send_kwargs(to=["cy@example.com"]))
    lettr_server.simulate(lettr_server.emails[-1].id, "bounced", bounce_type="hard")


def _draft(lettr_server: LettrServer, vip: lettr.AudienceList, **overrides: object) -> Campaign:
    fields: dict[str, object] = {"name": "June news", "subject": "News for {{first_name}}",
                                 "from_email": "news@example.com", "from_name": "Example", "html": HTML,
                                 "list_ids": [vip.id]}
    fields.update(overrides)
    return lettr_server.create_campaign(**fields)  # type: ignore[arg-type]


def _unsubscribe_link(html: str | None) -> str:
    match = re.search(r'href="([^"]+/lettr/unsubscribe/[^"]+)"', html or "")
    assert match, html
    return match.group(1)


def test_send_reaches_only_subscribed_contacts(lettr_server: LettrServer, client: lettr.Lettr,
                                               vip: lettr.AudienceList) -> None:
    _bounce_cy(lettr_server, client)
    assert lettr_server.audience.contact("cy@example.com").status == "bounced"
    campaign = _draft(lettr_server, vip)
    accepted = client.campaigns.send(campaign.id)
    assert accepted is not None and (accepted.status, accepted.total_recipients) == ("preparing", None)
    mails = [e for e in lettr_server.emails if e.extra.get("campaign_id") == campaign.id]
    assert [e.to for e in mails] == [["ada@example.com"], ["di@example.com"]]  # in the outbox when send returns
    ada, di = mails
    assert (ada.subject, di.subject) == ("News for Ada", "News for there")
    assert "Hi Ada, your plan is pro." in (ada.html or "") and "Hi there, your plan is ." in (di.html or "")
    assert _unsubscribe_link(ada.html) != _unsubscribe_link(di.html)
    shown = client.campaigns.get(campaign.id)
    assert (shown.status, shown.total_recipients, shown.sent_count, shown.stats.injections) == ("sent", 2, 2, 2)
    assert shown.html_content == HTML and shown.sent_at is not None
    assert [c.id for c in client.campaigns.list(status="sent").campaigns] == [campaign.id]


def test_the_unsubscribe_link_unsubscribes(lettr_server: LettrServer, client: lettr.Lettr,
                                           vip: lettr.AudienceList) -> None:
    campaign = _draft(lettr_server, vip)
    client.campaigns.send(campaign.id)
    ada_email = next(e for e in lettr_server.emails if e.to == ["ada@example.com"])
    page = httpx.get(_unsubscribe_link(ada_email.html))
    assert page.status_code == 200 and "unsubscribed" in page.text
    assert httpx.get(_unsubscribe_link(ada_email.html)).status_code == 200  # twice: still one unsubscribe
    assert lettr_server.audience.contact("ada@example.com").status == "unsubscribed"
    stats = client.campaigns.get(campaign.id).stats
    assert (stats.unsubscribes, stats.deliveries) == (1, 1)
    unsubscribes = client.campaigns.list_events(campaign.id, event_type="list_unsubscribe")
    assert [(e.email, e.event_type) for e in unsubscribes.events] == [("ada@example.com", "list_unsubscribe")]
    assert httpx.get(lettr_server.url + "/lettr/unsubscribe/unknown").status_code == 404
    assert ada_email.headers["List-Unsubscribe"] == f"<{_unsubscribe_link(ada_email.html)}>"
    token = _unsubscribe_link(ada_email.html).rsplit("/", 1)[1]
    assert token not in repr(lettr_server.campaigns.unsubscribes)  # kept as a digest


def test_an_unsubscribe_link_with_a_redirect_and_the_default_footer(lettr_server: LettrServer, client: lettr.Lettr,
                                                                    vip: lettr.AudienceList) -> None:
    with_redirect = _draft(lettr_server, vip, html='<a href="{{unsubscribe_link:redirect=https://example.com/bye}}">'
                                                   "Leave</a>")
    client.campaigns.send(with_redirect.id)
    link = _unsubscribe_link(lettr_server.emails[-1].html)
    opened = httpx.get(link)
    assert (opened.status_code, opened.headers["Location"]) == (302, "https://example.com/bye")
    bare = _draft(lettr_server, vip, name="No footer", html="<html><body><p>Hello</p></body></html>")
    client.campaigns.send(bare.id)
    html = lettr_server.emails[-1].html or ""
    assert html.endswith("Unsubscribe</a></p></body></html>") and "/lettr/unsubscribe/" in html


def test_a_scheduled_campaign_goes_out_when_the_clock_passes(lettr_server: LettrServer, client: lettr.Lettr,
                                                             vip: lettr.AudienceList) -> None:
    lettr_server.clock.freeze()
    campaign = _draft(lettr_server, vip)
    at = lettr_server.clock.now() + timedelta(days=3)
    scheduled = client.campaigns.schedule(campaign.id, scheduled_at=at)
    assert scheduled is not None and scheduled.status == "scheduled"
    client.audience.contacts.create(email="eve@example.com", list_id=vip.id)  # joins before the send
    lettr_server.clock.advance(days=2, hours=23, minutes=59)
    assert client.campaigns.get(campaign.id).status == "scheduled" and len(lettr_server.emails) == 0
    lettr_server.clock.advance(minutes=1)  # now at scheduled_at: this step dispatches it
    assert lettr_server.campaigns.get(campaign.id).status == "sent"
    recipients = sorted(e.to[0] for e in lettr_server.emails if e.extra.get("campaign_id") == campaign.id)
    assert recipients == ["ada@example.com", "cy@example.com", "di@example.com", "eve@example.com"]


def test_not_before_its_time(lettr_server: LettrServer, client: lettr.Lettr, vip: lettr.AudienceList) -> None:
    lettr_server.clock.freeze()
    campaign = _draft(lettr_server, vip)
    client.campaigns.schedule(campaign.id, scheduled_at=(lettr_server.clock.now() + timedelta(hours=1)).isoformat())
    lettr_server.clock.advance(minutes=59)
    assert client.campaigns.get(campaign.id).status == "scheduled" and len(lettr_server.emails) == 0
    rescheduled = client.campaigns.schedule(campaign.id, scheduled_at=lettr_server.clock.now() + timedelta(days=1))
    assert rescheduled is not None and rescheduled.scheduled_at is not None
    lettr_server.clock.advance(minutes=5)
    assert len(lettr_server.emails) == 0
    back = client.campaigns.unschedule(campaign.id)
    assert back is not None and (back.status, back.scheduled_at) == ("draft", None)
    lettr_server.clock.advance(days=2)
    assert len(lettr_server.emails) == 0


def test_state_machine_errors(lettr_server: LettrServer, client: lettr.Lettr, raw: httpx.Client,
                              vip: lettr.AudienceList) -> None:
    campaign = _draft(lettr_server, vip)
    with pytest.raises(lettr.ValidationError, match=r"Only scheduled campaigns can be unscheduled\."):
        client.campaigns.unschedule(campaign.id)
    assert raw.post(f"/campaigns/{campaign.id}/unschedule").json()["error_code"] == "campaign_not_scheduled"
    with pytest.raises(lettr.ValidationError) as past:
        client.campaigns.schedule(campaign.id, scheduled_at="2001-01-01T00:00:00Z")
    assert list(past.value.errors) == ["scheduled_at"]
    with pytest.raises(lettr.ValidationError) as garbage:
        client.campaigns.schedule(campaign.id, scheduled_at="next monday")
    assert list(garbage.value.errors) == ["scheduled_at"]
    client.campaigns.send(campaign.id)
    with pytest.raises(lettr.ValidationError, match=r"Campaign can only be sent from draft status\."):
        client.campaigns.send(campaign.id)
    for path, body in (("send", None), ("schedule", {"scheduled_at": "2999-01-01T00:00:00Z"})):
        refused = raw.post(f"/campaigns/{campaign.id}/{path}", json=body)
        assert (refused.status_code, refused.json()["error_code"]) == (422, "campaign_not_sendable")
    empty = _draft(lettr_server, vip, name="Empty", subject=None)
    with pytest.raises(lettr.ValidationError, match="missing a subject"):
        client.campaigns.send(empty.id)
    with pytest.raises(lettr.NotFoundError, match=r"Campaign not found\.") as missing:
        client.campaigns.get("0b139e3f-7bc3-40e7-a324-a881cee804f1")
    assert missing.value.error_code == "not_found"
    assert [c.status for c in lettr_server.campaigns] == ["sent", "draft"]


def test_a_campaign_with_no_subscribed_recipient_fails(lettr_server: LettrServer, client: lettr.Lettr) -> None:
    empty = client.audience.lists.create(name="Empty")
    campaign = lettr_server.create_campaign(name="Nobody", subject="Hi", from_email="a@example.com", html="<p>x</p>",
                                            list_ids=[empty.id])
    client.campaigns.send(campaign.id)
    shown = client.campaigns.get(campaign.id)
    assert (shown.status, shown.total_recipients, shown.sent_count) == ("failed", 0, 0)


def test_segments_and_lists_are_unioned_each_contact_once(lettr_server: LettrServer, client: lettr.Lettr,
                                                           vip: lettr.AudienceList) -> None:
    client.audience.contacts.create(email="zed@other.example")
    others = client.audience.segments.create(name="Others", conditions={"groups": [{"conditions": [
        {"field": "email", "operator": "ends_with", "value": "example"}]}]})
    ada_segment = client.audience.segments.create(name="Ada", conditions={"groups": [{"conditions": [
        {"field": "email", "operator": "starts_with", "value": "ada"}]}]})
    campaign = _draft(lettr_server, vip, segment_ids=[others.id, ada_segment.id])
    client.campaigns.send(campaign.id)
    assert sorted(e.to[0] for e in lettr_server.emails) == ["ada@example.com", "cy@example.com", "di@example.com",
                                                            "zed@other.example"]


def test_events_cursor_and_filters(lettr_server: LettrServer, client: lettr.Lettr, vip: lettr.AudienceList) -> None:
    campaign = _draft(lettr_server, vip)
    client.campaigns.send(campaign.id)
    ada, cy, _ = (e for e in lettr_server.emails)
    lettr_server.simulate(ada.id, "delivered")
    lettr_server.simulate(ada.id, "opened")
    lettr_server.simulate(ada.id, "opened")
    lettr_server.simulate(ada.id, "clicked", url="https://example.com/offer")
    lettr_server.simulate(cy.id, "bounced", bounce_type="hard")
    seen, cursor = [], None
    while True:
        page = client.campaigns.list_events(campaign.id, limit=3, cursor=cursor)
        seen.extend(page.events)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert len(seen) == 8 and len({e.event_id for e in seen}) == 8
    assert [e.event_type for e in seen][:2] == ["bounce", "click"]  # newest first
    click = seen[1]
    assert (click.email, click.target_link_url) == ("ada@example.com", "https://example.com/offer")
    assert seen[0].bounce_class == "10"
    filtered = client.campaigns.list_events(campaign.id, event_type="open", limit=2)
    assert filtered.events == [] and filtered.next_cursor is not None  # a window with no opens
    opens = client.campaigns.list_events(campaign.id, event_type="open", email="ADA@example.com")
    assert [e.event_type for e in opens.events] == ["open", "open"]
    today = lettr_server.clock.now().date().isoformat()
    assert len(client.campaigns.list_events(campaign.id, start_date=today, end_date=today).events) == 8
    assert client.campaigns.list_events(campaign.id, end_date="2001-01-01").events == []
    stats = client.campaigns.get(campaign.id).stats
    assert (stats.injections, stats.deliveries, stats.opens, stats.unique_opens, stats.clicks, stats.unique_clicks,
            stats.bounces) == (3, 1, 2, 1, 1, 1, 1)
    with pytest.raises(lettr.ValidationError) as bad:
        client.campaigns.list_events(campaign.id, event_type="sneeze", cursor="%%%", limit=0)
    assert sorted(bad.value.errors) == ["cursor", "event_type", "limit"]


def test_campaign_events_reach_webhooks(lettr_server: LettrServer, client: lettr.Lettr,
                                        vip: lettr.AudienceList) -> None:
    with Receiver() as receiver:
        client.webhooks.create(name="All", url=receiver.url + "/hooks", auth_type="none", events_mode="all")
        campaign = _draft(lettr_server, vip)
        client.campaigns.send(campaign.id)
        ada = next(e for e in lettr_server.emails if e.to == ["ada@example.com"])
        httpx.get(_unsubscribe_link(ada.html))
        events = [next(iter(r.json()[0]["msys"].values())) for r in receiver.requests]
        kinds = [(event["type"], event["rcpt_to"]) for event in events]
        assert {event["campaign_id"] for event in events} == {campaign.id}  # the tag is the campaign
    assert kinds == [("injection", "ada@example.com"), ("injection", "cy@example.com"),
                     ("injection", "di@example.com"), ("delivery", "ada@example.com"),
                     ("link_unsubscribe", "ada@example.com")]


def test_list_pagination(lettr_server: LettrServer, client: lettr.Lettr, vip: lettr.AudienceList) -> None:
    for n in range(3):
        _draft(lettr_server, vip, name=f"c{n}")
    page = client.campaigns.list(per_page=2, page=2)
    assert ([c.name for c in page.campaigns], page.total, page.last_page, page.per_page) == (["c2"], 3, 2, 2)
    assert client.campaigns.list().per_page == 20
    with pytest.raises(lettr.ValidationError) as bad:
        client.campaigns.list(status="archived", page=10001)
    assert sorted(bad.value.errors) == ["page", "status"]
    assert [c.name for c in lettr_server.campaigns] == ["c0", "c1", "c2"]


def test_a_template_default_applies_when_a_contact_has_no_value(lettr_server: LettrServer, client: lettr.Lettr) -> None:
    client.audience.properties.create(name="nickname", type="string")
    client.audience.contacts.create(email="ada@example.com")
    campaign = lettr_server.create_campaign(name="n", subject="Hi {{ nickname or 'friend' }}",
                                            from_email="news@example.com", html="<p>x</p>", all_contacts=True)
    client.campaigns.send(campaign.id)
    assert lettr_server.emails[-1].subject == "Hi friend"


def test_campaign_emails_are_ordinary_emails_of_the_api(lettr_server: LettrServer, client: lettr.Lettr,
                                                        vip: lettr.AudienceList) -> None:
    campaign = _draft(lettr_server, vip)
    client.campaigns.send(campaign.id)
    listed = client.emails.list()
    assert sorted(e.rcpt_to or "" for e in listed.results) == ["ada@example.com", "cy@example.com", "di@example.com"]
    first = lettr_server.campaigns.emails_of(campaign)[0]
    assert first.request_id is not None
    detail = client.emails.get(first.request_id)
    assert detail.subject == "News for Ada" and detail.from_name == "Example"
