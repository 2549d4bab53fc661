"""The tests docs/security/*.md shows, run for real.

Every ```python block of those pages appears in this file verbatim, and every example test here
is shown on a page: ``test_docs_and_examples_agree`` checks both ways.
"""

from __future__ import annotations

import ast
import json
import os
import re
from pathlib import Path

import httpx
import pytest

from pytest_lettr import LettrSensitiveDataWarning, WebhookVerificationError, verify_webhook
from pytest_lettr.guard import scan_text
from pytest_lettr.permissions import minimal_permissions

DOCS = Path(__file__).resolve().parents[2] / "docs" / "security"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)


# -- README.md: the helper every page uses ------------------------------------------------------
@pytest.fixture
def lettr(lettr_server):
    """An httpx client for the fake server's /v1 API, with the account's admin key."""
    with httpx.Client(base_url=lettr_server.v1_url,
                      headers={"Authorization": f"Bearer {lettr_server.admin_key}"}) as client:
        yield client


# -- keys-in-env.md ----------------------------------------------------------------------------
def send_welcome(address):
    """The app under test: it reads its key and the API's URL from the environment."""
    response = httpx.post(
        os.environ["LETTR_BASE_URL"] + "/emails",
        headers={"Authorization": f"Bearer {os.environ['LETTR_API_KEY']}"},
        json={"from": "hello@example.com", "to": address, "subject": "Welcome", "text": "Hi!"},
    )
    response.raise_for_status()


def test_the_app_takes_its_key_from_the_environment(lettr_env):
    send_welcome("ada@example.com")
    lettr_env.assert_sent(to="ada@example.com", subject="Welcome")


def test_no_key_is_written_in_the_source():
    for path in [Path(__file__)]:  # list your package's files here
        found = [f for f in scan_text(str(path), path.read_text()) if f.rule == "lettr_api_key"]
        assert not found, f"an API key is hard-coded in {path}"


def test_a_key_in_the_url_is_refused(lettr_server):
    response = httpx.get(lettr_server.v1_url + "/emails", params={"api_key": lettr_server.admin_key})
    assert response.status_code == 401


# -- minimum-permissions.md ----------------------------------------------------------------------
def test_the_mailer_key_can_only_send(lettr_server):
    mailer = lettr_server.create_key("mailer", permissions=["emails:send"])
    with httpx.Client(base_url=lettr_server.v1_url,
                      headers={"Authorization": f"Bearer {mailer.key}"}) as client:
        sent = client.post("/emails", json={"from": "hello@example.com", "to": "ada@example.com",
                                            "subject": "Hi", "text": "Hello"})
        assert sent.status_code == 200

        refused = client.post("/api-keys", json={"name": "escalate"})
        assert refused.status_code == 403
        assert refused.json()["error"]["requiredPermission"] == "api-keys:create"


def test_the_app_needs_nothing_but_send(lettr_env):
    send_welcome("ada@example.com")
    used = lettr_env.permissions_used(lettr_env.env_key.id)
    assert minimal_permissions(used) == ["emails:send"]


# -- rotation.md ---------------------------------------------------------------------------------
def test_keys_are_due_for_rotation_after_90_days(lettr_server, lettr):
    key = lettr.post("/api-keys", json={"name": "ci", "permissions": ["emails:send"]}).json()
    assert key["rotationDue"] is False

    lettr_server.clock.advance(days=91)
    assert lettr.get(f"/api-keys/{key['id']}").json()["rotationDue"] is True


def test_the_old_key_works_for_the_grace_period_only(lettr_server, lettr):
    old = lettr.post("/api-keys", json={"name": "ci", "permissions": ["emails:send"]}).json()
    new = lettr.post(f"/api-keys/{old['id']}/rotate", json={"gracePeriodSeconds": 3600}).json()
    email = {"from": "hello@example.com", "to": "ada@example.com", "subject": "Hi", "text": "Hello"}

    def send_with(key):
        return httpx.post(lettr_server.v1_url + "/emails", json=email,
                          headers={"Authorization": f"Bearer {key}"}).status_code

    assert send_with(old["key"]) == 200 and send_with(new["key"]) == 200
    lettr_server.clock.advance(hours=1)
    assert send_with(old["key"]) == 401 and send_with(new["key"]) == 200


