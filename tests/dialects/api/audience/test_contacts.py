"""Contacts through the official SDK: create, bulk create (both shapes), list filters, update,
delete, list and topic memberships one by one and in bulk, and status driven by mail."""

from __future__ import annotations

import httpx
import lettr
import pytest
from lettr import BulkContactRow, TopicSubscription

from pytest_lettr import LettrServer

from ..conftest import send_kwargs


@pytest.fixture
def vip(client: lettr.Lettr) -> lettr.AudienceList:
    return client.audience.lists.create(name="VIP")


def test_create_get_update_delete(lettr_server: LettrServer, client: lettr.Lettr, vip: lettr.AudienceList) -> None:
    contacts = client.audience.contacts
    client.audience.properties.create(name="first_name", type="string")
    client.audience.properties.create(name="plan", type="string")
    ada = contacts.create(email=" Ada@Example.com ", list_id=vip.id, properties={"first_name": "Ada", "plan": "pro"})
    assert (ada.email, ada.status, ada.properties) == ("ada@example.com", "subscribed",
                                                        {"first_name": "Ada", "plan": "pro"})
    assert [(item.id, item.name) for item in ada.lists] == [(vip.id, "VIP")]
    assert contacts.get(ada.id).email == "ada@example.com"
    updated = contacts.update(ada.id, email="ada@lovelace.dev", status="unsubscribed",
                              properties={"plan": None, "first_name": "Augusta"})
    assert (updated.email, updated.status, updated.properties) == ("ada@lovelace.dev", "unsubscribed",
                                                                   {"first_name": "Augusta"})
    assert lettr_server.audience.contact("ADA@lovelace.dev").id == ada.id
    contacts.delete(ada.id)
    with pytest.raises(lettr.NotFoundError, match=r"Contact not found\."):
        contacts.get(ada.id)
    assert [e.action for e in lettr_server.audit_log if e.action.startswith("contact.")] == \
        ["contact.created", "contact.updated", "contact.deleted"]


def test_a_taken_address_is_the_sdks_typed_conflict(client: lettr.Lettr) -> None:
    client.audience.contacts.create(email="ada@example.com")
    with pytest.raises(lettr.ContactAlreadyExistsError) as caught:
        client.audience.contacts.create(email="ADA@example.com")
    assert (caught.value.email, caught.value.error_code) == ("ADA@example.com", "resource_already_exists")
    other = client.audience.contacts.create(email="bob@example.com")
    with pytest.raises(lettr.ValidationError) as taken:
        client.audience.contacts.update(other.id, email="ada@example.com")
    assert list(taken.value.errors) == ["email"]
    assert client.audience.contacts.list().total == 2


def test_create_validation(client: lettr.Lettr) -> None:
    contacts = client.audience.contacts
    client.audience.properties.create(name="seats", type="number")
    with pytest.raises(lettr.ValidationError) as bad:
        contacts.create(email="not-an-email", list_id="0b139e3f-7bc3-40e7-a324-a881cee804f1",
                        properties={"seats": "many"})
    assert list(bad.value.errors) == ["email"]
    with pytest.raises(lettr.ValidationError) as refs:
        contacts.create(email="ada@example.com", list_id="0b139e3f-7bc3-40e7-a324-a881cee804f1")
    assert list(refs.value.errors) == ["list_id"]
    with pytest.raises(lettr.ValidationError) as props:
        contacts.create(email="ada@example.com", properties={"seats": "many", "nickname": "A"})
    assert sorted(props.value.errors) == ["properties.nickname", "properties.seats"]
    with pytest.raises(lettr.ValidationError) as status:
        contacts.update(contacts.create(email="ada@example.com").id, status="bounced")
    assert list(status.value.errors) == ["status"]
    assert contacts.list().total == 1


def test_list_filters(client: lettr.Lettr, vip: lettr.AudienceList) -> None:
    contacts = client.audience.contacts
    client.audience.properties.create(name="company", type="string")
    ada = contacts.create(email="ada@example.com", list_id=vip.id, properties={"company": "Analytical"})
    bob = contacts.create(email="bob@example.org")
    contacts.update(bob.id, status="unsubscribed")
    assert [c.email for c in contacts.list(search="example.org").contacts] == ["bob@example.org"]
    assert [c.email for c in contacts.list(search="analytical").contacts] == ["ada@example.com"]
    assert [c.email for c in contacts.list(status="unsubscribed").contacts] == ["bob@example.org"]
    assert [c.id for c in contacts.list(list_id=vip.id).contacts] == [ada.id]
    page = contacts.list(per_page=1, page=2)
    assert ([c.email for c in page.contacts], page.total, page.last_page) == (["bob@example.org"], 2, 2)
    with pytest.raises(lettr.ValidationError) as bad:
        contacts.list(status="asleep", list_id="unknown", per_page=500)
    assert sorted(bad.value.errors) == ["list_id", "per_page", "status"]


