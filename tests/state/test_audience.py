"""The audience and campaign stores without HTTP: seeded ids, audit entries, status from mail,
and when a scheduled campaign leaves (the tick that reaches its time)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from pytest_lettr.errors import CampaignNotSendable, Conflict, NotFound, ValidationFailed
from pytest_lettr.state import Account
from pytest_lettr.state.audience import Condition, contacts
from pytest_lettr.state.audit import Actor

ACTOR = Actor.system()


def _populate(account: Account) -> list[str]:
    vip = account.audience.create_list("VIP", ACTOR)
    topic = account.audience.create_topic("News", ACTOR)
    ada = contacts.create(account.audience, "ada@example.com", ACTOR, list_id=vip.id)
    segment = account.audience.create_segment("All", [], ACTOR)
    campaign = account.campaigns.create(name="c", subject="s", from_email="a@example.com", html="<p>x</p>")
    return [vip.id, topic.id, ada.id, segment.id, campaign.id]


def test_ids_are_seeded_uuids() -> None:
    first, second = _populate(Account(seed="7:t")), _populate(Account(seed="7:t"))
    assert first == second and len(set(first)) == 5
    assert all(uuid.UUID(i).version == 4 for i in first)
    assert _populate(Account(seed="8:t")) != first


def test_operations_are_audited_without_contact_addresses() -> None:
    account = Account(seed="1")
    _populate(account)
    actions = [e.action for e in list(account.audit)]
    assert {"list.created", "topic.created", "contact.created", "segment.created"} <= set(actions)
    created = next(e for e in list(account.audit) if e.action == "contact.created")
    assert "ada@example.com" not in repr(created.metadata)


def test_contact_lookup_and_rules() -> None:
    account = Account(seed="1")
    audience = account.audience
    ada = contacts.create(audience, "Ada@Example.COM", ACTOR)
    assert audience.contact("ADA@example.com") is ada and audience.contact(ada.id) is ada
    with pytest.raises(KeyError):
        audience.contact("nobody@example.com")
    with pytest.raises(Conflict):
        contacts.create(audience, "ada@example.com", ACTOR)
    with pytest.raises(ValidationFailed):
        contacts.create(audience, "bob@example.com", ACTOR, properties={"undefined": "x"})
    with pytest.raises(NotFound):
        audience.get_contact("missing")
    assert len(audience.contacts) == 1


def test_a_segment_condition_must_fit_its_field() -> None:
    account = Account(seed="1")
    account.audience.create_property("seats", "number", ACTOR)
    with pytest.raises(ValidationFailed) as failed:
        account.audience.create_segment("x", [[Condition("properties.seats", "contains", "1")]], ACTOR)
    assert list(failed.value.extra["errors"]) == ["conditions.groups.0.conditions.0"]


def test_a_scheduled_campaign_leaves_on_the_tick_that_reaches_its_time() -> None:
    account = Account(seed="1")
    account.clock.freeze()
    vip = account.audience.create_list("VIP", ACTOR)
    contacts.create(account.audience, "ada@example.com", ACTOR, list_id=vip.id)
    campaign = account.campaigns.create(name="c", subject="s", from_email="a@example.com", html="<p>x</p>",
                                        list_ids=[vip.id])
    account.campaigns.schedule(campaign, account.clock.now() + timedelta(hours=2), ACTOR)
    account.clock.advance(hours=1, minutes=59, seconds=59)
    assert (campaign.status, len(account.outbox)) == ("scheduled", 0)
    account.clock.advance(seconds=1)
    assert (campaign.status, len(account.outbox)) == ("sent", 1)
    assert account.outbox[0].extra["campaign_id"] == campaign.id
    with pytest.raises(CampaignNotSendable):
        account.campaigns.schedule(campaign, account.clock.now() + timedelta(hours=1), ACTOR)


def test_suppressed_addresses_get_no_campaign() -> None:
    account = Account(seed="1")
    contacts.create(account.audience, "ada@example.com", ACTOR)
    contacts.create(account.audience, "bob@example.com", ACTOR)
    account.suppressions.add("bob@example.com")
    campaign = account.campaigns.create(name="c", subject="s", from_email="a@example.com", html="<p>x</p>",
                                        all_contacts=True)
    account.campaigns.send(campaign, ACTOR)
    assert [e.to for e in account.outbox] == [["ada@example.com"]]


def test_a_campaign_names_existing_lists_and_segments() -> None:
    account = Account(seed="1")
    with pytest.raises(NotFound):
        account.campaigns.create(name="c", subject="s", from_email="a@example.com", html="<p>x</p>",
                                 list_ids=["missing"])
    assert len(account.campaigns) == 0
