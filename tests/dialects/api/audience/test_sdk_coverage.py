"""Every audience and campaign method of the official SDK, in one flow: the table below must list
each public method the SDK has (a new one fails the test), and each call must work against the fake."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import lettr
from lettr import BulkContactRow
from lettr.resources.audience import (
    AudienceContacts,
    AudienceLists,
    AudienceProperties,
    AudienceSegments,
    AudienceTopics,
)
from lettr.resources.campaigns import Campaigns

from pytest_lettr import LettrServer

RESOURCES = {"lists": AudienceLists, "contacts": AudienceContacts, "topics": AudienceTopics,
             "properties": AudienceProperties, "segments": AudienceSegments, "campaigns": Campaigns}
CONDITIONS = {"groups": [{"conditions": [{"field": "email", "operator": "contains", "value": "@"}]}]}


def _calls(server: LettrServer, client: lettr.Lettr, ids: dict[str, str]) -> list[tuple[str, Callable[[], Any]]]:
    """``(resource.method, call)`` in an order where each call finds what it needs."""
    a, c = client.audience, client.campaigns
    later = server.clock.now() + timedelta(days=1)
    return [
        ("lists.create", lambda: ids.setdefault("list", a.lists.create(name="VIP").id)),
        ("lists.list", lambda: a.lists.list()),
        ("lists.get", lambda: a.lists.get(ids["list"])),
        ("lists.update", lambda: a.lists.update(ids["list"], name="VIPs")),
        ("topics.create", lambda: ids.setdefault("topic", a.topics.create(name="News").id)),
        ("topics.list", lambda: a.topics.list()),
        ("topics.get", lambda: a.topics.get(ids["topic"])),
        ("topics.update", lambda: a.topics.update(ids["topic"], visibility="public")),
        ("properties.create", lambda: ids.setdefault("property", a.properties.create(name="plan", type="string").id)),
        ("properties.list", lambda: a.properties.list()),
        ("properties.get", lambda: a.properties.get(ids["property"])),
        ("properties.update", lambda: a.properties.update(ids["property"], fallback_value="free")),
        ("contacts.create", lambda: ids.setdefault("contact", a.contacts.create(email="ada@example.com").id)),
        ("contacts.bulk_create", lambda: a.contacts.bulk_create(contacts=[BulkContactRow(email="bob@example.com")])),
        ("contacts.list", lambda: a.contacts.list(search="example")),
        ("contacts.get", lambda: a.contacts.get(ids["contact"])),
        ("contacts.update", lambda: a.contacts.update(ids["contact"], properties={"plan": "pro"})),
        ("contacts.add_to_list", lambda: a.contacts.add_to_list(contact_id=ids["contact"], list_id=ids["list"])),
        ("contacts.remove_from_list",
         lambda: a.contacts.remove_from_list(contact_id=ids["contact"], list_id=ids["list"])),
        ("contacts.bulk_attach_lists",
         lambda: a.contacts.bulk_attach_lists(contact_ids=[ids["contact"]], list_ids=[ids["list"]])),
        ("contacts.bulk_detach_lists",
         lambda: a.contacts.bulk_detach_lists(contact_ids=[ids["contact"]], list_ids=[ids["list"]])),
        ("contacts.subscribe_to_topic",
         lambda: a.contacts.subscribe_to_topic(contact_id=ids["contact"], topic_id=ids["topic"])),
        ("contacts.unsubscribe_from_topic",
         lambda: a.contacts.unsubscribe_from_topic(contact_id=ids["contact"], topic_id=ids["topic"])),
        ("contacts.bulk_subscribe_topics",
         lambda: a.contacts.bulk_subscribe_topics(contact_ids=[ids["contact"]], topic_ids=[ids["topic"]])),
        ("contacts.bulk_unsubscribe_topics",
         lambda: a.contacts.bulk_unsubscribe_topics(contact_ids=[ids["contact"]], topic_ids=[ids["topic"]])),
        ("segments.create", lambda: ids.setdefault("segment", a.segments.create(name="All", conditions=CONDITIONS).id)),
        ("segments.list", lambda: a.segments.list(list_id=ids["list"])),
        ("segments.get", lambda: a.segments.get(ids["segment"])),
        ("segments.update", lambda: a.segments.update(ids["segment"], list_id=ids["list"])),
        ("campaigns.list", lambda: c.list()),
        ("campaigns.get", lambda: c.get(ids["campaign"])),
        ("campaigns.schedule", lambda: c.schedule(ids["campaign"], scheduled_at=later)),
        ("campaigns.unschedule", lambda: c.unschedule(ids["campaign"])),
        ("campaigns.send", lambda: c.send(ids["campaign"])),
        ("campaigns.list_events", lambda: c.list_events(ids["campaign"], limit=10)),
        ("segments.delete", lambda: a.segments.delete(ids["segment"])),
        ("contacts.delete", lambda: a.contacts.delete(ids["contact"])),
        ("properties.delete", lambda: a.properties.delete(ids["property"])),
        ("topics.delete", lambda: a.topics.delete(ids["topic"])),
        ("lists.delete", lambda: a.lists.delete(ids["list"])),
        ("lists.bulk_delete", lambda: a.lists.bulk_delete(list_ids=[a.lists.create(name="Other").id])),
    ]


def test_every_audience_and_campaign_method_of_the_sdk(lettr_server: LettrServer, client: lettr.Lettr) -> None:
    ids: dict[str, str] = {}
    calls = _calls(lettr_server, client, ids)
    sdk_methods = {f"{name}.{method}" for name, cls in RESOURCES.items()
                   for method, _ in inspect.getmembers(cls, inspect.isfunction) if not method.startswith("_")}
    assert sorted(name for name, _ in calls) == sorted(sdk_methods) and len(calls) == 41
    lettr_server.clock.freeze()
    for name, call in calls:
        if name == "campaigns.list":
            ids["campaign"] = lettr_server.create_campaign(name="c", subject="Hi", from_email="a@example.com",
                                                           html="<p>x</p>", all_contacts=True).id
        call()  # an error of the SDK (typed, or failing to parse the answer) fails the test here
    assert lettr_server.campaigns.get(ids["campaign"]).status == "sent"
    assert [e.to for e in lettr_server.emails] == [["ada@example.com"], ["bob@example.com"]]
    assert lettr_server.audience.contacts[0].email == "bob@example.com"  # Ada was deleted after the send