def test_list_memberships_one_by_one(raw: httpx.Client, client: lettr.Lettr, vip: lettr.AudienceList) -> None:
    contacts = client.audience.contacts
    ada = contacts.create(email="ada@example.com")
    path = f"/audience/contacts/{ada.id}/lists/{vip.id}"
    assert [raw.post(path).status_code for _ in range(2)] == [201, 200]
    contacts.add_to_list(contact_id=ada.id, list_id=vip.id)  # idempotent through the SDK too
    assert [item.name for item in contacts.get(ada.id).lists] == ["VIP"]
    contacts.remove_from_list(contact_id=ada.id, list_id=vip.id)
    assert raw.delete(path).status_code == 204  # already gone: still 204
    assert contacts.get(ada.id).lists == []
    with pytest.raises(lettr.NotFoundError, match=r"Contact or list not found\."):
        contacts.add_to_list(contact_id=ada.id, list_id="nope")


def test_topic_subscriptions_one_by_one(raw: httpx.Client, client: lettr.Lettr) -> None:
    contacts = client.audience.contacts
    ada = contacts.create(email="ada@example.com")
    news = client.audience.topics.create(name="News")
    path = f"/audience/contacts/{ada.id}/topics/{news.id}"
    assert [raw.post(path).status_code for _ in range(2)] == [201, 200]
    assert client.audience.topics.get(news.id).contacts_count == 1
    contacts.unsubscribe_from_topic(contact_id=ada.id, topic_id=news.id)
    contacts.subscribe_to_topic(contact_id=ada.id, topic_id=news.id)
    assert [t.name for t in contacts.get(ada.id).topics] == ["News"]
    with pytest.raises(lettr.NotFoundError, match=r"Contact or topic not found\."):
        contacts.unsubscribe_from_topic(contact_id="nope", topic_id=news.id)


def test_bulk_memberships(client: lettr.Lettr, vip: lettr.AudienceList) -> None:
    contacts = client.audience.contacts
    beta = client.audience.lists.create(name="Beta")
    news = client.audience.topics.create(name="News")
    ada, bob = contacts.create(email="ada@example.com", list_id=vip.id), contacts.create(email="bob@example.com")
    attached = contacts.bulk_attach_lists(contact_ids=[ada.id, bob.id], list_ids=[vip.id, beta.id])
    assert (attached.attached, attached.already_attached, attached.total_pairs) == (3, 1, 4)
    detached = contacts.bulk_detach_lists(contact_ids=[bob.id], list_ids=[vip.id, beta.id])
    assert (detached.detached, detached.not_present, detached.total_pairs) == (2, 0, 2)
    subscribed = contacts.bulk_subscribe_topics(contact_ids=[ada.id, bob.id], topic_ids=[news.id])
    assert (subscribed.subscribed, subscribed.already_subscribed, subscribed.total_pairs) == (2, 0, 2)
    unsubscribed = contacts.bulk_unsubscribe_topics(contact_ids=[ada.id], topic_ids=[news.id])
    assert (unsubscribed.unsubscribed, unsubscribed.total_pairs) == (1, 1)
    assert [t.name for t in contacts.get(bob.id).topics] == ["News"] and contacts.get(ada.id).topics == []
    with pytest.raises(lettr.ValidationError) as unknown:
        contacts.bulk_attach_lists(contact_ids=[ada.id, "ghost"], list_ids=[vip.id])
    assert list(unknown.value.errors) == ["contact_ids.1"]


