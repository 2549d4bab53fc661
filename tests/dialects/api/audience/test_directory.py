"""Lists, topics and properties through the official SDK: every call, its rules and typed errors."""

from __future__ import annotations

import httpx
import lettr
import pytest

from pytest_lettr import LettrServer


def test_lists_crud_and_bulk_delete(lettr_server: LettrServer, client: lettr.Lettr) -> None:
    lists = client.audience.lists
    vip = lists.create(name="VIP")
    beta = lists.create(name="Beta")
    assert (vip.name, vip.contacts_count) == ("VIP", 0)
    client.audience.contacts.create(email="ada@example.com", list_id=vip.id)
    assert lists.get(vip.id).contacts_count == 1
    page = lists.list(per_page=1)
    assert ([item.name for item in page.lists], page.total, page.per_page, page.last_page) == (["VIP"], 2, 1, 2)
    assert lists.list().per_page == 20  # the audience's default page size
    assert lists.update(vip.id, name="VIPs").name == "VIPs"
    assert lists.update(vip.id).name == "VIPs"  # no field: unchanged, 200
    with pytest.raises(lettr.ValidationError) as taken:
        lists.update(beta.id, name="VIPs")
    assert "name" in taken.value.errors
    assert lists.bulk_delete(list_ids=[vip.id, beta.id]).deleted == 2
    assert lists.list().total == 0
    assert lettr_server.audience.contact("ada@example.com").list_ids == []  # contacts stay, memberships go
    assert [e.action for e in lettr_server.audit_log if e.action.startswith("list.")][-2:] == ["list.deleted"] * 2


def test_list_errors(client: lettr.Lettr) -> None:
    lists = client.audience.lists
    with pytest.raises(lettr.NotFoundError, match=r"List not found\.") as missing:
        lists.get("0b139e3f-7bc3-40e7-a324-a881cee804f1")
    assert missing.value.error_code == "not_found"
    with pytest.raises(lettr.NotFoundError):
        lists.delete("nope")
    lists.create(name="VIP")
    with pytest.raises(lettr.ValidationError) as duplicate:
        lists.create(name="VIP")
    assert duplicate.value.errors == {"name": ["A list with this name already exists."]}
    with pytest.raises(lettr.ValidationError) as long_name:
        lists.create(name="x" * 256)
    assert "name" in long_name.value.errors
    with pytest.raises(lettr.ValidationError) as unknown:
        lists.bulk_delete(list_ids=["not-a-list"])
    assert list(unknown.value.errors) == ["list_ids.0"]
    assert lists.list().total == 1  # nothing was deleted


def test_topics_crud(lettr_server: LettrServer, client: lettr.Lettr) -> None:
    topics = client.audience.topics
    digest = topics.create(name="Weekly digest", description="Every Monday", visibility="public")
    assert (digest.default_subscription, digest.visibility, digest.contacts_count) == ("opt_in", "public", 0)
    assert topics.get(digest.id).description == "Every Monday"
    changed = topics.update(digest.id, name="Digest", description=None, visibility="private")
    assert (changed.name, changed.description, changed.visibility) == ("Digest", None, "private")
    assert topics.update(digest.id).name == "Digest"
    assert [t.name for t in topics.list().topics] == ["Digest"]
    topics.delete(digest.id)
    with pytest.raises(lettr.NotFoundError, match=r"Topic not found\."):
        topics.get(digest.id)
    with pytest.raises(lettr.ValidationError) as bad:
        topics.create(name="Promos", default_subscription="always", visibility="secret")
    assert sorted(bad.value.errors) == ["default_subscription", "visibility"]


def test_topic_default_subscription_is_immutable(raw: httpx.Client, client: lettr.Lettr) -> None:
    topic = client.audience.topics.create(name="Promos", default_subscription="opt_out")
    answer = raw.patch(f"/audience/topics/{topic.id}", json={"default_subscription": "opt_in", "name": "Offers"})
    assert answer.status_code == 200
    assert (answer.json()["data"]["default_subscription"], answer.json()["data"]["name"]) == ("opt_out", "Offers")


def test_opt_out_topics_subscribe_new_contacts(client: lettr.Lettr) -> None:
    news = client.audience.topics.create(name="News", default_subscription="opt_out")
    client.audience.topics.create(name="Beta program", default_subscription="opt_in")
    ada = client.audience.contacts.create(email="ada@example.com")
    assert [t.name for t in ada.topics] == ["News"]
    assert client.audience.topics.get(news.id).contacts_count == 1


def test_properties_crud(lettr_server: LettrServer, client: lettr.Lettr) -> None:
    properties = client.audience.properties
    plan = properties.create(name="plan", type="string", fallback_value="free")
    assert (plan.name, plan.type, plan.fallback_value) == ("plan", "string", "free")
    assert properties.update(plan.id, fallback_value=None).fallback_value is None
    assert properties.update(plan.id).fallback_value is None
    assert properties.update(plan.id, fallback_value="trial").fallback_value == "trial"
    assert [p.name for p in properties.list().properties] == ["plan"]
    client.audience.contacts.create(email="ada@example.com", properties={"plan": "pro"})
    properties.delete(plan.id)
    assert lettr_server.audience.contact("ada@example.com").properties == {}
    with pytest.raises(lettr.NotFoundError, match=r"Property not found\."):
        properties.get(plan.id)


def test_property_rules(raw: httpx.Client, client: lettr.Lettr) -> None:
    properties = client.audience.properties
    seats = properties.create(name="seats", type="number")
    with pytest.raises(lettr.ConflictError, match=r"A property with this name already exists\.") as dup:
        properties.create(name="seats", type="string")
    assert dup.value.error_code == "resource_already_exists"
    for name in ("Seats", "1st", "first-name", "_x"):
        with pytest.raises(lettr.ValidationError) as bad:
            properties.create(name=name, type="string")
        assert list(bad.value.errors) == ["name"]
    with pytest.raises(lettr.ValidationError) as kind:
        properties.create(name="age", type="integer")
    assert list(kind.value.errors) == ["type"]
    renamed = raw.patch(f"/audience/properties/{seats.id}", json={"name": "other", "type": "string"})
    assert renamed.status_code == 200 and (renamed.json()["data"]["name"], renamed.json()["data"]["type"]) == \
        ("seats", "number")
