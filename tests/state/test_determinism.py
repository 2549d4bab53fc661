"""What a seed gives depends on the seed and on how many of that kind came before, never on order."""

from __future__ import annotations

from pytest_lettr.state import Account


def test_ids_do_not_depend_on_the_order_resources_are_made_in() -> None:
    first, second = Account(seed="7:test"), Account(seed="7:test")
    first.templates.create("Welcome", html="<p>Hi</p>")
    first_key = first.keys.create("ci", ("emails:send",))
    second_key = second.keys.create("ci", ("emails:send",))
    second.templates.create("Welcome", html="<p>Hi</p>")

    assert first_key.id == second_key.id and first_key.key == second_key.key
    assert first.templates.team_id == second.templates.team_id
    assert first.admin_key.key == second.admin_key.key


def test_another_seed_gives_other_ids() -> None:
    assert Account(seed="7:a").admin_key.id != Account(seed="7:b").admin_key.id


def test_every_store_exists_with_the_account() -> None:
    account = Account(seed=1)
    for store in ("team", "domains", "webhooks", "api_webhooks", "templates", "quota", "sandbox",
                  "delivery_engine"):
        assert getattr(account, store) is not None
    assert not hasattr(account, "extensions")