def test_bulk_create_with_emails(client: lettr.Lettr, vip: lettr.AudienceList) -> None:
    client.audience.properties.create(name="source", type="string")
    client.audience.contacts.create(email="ada@example.com")
    result = client.audience.contacts.bulk_create(emails=["ada@example.com", "Bob@Example.com", "bob@example.com"],
                                                  list_id=vip.id, properties={"source": "import"})
    assert (result.created, result.already_existed, result.updated, result.has_errors) == (1, 1, 0, False)
    assert [(ref.email, ref.created) for ref in result.contacts] == [("ada@example.com", False),
                                                                      ("bob@example.com", True)]
    listed = client.audience.contacts.list(list_id=vip.id)
    assert sorted(c.email for c in listed.contacts) == ["ada@example.com", "bob@example.com"]
    ada = next(c for c in listed.contacts if c.email == "ada@example.com")
    assert ada.properties == {}  # an existing contact keeps its properties without update_existing


def test_bulk_create_rows_topics_and_row_errors(lettr_server: LettrServer, client: lettr.Lettr,
                                                vip: lettr.AudienceList) -> None:
    client.audience.properties.create(name="plan", type="string")
    client.audience.properties.create(name="seats", type="number")
    promos = client.audience.topics.create(name="Promos", default_subscription="opt_out")
    news = client.audience.topics.create(name="News")
    client.audience.contacts.create(email="old@example.com", properties={"plan": "free"})
    result = client.audience.contacts.bulk_create(
        contacts=[BulkContactRow(email="cara@example.com", properties={"plan": "pro"}),
                  BulkContactRow(email="dan@example.com", topics=[TopicSubscription.opt_out(promos.id)]),
                  BulkContactRow(email="old@example.com", properties={"plan": "team"}),
                  BulkContactRow(email="not-an-address"),
                  BulkContactRow(email="eve@example.com", properties={"seats": "lots"}),
                  BulkContactRow(email="fay@example.com", properties={"colour": "red"}),
                  BulkContactRow(email="gus@example.com", list_ids=["ghost"])],
        list_ids=[vip.id], topics=[TopicSubscription.opt_in(news.id)], update_existing=True)
    assert (result.created, result.already_existed, result.updated, result.error_count) == (2, 1, 1, 4)
    assert [(e.index, e.error_code) for e in result.errors] == [
        (3, "invalid_email"), (4, "invalid_property_value"), (5, "unknown_property_key"), (6, "unknown_list")]
    audience = lettr_server.audience
    topic_names = {t.id: t.name for t in audience.topics}
    assert sorted(topic_names[i] for i in audience.contact("cara@example.com").topic_ids) == ["News", "Promos"]
    assert [topic_names[i] for i in audience.contact("dan@example.com").topic_ids] == ["News"]  # a row's opt_out wins
    assert audience.contact("old@example.com").properties == {"plan": "team"}
    assert audience.contact("cara@example.com").list_ids == [vip.id]


def test_status_follows_mail(lettr_server: LettrServer, client: lettr.Lettr) -> None:
    for address in ("ada@example.com", "bob@example.com", "cy@example.com", "di@example.com"):
        client.audience.contacts.create(email=address)
    sent = {address: client.emails.send(**send_kwargs(to=[address])) for address in
            ("ada@example.com", "bob@example.com", "cy@example.com", "di@example.com")}
    emails = {email.to[0]: email for email in lettr_server.emails}
    lettr_server.simulate(emails["ada@example.com"].id, "bounced", bounce_type="hard")
    lettr_server.simulate(emails["bob@example.com"].id, "bounced", bounce_type="soft")
    for address, event in (("cy@example.com", "complained"), ("di@example.com", "unsubscribed")):
        lettr_server.simulate(emails[address].id, "delivered")
        lettr_server.simulate(emails[address].id, event)
    assert len(sent) == 4
    statuses = {c.email: c.status for c in client.audience.contacts.list().contacts}
    assert statuses == {"ada@example.com": "bounced", "bob@example.com": "subscribed",
                        "cy@example.com": "complained", "di@example.com": "unsubscribed"}


def test_the_free_plan_holds_500_contacts(lettr_server: LettrServer, client: lettr.Lettr) -> None:
    lettr_server.account.settings.plan = "free"
    lettr_server.audience.free_plan_cap = 3
    result = client.audience.contacts.bulk_create(emails=[f"u{n}@example.com" for n in range(4)])
    assert (result.created, [e.index for e in result.errors]) == (3, [3])
    with pytest.raises(lettr.ValidationError, match="Validation failed") as full:
        client.audience.contacts.create(email="late@example.com")
    assert "free plan" in full.value.errors["email"][0]
    assert len(lettr_server.audience.contacts) == 3


def test_the_cap_is_500_by_default(lettr_server: LettrServer) -> None:
    assert lettr_server.audience.free_plan_cap == 500
