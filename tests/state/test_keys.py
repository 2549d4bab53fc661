"""state/keys.py: keys are stored only as hashes, shown once, and masked in every repr."""

from __future__ import annotations

import dataclasses
import hashlib
import re
from datetime import timedelta

import pytest

from pytest_lettr.clock import Clock
from pytest_lettr.errors import InvalidParameter, KeyExpired, NotFound, Unauthorized
from pytest_lettr.randomness import Entropy
from pytest_lettr.state.keys import KeyStore, hash_key, looks_like_key


@pytest.fixture
def clock() -> Clock:
    frozen = Clock()
    frozen.freeze()
    return frozen


@pytest.fixture
def store(clock: Clock) -> KeyStore:
    return KeyStore(clock, Entropy("unit"))


def test_only_a_hash_is_stored(store: KeyStore) -> None:
    created = store.create("ci", ["emails:send"])
    stored = created.api_key
    assert stored.key_hash == hashlib.sha256(created.key.encode()).hexdigest() == hash_key(created.key)
    values = [str(getattr(stored, f.name)) for f in dataclasses.fields(stored)]
    assert not any(created.key in value or created.key[7:] in value for value in values)
    assert stored.key_prefix == created.key[:7]


def test_repr_masks_the_key_and_its_hash(store: KeyStore) -> None:
    created = store.create("ci")
    for text in (repr(created), str(created), repr(created.api_key), repr(list(store))):
        assert created.key not in text and created.key[7:] not in text
        assert created.api_key.key_hash not in text
    assert repr(created) == f"CreatedKey(id={created.id!r}, key_prefix={created.key[:7]!r})"


def test_key_formats(store: KeyStore) -> None:
    formats = {"live": r"le_[A-Za-z0-9]{36}", "test": r"le_test_[A-Za-z0-9]{36}",
               "api": r"lttr_[A-Za-z0-9]{64}", "sandbox": r"lttr_sandbox_[A-Za-z0-9]{64}"}
    for mode, shape in formats.items():
        created = store.create(mode, mode=mode)
        assert re.fullmatch(shape, created.key) and looks_like_key(created.key)
        assert re.fullmatch(r"key_[A-Za-z0-9]{24}", created.id)
    with pytest.raises(InvalidParameter):
        store.create("x", mode="admin")


@pytest.mark.parametrize("raw", ["", "le_", "le_" + "a" * 35, "le_" + "a" * 37, "le_" + "a" * 35 + "-",
                                 "LE_" + "a" * 36, " le_" + "a" * 36, "le_" + "é" * 36, "le_test_" + "a" * 35])
def test_malformed_keys_are_refused_before_any_lookup(store: KeyStore, raw: str) -> None:
    assert not looks_like_key(raw)
    with pytest.raises(Unauthorized, match="format"):
        store.authenticate(raw)


def test_authenticate(store: KeyStore) -> None:
    created = store.create("ci")
    assert store.authenticate(created.key) is created.api_key
    with pytest.raises(Unauthorized) as caught:
        store.authenticate("le_" + "Z" * 36)
    assert caught.value.code == "unauthorized" and "Z" * 10 not in caught.value.message


def test_authenticate_stamps_last_used(store: KeyStore, clock: Clock) -> None:
    created = store.create("ci")
    assert created.api_key.last_used_at is None
    clock.advance(hours=1)
    store.authenticate(created.key)
    assert created.api_key.last_used_at == clock.now()


def test_expiry_and_revocation(store: KeyStore, clock: Clock) -> None:
    expiring = store.create("e", expires_at=clock.now() + timedelta(minutes=5))
    deleted = store.create("d")
    store.delete(deleted.id)
    with pytest.raises(Unauthorized) as caught:
        store.authenticate(deleted.key)
    assert caught.value.code == "unauthorized"
    with pytest.raises(NotFound):
        store.get(deleted.id)
    assert deleted.api_key not in store.active()
    clock.advance(minutes=5)
    with pytest.raises(KeyExpired):
        store.authenticate(expiring.key)
    assert store.get(expiring.id) is expiring.api_key  # expired keys still exist (and can be extended)


def test_rotate_with_and_without_grace(store: KeyStore, clock: Clock) -> None:
    old = store.create("svc", ["emails:send"], ip_restrictions=["10.0.0.0/8"])
    new = store.rotate(old.id, grace_period_seconds=60)
    assert new.id != old.id and new.key != old.key and new.permissions == ["emails:send"]
    assert new.api_key.ip_restrictions == ["10.0.0.0/8"]
    assert store.authenticate(old.key) is old.api_key
    clock.advance(seconds=60)
    with pytest.raises(Unauthorized):
        store.authenticate(old.key)
    newest = store.rotate(new.id)
    with pytest.raises(Unauthorized):
        store.authenticate(new.key)
    assert store.authenticate(newest.key) is newest.api_key


def test_rotation_due_after_90_days(store: KeyStore, clock: Clock) -> None:
    created = store.create("ci").api_key
    assert created.rotation_due_at == created.created_at + timedelta(days=90)
    assert not created.rotation_due(clock.now() + timedelta(days=89, hours=23))
    assert created.rotation_due(clock.now() + timedelta(days=90))


def test_update_reports_only_real_changes(store: KeyStore) -> None:
    created = store.create("ci", ["emails:send"])
    key, changed = store.update(created.id, name="ci", permissions=["emails:send", "emails:read"])
    assert changed == {"permissions": ["emails:send", "emails:read"]} and key.permissions == changed["permissions"]


def test_a_pinned_key_must_be_well_formed(store: KeyStore) -> None:
    pinned = "le_" + "P" * 36
    assert store.create("admin", raw_key=pinned).key == pinned
    with pytest.raises(InvalidParameter):
        store.create("admin", raw_key="hunter2")


def test_the_same_seed_mints_the_same_keys() -> None:
    one, two = KeyStore(Clock(), Entropy("s")), KeyStore(Clock(), Entropy("s"))
    assert one.create("a").key == two.create("a").key
    assert KeyStore(Clock(), Entropy("t")).create("a").key != KeyStore(Clock(), Entropy("s")).create("a").key


@pytest.mark.parametrize("rate_limit", [{"requests": 5, "period": "day"}, {"requests": 0, "period": "second"},
                                        {"requests": True, "period": "hour"}, {"requests": "5", "period": "hour"},
                                        {"requests": 5}, {"requests": 5, "period": "hour", "burst": 1}])
def test_a_bad_rate_limit_is_refused_when_the_key_is_made(store: KeyStore, rate_limit: dict[str, object]) -> None:
    with pytest.raises(InvalidParameter) as caught:
        store.create("slow", rate_limit=rate_limit)
    assert caught.value.param == "rate_limit"
    assert len(store) == 0


@pytest.mark.parametrize("field", ["permissions", "domain_restrictions", "ip_restrictions"])
def test_a_single_string_is_not_taken_for_a_list(store: KeyStore, field: str) -> None:
    with pytest.raises(TypeError, match=r"use \['example.com'\]"):
        store.create("k", **{field: "example.com"})  # type: ignore[arg-type]
