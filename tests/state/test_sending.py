"""One send operation under every intake: /v1 and /api leave the same traces of the same send."""

from __future__ import annotations

from datetime import timedelta

import httpx
import lettr
import pytest

from pytest_lettr import LettrServer
from pytest_lettr.errors import NotCancellable, Suppressed
from pytest_lettr.state import Account
from pytest_lettr.state.audit import Actor
from pytest_lettr.state.sending import Draft, cancel, send


def _traces(server: LettrServer) -> tuple[list[str], list[str], tuple[object, ...]]:
    email = server.emails[-1]
    stored = (email.from_, email.to, email.subject, email.html, email.status, email.metadata,
              email.tags, bool(email.request_id))
    return [a.action for a in server.audit_log], [e.type for e in server.account.events], stored


@pytest.mark.parametrize("scheduled", [False, True], ids=["send", "schedule"])
def test_the_same_send_through_v1_and_api_leaves_the_same_traces(lettr_server: LettrServer,
                                                                  scheduled: bool) -> None:
    later = lettr_server.clock.now() + timedelta(hours=1)
    headers = {"Authorization": f"Bearer {lettr_server.admin_key}"}
    body = {"from": "app@example.com", "to": "ada@example.com", "subject": "Hi", "html": "<p>Hi</p>",
            "metadata": {"order": "7"}, "tags": ["welcome"]}
    if scheduled:
        body["scheduledAt"] = later.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert httpx.post(lettr_server.v1_url + "/emails", json=body, headers=headers).status_code == 200
    through_v1 = _traces(lettr_server)

    lettr_server.reset("again")
    key = lettr_server.create_key("sdk", mode="api")
    client = lettr.Lettr(key.key, base_url=lettr_server.api_url)
    fields = dict(from_email="app@example.com", to=["ada@example.com"], subject="Hi", html="<p>Hi</p>",
                  metadata={"order": "7"}, tag="welcome")
    if scheduled:
        client.emails.schedule(**fields, scheduled_at=later.strftime("%Y-%m-%dT%H:%M:%SZ"))
    else:
        client.emails.send(**fields)
    assert _traces(lettr_server) == through_v1
    assert through_v1[0] == ["email.scheduled" if scheduled else "email.sent"]


def test_cancel_through_either_dialect_audits_the_same_metadata(lettr_server: LettrServer) -> None:
    later = (lettr_server.clock.now() + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    headers = {"Authorization": f"Bearer {lettr_server.admin_key}"}
    sent = httpx.post(lettr_server.v1_url + "/emails", headers=headers,
                      json={"from": "a@example.com", "to": "b@example.com", "subject": "s", "text": "t",
                            "scheduledAt": later}).json()
    assert httpx.delete(f"{lettr_server.v1_url}/emails/{sent['id']}", headers=headers).status_code == 200
    through_v1 = lettr_server.audit_log[-1]

    key = lettr_server.create_key("sdk", mode="api")
    client = lettr.Lettr(key.key, base_url=lettr_server.api_url)
    scheduled = client.emails.schedule(from_email="a@example.com", to=["b@example.com"], subject="s", text="t",
                                       scheduled_at=later)
    client.emails.cancel_scheduled(scheduled.request_id)
    through_api = lettr_server.audit_log[-1]
    assert through_v1.action == through_api.action == "email.cancelled"
    assert set(through_v1.metadata) == set(through_api.metadata) == {"request_id", "scheduled_at"}


def test_a_batch_is_all_or_nothing_and_names_the_failing_item() -> None:
    account = Account(seed=3)
    account.suppressions.add("gone@example.com")
    drafts = [Draft(sender="a@example.com", to=["ok@example.com"], subject="s", text="t"),
              Draft(sender="a@example.com", to=["gone@example.com"], subject="s", text="t")]
    with pytest.raises(Suppressed) as refused:
        send(account, account.admin_key.api_key, Actor.system(), drafts)
    assert (refused.value.param, refused.value.extra["item"]) == ("to", 1)
    assert len(account.outbox) == 0 and list(account.audit) == []


def test_dropping_suppressed_recipients_counts_them() -> None:
    account = Account(seed=3)
    account.suppressions.add("gone@example.com")
    draft = Draft(sender="a@example.com", to=["ok@example.com", "Gone <gone@example.com>"], subject="s", text="t")
    (email,) = send(account, account.admin_key.api_key, Actor.system(), [draft], suppressed="drop")
    assert (email.to, email.extra["accepted"], email.extra["rejected"]) == (["ok@example.com"], 1, 1)


def test_only_a_scheduled_email_can_be_cancelled() -> None:
    account = Account(seed=3)
    (email,) = send(account, account.admin_key.api_key, Actor.system(),
                    [Draft(sender="a@example.com", to=["b@example.com"], subject="s", text="t")])
    with pytest.raises(NotCancellable):
        cancel(account, Actor.system(), email)
    assert email.status == "sent"