# -- webhook-verification.md ---------------------------------------------------------------------
def webhook_handler(secret, now):
    """A WSGI endpoint that accepts only deliveries signed with ``secret``."""
    def app(environ, start_response):
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        try:
            verify_webhook(body, environ.get("HTTP_LETTR_SIGNATURE"), secret, now=now())
        except WebhookVerificationError:
            start_response("400 Bad Request", [("Content-Type", "text/plain")])
            return [b"rejected"]
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]
    return app


def test_the_handler_refuses_forgeries(lettr_server, lettr_webhooks):
    app = webhook_handler(lettr_webhooks.secret, now=lettr_server.clock.timestamp)
    good = lettr_webhooks.request("email.bounced")
    assert lettr_webhooks.deliver(good, to=app).status_code == 200
    for name, bad in lettr_webhooks.bad_twins(good).items():
        assert lettr_webhooks.deliver(bad, to=app).status_code == 400, name


# -- two-factor-and-sso.md -----------------------------------------------------------------------
def test_the_team_requires_two_factor_authentication(lettr_server, lettr):
    response = lettr.patch("/team/settings", json={"require2FA": True})
    assert response.json()["require2FA"] is True
    assert lettr_server.audit_log[-1].action == "team.settings_updated"


def test_sso_needs_the_enterprise_plan(lettr):
    response = lettr.patch("/team/settings", json={"ssoEnabled": True, "ssoProvider": "okta"})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "plan_required"


@pytest.mark.lettr(plan="enterprise")
def test_sso_with_okta_on_enterprise(lettr):
    response = lettr.patch("/team/settings", json={"ssoEnabled": True, "ssoProvider": "okta"})
    assert response.json()["ssoEnabled"] is True


def test_roles_follow_the_matrix(lettr_server):
    team = lettr_server.team
    assert team.can("developer", "api-keys:create") and not team.can("developer", "team:write")
    assert team.can("analyst", "audit-logs:read") and not team.can("analyst", "emails:send")
    assert not team.can("admin", "billing:manage")


# -- sensitive-data.md ---------------------------------------------------------------------------
def send_password_reset(address, link):
    """The app under test: a reset email carries a link, never the password."""
    httpx.post(
        os.environ["LETTR_BASE_URL"] + "/emails",
        headers={"Authorization": f"Bearer {os.environ['LETTR_API_KEY']}"},
        json={"from": "hello@example.com", "to": address, "subject": "Reset your password",
              "html": f'<a href="{link}">Choose a new password</a>', "metadata": {"userId": "user_123"}},
    ).raise_for_status()


@pytest.mark.lettr(sensitive_data="error")
def test_the_reset_email_carries_no_secret(lettr_env):
    send_password_reset("ada@example.com", "https://app.example.com/reset?token=opaque")
    lettr_env.assert_sent(to="ada@example.com", subject="Reset your password")


