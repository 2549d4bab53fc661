"""Segments: every operator, AND of groups / OR within a group, list scope, names of lists and
topics, evaluated live by ``GET /audience/contacts?segment_id=``, through the official SDK."""

from __future__ import annotations

from typing import Any

import lettr
import pytest

from pytest_lettr import LettrServer

#: (field, operator, value) → the contacts (by local part) it matches. Ada: pro, 12 seats, active,
#: renews 2026-06-01, in VIP and News; Bob: free, 3 seats, inactive, no renewal, in nothing;
#: Cy: no properties at all, unsubscribed, in VIP.
OPERATOR_TABLE: list[tuple[str, str, str | None, set[str]]] = [
    ("email", "contains", "ADA@", {"ada"}),
    ("email", "not_contains", "example.com", {"cy"}),
    ("email", "starts_with", "b", {"bob"}),
    ("email", "not_starts_with", "b", {"ada", "cy"}),
    ("email", "ends_with", ".org", {"cy"}),
    ("email", "not_ends_with", ".org", {"ada", "bob"}),
    ("email", "equals", "bob@example.com", {"bob"}),
    ("email", "not_equals", "bob@example.com", {"ada", "cy"}),
    ("status", "equals", "unsubscribed", {"cy"}),
    ("status", "not_equals", "unsubscribed", {"ada", "bob"}),
    ("properties.plan", "equals", "Pro", {"ada"}),
    ("properties.plan", "not_equals", "pro", {"bob", "cy"}),
    ("properties.plan", "contains", "re", {"bob"}),
    ("properties.seats", "equals", "12", {"ada"}),
    ("properties.seats", "not_equals", "12", {"bob", "cy"}),
    ("properties.seats", "greater_than", "3", {"ada"}),
    ("properties.seats", "greater_than_or_equal", "3", {"ada", "bob"}),
    ("properties.seats", "less_than", "12", {"bob"}),
    ("properties.seats", "less_than_or_equal", "12", {"ada", "bob"}),
    ("properties.active", "is_true", None, {"ada"}),
    ("properties.active", "is_false", None, {"bob", "cy"}),
    ("properties.renews_on", "before", "2026-07-01", {"ada"}),
    ("properties.renews_on", "after", "2026-07-01", set()),
    ("created_at", "after", "2000-01-01", {"ada", "bob", "cy"}),
    ("created_at", "before", "2000-01-01", set()),
    ("lists", "equals", "VIP", {"ada", "cy"}),
    ("lists", "not_equals", "VIP", {"bob"}),
    ("topics", "equals", "News", {"ada"}),
    ("topics", "not_equals", "News", {"bob", "cy"}),
]


@pytest.fixture
def audience(client: lettr.Lettr) -> dict[str, Any]:
    a = client.audience
    for name, kind in (("plan", "string"), ("seats", "number"), ("active", "boolean"), ("renews_on", "date")):
        a.properties.create(name=name, type=kind)
    vip = a.lists.create(name="VIP")
    news = a.topics.create(name="News")
    ada = a.contacts.create(email="ada@example.com", list_id=vip.id,
                            properties={"plan": "pro", "seats": "12", "active": "true", "renews_on": "2026-06-01"})
    a.contacts.subscribe_to_topic(contact_id=ada.id, topic_id=news.id)
    a.contacts.create(email="bob@example.com", properties={"plan": "free", "seats": "3", "active": "false"})
    cy = a.contacts.create(email="cy@example.org", list_id=vip.id)
    a.contacts.update(cy.id, status="unsubscribed")
    return {"vip": vip, "news": news}


def _members(client: lettr.Lettr, segment_id: str) -> set[str]:
    return {c.email.split("@")[0] for c in client.audience.contacts.list(segment_id=segment_id).contacts}


def _groups(*groups: list[tuple[str, str, str | None]]) -> dict[str, Any]:
    return {"groups": [{"conditions": [{"field": f, "operator": o, "value": v} for f, o, v in group]}
                       for group in groups]}


def test_every_operator(client: lettr.Lettr, audience: dict[str, Any]) -> None:
    wrong = []
    for number, (field, operator, value, expected) in enumerate(OPERATOR_TABLE):
        segment = client.audience.segments.create(name=f"s{number}", conditions=_groups([(field, operator, value)]))
        found = _members(client, segment.id)
        if found != expected:
            wrong.append((field, operator, value, sorted(found), sorted(expected)))
    assert wrong == []
    operators = {row[1] for row in OPERATOR_TABLE}
    assert len(operators) == 16  # every SegmentOperator of the spec


