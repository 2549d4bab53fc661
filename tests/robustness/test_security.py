"""Security properties as tests: keys kept only as hashes, constant-time comparisons, and secrets
absent from ``repr()``, logs, audit metadata and error messages."""

from __future__ import annotations

import ast
import dataclasses
import hashlib
import hmac
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import pytest_lettr
from pytest_lettr import LettrServer
from pytest_lettr.webhooks.signing import sign_webhook, verify_webhook

from .conftest import SEND, client_for

PACKAGE = Path(pytest_lettr.__file__).parent


@dataclasses.dataclass
class Secrets:
    """Every secret a test run handed out, to look for afterwards."""

    keys: list[str]
    webhook_secrets: list[str]
    rejected_tokens: list[str]

    def all(self) -> list[str]:
        return [*self.keys, *self.webhook_secrets, *self.rejected_tokens]


@pytest.fixture
def busy(lettr_server: LettrServer, caplog: pytest.LogCaptureFixture) -> Iterator[Secrets]:
    """An account that made, rotated, used and refused keys and webhook secrets, logging at DEBUG."""
    caplog.set_level(logging.DEBUG)
    secrets = Secrets([lettr_server.admin_key], [], ["le_" + "W" * 36, "Bearer-ish-password-123"])
    with client_for(lettr_server) as admin:
        created = admin.post("/api-keys", json={"name": "ci", "permissions": ["emails:send"]},
                             headers={"Idempotency-Key": "make-ci-key"})
        assert created.status_code == 201
        secrets.keys.append(created.json()["key"])
        rotated = admin.post(f"/api-keys/{created.json()['id']}/rotate", json={"gracePeriodSeconds": 60})
        secrets.keys.append(rotated.json()["key"])
        hook = admin.post("/webhooks", json={"url": "http://127.0.0.1:9/hooks", "events": ["*"]})
        secrets.webhook_secrets.append(hook.json()["secret"])
        new_secret = admin.post(f"/webhooks/{hook.json()['id']}/rotate-secret", json={"expiresOldSecretIn": 60})
        secrets.webhook_secrets.append(new_secret.json()["secret"])
        for key in secrets.keys[1:]:
            with client_for(lettr_server, key) as client:
                assert client.post("/emails", json=SEND).status_code == 200
        for token in secrets.rejected_tokens:
            with client_for(lettr_server, token) as client:
                assert client.get("/emails").status_code == 401
        assert admin.get("/emails", params={"api_key": secrets.keys[1]}).status_code == 401
    yield secrets


def _walk(root: Any, skip: tuple[Any, ...] = ()) -> Iterator[str]:
    """Every string reachable from ``root`` through attributes and containers (not through ``skip``)."""
    seen: set[int] = {id(item) for item in skip}
    stack = [root]
    while stack:
        item = stack.pop()
        if id(item) in seen or item is None or isinstance(item, int | float | bool | type):
            continue
        seen.add(id(item))
        module = type(item).__module__ or ""
        if isinstance(item, str):
            yield item
        elif isinstance(item, bytes | bytearray):
            yield bytes(item).decode("utf-8", "replace")
        elif isinstance(item, dict):
            stack += list(item.keys()) + list(item.values())
        elif isinstance(item, list | tuple | set | frozenset):
            stack += list(item)
        elif module.startswith(("faker", "threading", "_thread", "random")) or (
                callable(item) and not hasattr(item, "__dict__")):
            continue
        elif hasattr(item, "__dict__") or hasattr(item, "__slots__"):
            stack += list(getattr(item, "__dict__", {}).values())
            stack += [getattr(item, slot, None) for slot in getattr(type(item), "__slots__", ())]


def test_keys_are_stored_only_as_hashes(lettr_server: LettrServer, busy: Secrets) -> None:
    # Everything the account keeps, except ``admin_key``: the harness's own handle on the admin
    # key, so that the fixture can give it to the test (it is never served by the API).
    stored = list(_walk(lettr_server.account, skip=(lettr_server.account.admin_key,)))
    assert len(stored) > 50  # the walk does reach the account's contents ...
    assert any(busy.keys[0] in text for text in _walk(lettr_server.account))  # ... and would see a raw key
    for key in busy.keys:
        assert not [s for s in stored if key in s], "a key is stored in the clear"
        assert hashlib.sha256(key.encode()).hexdigest() in stored  # ... and its hash is what is kept
    for api_key in lettr_server.account.keys:
        assert not hasattr(api_key, "key")
        assert len(api_key.key_hash) == 64