@pytest.mark.lettr(sensitive_data="error")
def test_a_password_in_clear_is_refused(lettr):
    response = lettr.post("/emails", json={"from": "hello@example.com", "to": "ada@example.com",
                                           "subject": "Welcome", "text": "Your password is Xk9#mP2q"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "sensitive_data"
    assert response.json()["error"]["param"] == "text"


def test_the_guard_warns_by_default(lettr):
    with pytest.warns(LettrSensitiveDataWarning, match="'metadata.card'.*card_number"):
        lettr.post("/emails", json={"from": "hello@example.com", "to": "ada@example.com",
                                    "subject": "Receipt", "text": "Thanks!",
                                    "metadata": {"card": "4111 1111 1111 1111"}})


# -- monitoring.md -------------------------------------------------------------------------------
def volume_alert(client):
    """The app's check: is today's volume over twice the daily average of the 29 days before?"""
    days = client.get("/analytics").json()["data"]  # the last 30 days, today last
    *past, today = days
    average = sum(day["sent"] for day in past) / len(past)
    return today["sent"] > 2 * average


def test_alert_when_todays_volume_spikes(lettr_server, lettr):
    lettr_server.clock.freeze()  # "today" must not change while the test runs
    lettr_server.seed_history(days=29, per_day=100)

    def send(count):
        email = {"from": "hello@example.com", "to": "ada@example.com", "subject": "Hi", "text": "Hello"}
        lettr.post("/emails/batch", json={"emails": [email] * count}).raise_for_status()

    send(100)
    send(100)
    assert not volume_alert(lettr)  # 200 is not over twice 100
    send(1)
    assert volume_alert(lettr)


def test_bounce_rate_from_stats(lettr_server, lettr):
    lettr_server.clock.freeze()
    sent = lettr.post("/emails/batch", json={"emails": [
        {"from": "hello@example.com", "to": f"user{i}@example.com", "subject": "Hi", "text": "Hello"}
        for i in range(20)
    ]}).json()["data"]
    for email in sent[:19]:
        lettr_server.simulate(email["id"], "delivered")
    lettr_server.simulate(sent[19]["id"], "bounced", bounce_type="hard")

    stats = lettr.get("/stats", params={"period": "today"}).json()
    assert (stats["sent"], stats["bounced"], stats["bounceRate"]) == (20, 1, 5.0)


# -- audit-review.md -----------------------------------------------------------------------------
def test_key_changes_are_in_the_audit_log(lettr):
    key = lettr.post("/api-keys", json={"name": "ci", "permissions": ["emails:send"]}).json()
    rotated = lettr.post(f"/api-keys/{key['id']}/rotate").json()

    entries = lettr.get("/audit-logs", params={"resourceType": "api_key"}).json()["data"]
    assert [e["action"] for e in entries] == ["api_key.rotated", "api_key.created"]
    assert all(e["ipAddress"] == "127.0.0.1" and e["userAgent"].startswith("python-httpx") for e in entries)
    assert key["key"] not in json.dumps(entries) and rotated["key"] not in json.dumps(entries)


def test_failed_authentication_is_recorded(lettr_server, lettr):
    httpx.get(lettr_server.v1_url + "/emails", headers={"Authorization": "Bearer le_" + "x" * 36})

    failed = lettr.get("/audit-logs", params={"action": "auth.failed"}).json()["data"]
    assert failed[0]["metadata"]["keyPrefix"] == "le_xxxx"
    assert failed[0]["metadata"]["reason"] == "unauthorized"


def test_todays_entries_only(lettr_server, lettr):
    lettr_server.clock.freeze()
    lettr.post("/domains", json={"name": "old.example.com"})
    lettr_server.clock.advance(days=1)
    lettr.post("/domains", json={"name": "new.example.com"})

    today = lettr_server.clock.now().date().isoformat()
    entries = lettr.get("/audit-logs", params={"startDate": today, "endDate": today}).json()["data"]
    assert [e["metadata"]["name"] for e in entries] == ["new.example.com"]


# -- sending-domains.md --------------------------------------------------------------------------
@pytest.mark.lettr(strict_domains=True)
def test_only_a_verified_domain_sends(lettr_server, lettr):
    domain = lettr.post("/domains", json={"name": "mail.example.com"}).json()
    lettr_server.fail_dns("mail.example.com", "dkim")

    checked = lettr.post(f"/domains/{domain['id']}/verify").json()
    assert checked["status"] == "pending" and checked["missingRecords"] == ["dkim"]
    email = {"from": "hello@mail.example.com", "to": "ada@example.com", "subject": "Hi", "text": "Hello"}
    assert lettr.post("/emails", json=email).json()["error"]["code"] == "invalid_from"

    lettr_server.fix_dns("mail.example.com", "dkim")
    assert lettr.post(f"/domains/{domain['id']}/verify").json()["status"] == "verified"
    assert lettr.post("/emails", json=email).status_code == 200


# -- docs and examples agree ---------------------------------------------------------------------
def doc_blocks() -> dict[str, list[str]]:
    return {page.name: BLOCK.findall(page.read_text()) for page in sorted(DOCS.glob("*.md"))}


def test_docs_and_examples_agree() -> None:
    source = Path(__file__).read_text()
    blocks = doc_blocks()
    assert len(blocks) >= 9, sorted(blocks)
    shown = "\n".join(block for page in blocks.values() for block in page)
    for page, page_blocks in blocks.items():
        for block in page_blocks:
            assert block in source, f"{page}: this example is not in {Path(__file__).name}:\n{block}"
    examples = [node.name for node in ast.parse(source).body
                if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")
                and node.name != "test_docs_and_examples_agree"]
    missing = [name for name in examples if f"def {name}(" not in shown]
    assert not missing, f"example tests not shown on any page: {missing}"