def test_groups_are_anded_and_conditions_ored(client: lettr.Lettr, audience: dict[str, Any]) -> None:
    either = client.audience.segments.create(
        name="Either", conditions=_groups([("email", "starts_with", "ada"), ("email", "starts_with", "bob")]))
    assert _members(client, either.id) == {"ada", "bob"}
    both = client.audience.segments.create(
        name="Both", conditions=_groups([("email", "starts_with", "ada"), ("email", "starts_with", "bob")],
                                        [("properties.plan", "equals", "free")]))
    assert _members(client, both.id) == {"bob"}
    everyone = client.audience.segments.create(name="Everyone", conditions={"groups": []})
    assert _members(client, everyone.id) == {"ada", "bob", "cy"}


def test_list_scope_and_live_evaluation(lettr_server: LettrServer, client: lettr.Lettr,
                                        audience: dict[str, Any]) -> None:
    vip = audience["vip"]
    scoped = client.audience.segments.create(name="Scoped", list_id=vip.id,
                                             conditions=_groups([("email", "contains", "example")]))
    assert (scoped.list_id, scoped.list_name, scoped.cached_contacts_count) == (vip.id, "VIP", 2)
    assert _members(client, scoped.id) == {"ada", "cy"}
    dan = client.audience.contacts.create(email="dan@example.com", list_id=vip.id)
    assert _members(client, scoped.id) == {"ada", "cy", "dan"}  # evaluated when asked
    assert [s.name for s in client.audience.segments.list(list_id=vip.id).segments] == ["Scoped"]
    unscoped = client.audience.segments.update(scoped.id, list_id=None, name="Unscoped")
    assert (unscoped.list_id, unscoped.name) == (None, "Unscoped")
    assert _members(client, scoped.id) == {"ada", "bob", "cy", "dan"}
    assert [m.email for m in lettr_server.audience.members(lettr_server.audience.segment("Unscoped"))][-1] == dan.email


def test_lists_and_topics_match_by_name(client: lettr.Lettr, audience: dict[str, Any]) -> None:
    in_vip = client.audience.segments.create(name="In VIP", conditions=_groups([("lists", "equals", "VIP")]))
    client.audience.lists.update(audience["vip"].id, name="Gold")
    assert _members(client, in_vip.id) == set()  # a renamed list no longer matches
    client.audience.segments.update(in_vip.id, conditions=_groups([("lists", "equals", "Gold")]))
    assert _members(client, in_vip.id) == {"ada", "cy"}


def test_segment_crud_and_errors(client: lettr.Lettr, audience: dict[str, Any]) -> None:
    segments = client.audience.segments
    pro = segments.create(name="Pro", conditions=_groups([("properties.plan", "equals", "pro")]))
    assert pro.condition_groups == [{"conditions": [{"field": "properties.plan", "operator": "equals",
                                                     "value": "pro"}]}]
    assert segments.get(pro.id).name == "Pro"
    with pytest.raises(lettr.ValidationError) as duplicate:
        segments.create(name="Pro", conditions=_groups([("email", "contains", "a")]))
    assert list(duplicate.value.errors) == ["name"]
    with pytest.raises(lettr.ValidationError) as unknown_operator:
        segments.create(name="Bad", conditions=_groups([("email", "sounds_like", "ada")]))
    assert list(unknown_operator.value.errors) == ["conditions.groups.0.conditions.0.operator"]
    with pytest.raises(lettr.ValidationError) as bad:
        segments.create(name="Bad", conditions=_groups(
            [("email", "greater_than", "3"), ("properties.nope", "equals", "x"), ("email", "contains", None)],
            [("properties.seats", "greater_than", "many"), ("properties.active", "is_true", None)]))
    assert sorted(bad.value.errors) == ["conditions.groups.0.conditions.0", "conditions.groups.0.conditions.1",
                                        "conditions.groups.0.conditions.2", "conditions.groups.1.conditions.0"]
    assert "does not apply to string fields" in bad.value.errors["conditions.groups.0.conditions.0"][0]
    with pytest.raises(lettr.ValidationError) as empty_group:
        segments.create(name="Empty", conditions={"groups": [{"conditions": []}]})
    assert list(empty_group.value.errors) == ["conditions.groups.0.conditions"]
    with pytest.raises(lettr.ValidationError) as scope:
        segments.create(name="Scoped", list_id="nope", conditions={"groups": []})
    assert list(scope.value.errors) == ["list_id"]
    segments.delete(pro.id)
    with pytest.raises(lettr.NotFoundError, match=r"Segment not found\."):
        segments.get(pro.id)
    with pytest.raises(lettr.ValidationError) as filter_error:
        client.audience.contacts.list(segment_id=pro.id)
    assert list(filter_error.value.errors) == ["segment_id"]
    assert [s.name for s in segments.list().segments] == []