def test_key_lookups_compare_in_constant_time(lettr_server: LettrServer, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[Any, Any]] = []
    real = hmac.compare_digest

    def spy(a: Any, b: Any) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    with client_for(lettr_server) as admin:
        assert admin.get("/emails").status_code == 200
    digest = hashlib.sha256(lettr_server.admin_key.encode()).hexdigest()
    assert (digest, digest) in calls


def test_webhook_signatures_compare_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[Any, Any]] = []
    real = hmac.compare_digest

    def spy(a: Any, b: Any) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    body = b'{"type":"email.sent"}'
    header = sign_webhook(body, "whsec_test", timestamp=1_700_000_000, extra_secrets=["whsec_old"])
    assert verify_webhook(body, header, "whsec_old", now=1_700_000_000) == {"type": "email.sent"}
    assert len(calls) == 2  # every candidate compared, none skipped after a match


def test_no_plain_equality_on_secrets_in_the_package() -> None:
    """A static check: ``==``/``!=`` never has a secret, signature, digest or key hash on either side."""
    suspicious = ("secret", "signature", "digest", "key_hash", "password")
    found = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Compare) or not any(isinstance(op, ast.Eq | ast.NotEq) for op in node.ops):
                continue
            for side in (node.left, *node.comparators):
                name = side.attr if isinstance(side, ast.Attribute) else side.id if isinstance(side, ast.Name) else ""
                if any(word in name.lower() for word in suspicious) and not name.isupper():
                    found.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {ast.unparse(node)}")
    assert not found, "compare secrets with hmac.compare_digest:\n" + "\n".join(found)


def test_secrets_are_absent_from_reprs(lettr_server: LettrServer, busy: Secrets) -> None:
    created = lettr_server.create_key("repr")
    webhook, secret = lettr_server.add_webhook("http://127.0.0.1:9/x", ["*"])
    objects: list[Any] = [lettr_server, lettr_server.account, lettr_server.emails, created, created.api_key,
                          webhook, lettr_server.account.admin_key, *lettr_server.account.keys,
                          *lettr_server.webhooks.all(), *lettr_server.audit_log, *lettr_server.webhook_deliveries]
    shown = "\n".join(repr(obj) for obj in objects) + repr(lettr_server.account.__dict__)
    for value in [*busy.all(), created.key, secret]:
        assert value not in shown


def test_secrets_are_absent_from_logs(lettr_server: LettrServer, busy: Secrets, caplog: pytest.LogCaptureFixture,
                                      capfd: pytest.CaptureFixture[str]) -> None:
    out, err = capfd.readouterr()
    records = [record for record in caplog.get_records("setup") + caplog.get_records("call")
               if not record.name.startswith(("httpx", "httpcore"))]  # the test's own client logs URLs
    logged = "\n".join(record.getMessage() for record in records) + out + err
    assert "/v1/api-keys" in logged  # the access log was captured
    for value in busy.all():
        assert value not in logged
    assert "api_key=***" in logged  # the key sent in the query string is masked in the access log


def test_secrets_are_absent_from_audit_metadata(lettr_server: LettrServer, busy: Secrets) -> None:
    entries = lettr_server.audit_log
    assert {"api_key.created", "api_key.rotated", "auth.failed"} <= {e.action for e in entries}
    dumped = json.dumps([dataclasses.asdict(e) for e in entries], default=str)
    for value in busy.all():
        assert value not in dumped
    with client_for(lettr_server) as admin:
        listed = admin.get("/audit-logs", params={"limit": "100"})
    assert listed.status_code == 200
    for value in busy.all():
        assert value not in listed.text


def test_keys_are_shown_once_and_never_again(lettr_server: LettrServer, busy: Secrets) -> None:
    with client_for(lettr_server) as admin:
        listing = admin.get("/api-keys", params={"limit": "100"}).text
        replay = admin.post("/api-keys", json={"name": "ci", "permissions": ["emails:send"]},
                            headers={"Idempotency-Key": "make-ci-key"})
    for key in busy.keys:
        assert key not in listing
    assert replay.headers.get("Idempotency-Replayed") == "true"
    assert busy.keys[1] not in replay.text  # the replay does not hand the secret out a second time


def test_errors_never_echo_the_presented_key(lettr_server: LettrServer) -> None:
    for token in ("le_" + "Q" * 36, "le_" + "Q" * 35, "lttr_" + "Q" * 40, "Q" * 100):
        with client_for(lettr_server, token) as client:
            response = client.get("/emails")
        assert response.status_code == 401
        assert token not in response.text and token[7:20] not in response.text
