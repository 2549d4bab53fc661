"""The plugin's surface: ``lettr_server``, ``lettr_env``, the ``lettr`` marker, ``--lettr-seed``,
``LettrServer`` on its own, and overriding one response with pytest-httpserver."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from pytest_lettr import Clock, EmailOutbox, LettrServer
from pytest_lettr.errors import InvalidParameter

V1 = Callable[..., httpx.Client]
EMAIL = {"from": "app@example.com", "to": "ada@example.com", "subject": "Hi", "text": "Hello"}


def inner(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    """Run pytest in-process on the files ``pytester`` made (without plugins that only slow it down)."""
    return pytester.runpytest("-p", "no:xdist", "-p", "no:hypothesispytest", *args)


# -- lettr_server ---------------------------------------------------------------------------------


def test_lettr_server_attributes(lettr_server: LettrServer) -> None:
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", lettr_server.url)
    assert lettr_server.v1_url == lettr_server.url + "/v1"
    assert lettr_server.api_url == lettr_server.url + "/api"
    assert re.fullmatch(r"le_[A-Za-z0-9]{36}", lettr_server.admin_key)
    assert isinstance(lettr_server.clock, Clock)
    assert isinstance(lettr_server.emails, EmailOutbox) and len(lettr_server.emails) == 0
    assert lettr_server.is_running() and lettr_server.httpserver.is_running()
    assert lettr_server.audit_log == [] and lettr_server.handler_errors == []
    assert lettr_server.admin_key not in repr(lettr_server)


def test_emails_reads_like_a_list_and_asserts(v1: V1, lettr_server: LettrServer) -> None:
    client = v1()
    client.post("/emails", json={**EMAIL, "subject": "Welcome, Ada"})
    client.post("/emails", json={**EMAIL, "to": ["bob@example.com"], "subject": "Receipt"})
    emails = lettr_server.emails
    assert len(emails) == 2 and emails[-1].subject == "Receipt" and [e.subject for e in emails[:1]] == ["Welcome, Ada"]
    assert emails.filter(to="BOB@example.com")[0].subject == "Receipt"
    found = lettr_server.assert_sent(to="ada@example.com", subject_contains="Welcome")
    assert found.sender == "app@example.com" and found.to == ["ada@example.com"]
    emails.assert_sent(count=2, from_="app@example.com")
    emails.assert_not_sent(to="carol@example.com")
    with pytest.raises(AssertionError, match=r"found 0\. Sent \(2\):\n  1\. to=\['ada@example.com'\]"):
        lettr_server.assert_sent(to="carol@example.com")
    with pytest.raises(AssertionError, match="expected 3 email"):
        emails.assert_sent(count=3)
    with pytest.raises(AssertionError, match="expected no email"):
        emails.assert_not_sent(subject="Receipt")


def test_assert_sent_on_an_empty_outbox_says_so(lettr_server: LettrServer) -> None:
    with pytest.raises(AssertionError, match="nothing was sent"):
        lettr_server.assert_sent()


def test_create_key_validates_like_the_api(lettr_server: LettrServer) -> None:
    key = lettr_server.create_key("ci", permissions=["emails:send"], ip_restrictions=["10.0.0.0/8"])
    assert key.key.startswith("le_") and key.permissions == ["emails:send"] and key.key not in repr(key)
    with pytest.raises(InvalidParameter):
        lettr_server.create_key(permissions=["emails:fly"])
    with pytest.raises(InvalidParameter):
        lettr_server.create_key(ip_restrictions=["10.0.0.1/8"])
    with pytest.raises(InvalidParameter):
        lettr_server.create_key(rate_limit={"requests": 5, "period": "day"})
    with pytest.raises(TypeError):
        lettr_server.create_key(domain_restrictions="example.com")


def test_helpers_change_what_the_api_does(v1: V1, lettr_server: LettrServer) -> None:
    client = v1()
    lettr_server.suppress("gone@example.com")
    assert client.post("/emails", json={**EMAIL, "to": "gone@example.com"}).json()["error"]["code"] == "suppressed"
    own = {**EMAIL, "from": "app@acme.io"}
    assert client.post("/emails", json=own).json()["error"]["code"] == "invalid_from"
    lettr_server.add_domain("acme.io")
    assert client.post("/emails", json=own).status_code == 200
    lettr_server.strict_domains = False
    assert client.post("/emails", json={**EMAIL, "from": "app@elsewhere.io"}).status_code == 200
    assert lettr_server.permissions_used(lettr_server.account.admin_key.id) == {"emails:send"}


def test_a_bug_in_the_mock_is_a_500_and_fails_the_test(v1: V1, lettr_server: LettrServer,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from pytest_lettr.dialects.v1 import emails

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(emails, "render_email", broken)
    response = v1().post("/emails", json=EMAIL)
    assert response.status_code == 500 and response.json()["error"]["code"] == "server_error"
    assert "RuntimeError: boom" in lettr_server.handler_errors[0]
    with pytest.raises(AssertionError, match="the Lettr mock failed"):
        lettr_server.check_handler_errors()
    assert lettr_server.handler_errors == []  # checked once: the fixture's own check passes


# -- reset ----------------------------------------------------------------------------------------

def test_reset_gives_a_fresh_account(v1: V1, lettr_server: LettrServer) -> None:
    old_admin = lettr_server.admin_key
    v1().post("/emails", json=EMAIL)
    key = lettr_server.create_key("old")
    lettr_server.suppress("ada@example.com")
    lettr_server.clock.advance(days=3)
    lettr_server.set_rate_limit(1)
    lettr_server.reset("another test")
    assert len(lettr_server.emails) == 0 and lettr_server.audit_log == []
    assert lettr_server.admin_key != old_admin and len(lettr_server.account.keys) == 1
    assert abs(lettr_server.clock.now() - datetime.now(timezone.utc)) < timedelta(minutes=1)
    for stale in (old_admin, key.key):
        response = httpx.get(lettr_server.v1_url + "/emails", headers={"Authorization": f"Bearer {stale}"})
        assert response.status_code == 401
    fresh = httpx.Client(base_url=lettr_server.v1_url, headers={"Authorization": f"Bearer {lettr_server.admin_key}"})
    with fresh:
        assert [fresh.post("/emails", json=EMAIL).status_code for _ in range(2)] == [200, 200]


def test_reset_is_deterministic_per_seed_material(lettr_server: LettrServer) -> None:
    first = lettr_server.reset("same").admin_key.key
    assert lettr_server.reset("same").admin_key.key == first
    assert lettr_server.reset("other").admin_key.key != first


def test_each_test_gets_a_fresh_account(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("""
        import httpx

        EMAIL = {"from": "a@example.com", "to": "b@example.com", "subject": "s", "text": "t"}
        seen = {}

        def test_first(lettr_server):
            seen["admin"] = lettr_server.admin_key
            seen["url"] = lettr_server.url
            httpx.post(lettr_server.v1_url + "/emails", json=EMAIL,
                       headers={"Authorization": f"Bearer {lettr_server.admin_key}"})
            lettr_server.create_key("leftover")
            lettr_server.clock.advance(days=30)
            assert len(lettr_server.emails) == 1

        def test_second(lettr_server):
            assert lettr_server.url == seen["url"]           # the same server ...
            assert lettr_server.admin_key != seen["admin"]   # ... a new account
            assert len(lettr_server.emails) == 0 and len(lettr_server.account.keys) == 1
            response = httpx.get(lettr_server.v1_url + "/emails",
                                 headers={"Authorization": f"Bearer {seen['admin']}"})
            assert response.status_code == 401
    """)
    inner(pytester).assert_outcomes(passed=2)


# -- lettr_env ------------------------------------------------------------------------------------

def app_sends_welcome(address: str) -> int:
    """A tiny "application" that reads its Lettr settings from the environment."""
    response = httpx.post(os.environ["LETTR_BASE_URL"] + "/emails",
                          headers={"Authorization": f"Bearer {os.environ['LETTR_API_KEY']}"},
                          json={"from": "app@example.com", "to": address, "subject": "Welcome", "text": "Hi"})
    return response.status_code


def test_lettr_env_points_the_app_at_the_mock(lettr_env: LettrServer) -> None:
    assert lettr_env.env_key is not None and os.environ["LETTR_API_KEY"] == lettr_env.env_key.key
    assert os.environ["LETTR_BASE_URL"] == lettr_env.v1_url
    assert os.environ["LETTR_API_BASE_URL"] == lettr_env.api_url
    assert app_sends_welcome("ada@example.com") == 200
    lettr_env.assert_sent(to="ada@example.com", subject="Welcome")


def test_lettr_env_is_undone_after_the_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("""
        import os

        def test_with(lettr_env):
            assert os.environ["LETTR_API_KEY"].startswith("le_")

        def test_without():
            assert "LETTR_API_KEY" not in os.environ
    """)
    inner(pytester).assert_outcomes(passed=2)


# -- the marker -----------------------------------------------------------------------------------

@pytest.mark.lettr(strict_domains=False, plan="enterprise")
def test_marker_account_options(v1: V1, lettr_server: LettrServer) -> None:
    assert lettr_server.strict_domains is False
    assert lettr_server.account.settings.plan == "enterprise"
    assert v1().post("/emails", json={**EMAIL, "from": "app@acme.io"}).status_code == 200


@pytest.mark.lettr(trust_forwarded_for=True)
def test_marker_trust_forwarded_for(v1: V1, lettr_server: LettrServer) -> None:
    assert lettr_server.options.trust_forwarded_for is True
    key = lettr_server.create_key("office", ip_restrictions=["198.51.100.0/24"])
    assert v1(key.key, headers={"X-Forwarded-For": "198.51.100.20"}).get("/emails").status_code == 200


@pytest.mark.lettr(rate_limit=(2, 60))
def test_marker_rate_limit(v1: V1, lettr_server: LettrServer) -> None:
    lettr_server.clock.freeze()
    client = v1()
    assert [client.get("/emails").status_code for _ in range(3)] == [200, 200, 429]


def test_defaults_without_a_marker(lettr_server: LettrServer) -> None:
    assert lettr_server.strict_domains is True and lettr_server.options.trust_forwarded_for is False
    assert list(lettr_server.domains) == []
    assert lettr_server.account.settings.plan == "pro" and lettr_server.account.rate_limiter.enabled is False


def test_marker_options_last_one_test_only(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("""
        import pytest

        pytestmark = pytest.mark.lettr(plan="free")

        @pytest.mark.lettr(trust_forwarded_for=True, rate_limit=(5, 1), plan="enterprise")
        def test_marked(lettr_server):
            assert lettr_server.options.trust_forwarded_for
            assert lettr_server.account.settings.plan == "enterprise"   # the closest marker wins

        def test_module_marker_only(lettr_server):
            assert not lettr_server.options.trust_forwarded_for
            assert not lettr_server.account.rate_limiter.enabled
            assert lettr_server.account.settings.plan == "free"
    """)
    inner(pytester).assert_outcomes(passed=2)


def test_bad_marker_options_are_usage_errors(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("""
        import pytest

        @pytest.mark.lettr(strict_domain=True)
        def test_typo(lettr_server):
            pass

        @pytest.mark.lettr("strict")
        def test_positional(lettr_server):
            pass
    """)
    result = inner(pytester)
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(["*unknown @pytest.mark.lettr option(s): strict_domain*",
                                 "*@pytest.mark.lettr takes keyword options only*"])


# -- --lettr-seed ---------------------------------------------------------------------------------

SEEDED_TEST = """
    import httpx

    def test_ids(lettr_server):
        sent = httpx.post(lettr_server.v1_url + "/emails",
                          headers={"Authorization": f"Bearer {lettr_server.admin_key}"},
                          json={"from": "a@example.com", "to": "b@example.com", "subject": "s", "text": "t"})
        print("IDS", lettr_server.admin_key, sent.json()["id"], lettr_server.create_key().id,
              lettr_server.account.owner.email)

    def test_other(lettr_server):
        print("OTHER", lettr_server.admin_key)
"""


def run_seeded(pytester: pytest.Pytester, *args: str) -> dict[str, str]:
    result = inner(pytester, "-s", *args)
    result.assert_outcomes(passed=2)
    found = {}
    for line in result.outlines:
        for tag in ("IDS", "OTHER"):
            if tag + " " in line:
                found[tag] = line[line.index(tag + " "):]
    return found


def test_seed_reproduces_every_id_key_and_faker_value(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(SEEDED_TEST)
    first = run_seeded(pytester, "--lettr-seed=7")
    assert run_seeded(pytester, "--lettr-seed=7") == first
    assert run_seeded(pytester, "--lettr-seed=8")["IDS"] != first["IDS"]
    assert first["IDS"].split()[1] != first["OTHER"].split()[1]  # each test has its own keys
    only_one = inner(pytester, "-s", "--lettr-seed=7", "-k", "test_ids")
    assert any(first["IDS"] in line for line in only_one.outlines)  # a test reproduces on its own


def test_seed_from_ini_and_report_header(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(SEEDED_TEST)
    from_cli = run_seeded(pytester, "--lettr-seed=31")
    pytester.makeini("[pytest]\nlettr_seed = 31\n")
    assert run_seeded(pytester) == from_cli
    result = inner(pytester)
    result.stdout.fnmatch_lines(["lettr: seed=31 (reproduce with --lettr-seed=31)"])


# -- LettrServer on its own -----------------------------------------------------------------------

def test_lettr_server_as_a_context_manager() -> None:
    admin = "le_" + "A1b2C3d4E5" * 3 + "F6g7H8"
    with LettrServer(seed=3, admin_key=admin) as server:
        assert server.is_running() and server.admin_key == admin
        with httpx.Client(base_url=server.v1_url, headers={"Authorization": f"Bearer {admin}"}) as client:
            assert client.post("/emails", json=EMAIL).status_code == 200
        server.assert_sent(to="ada@example.com")
        url = server.url
    assert not server.is_running()
    with pytest.raises(httpx.TransportError):
        httpx.get(url + "/v1/emails", timeout=2)


def test_standalone_servers_with_one_seed_agree() -> None:
    with LettrServer(seed=11) as one, LettrServer(seed=11) as two:
        assert one.url != two.url
        assert one.admin_key == two.admin_key
        assert one.create_key().key == two.create_key().key
    assert LettrServer(seed=12).admin_key != LettrServer(seed=11).admin_key


# -- overriding one response ----------------------------------------------------------------------

def test_oneshot_override_then_the_mock_answers_again(v1: V1, lettr_server: LettrServer) -> None:
    lettr_server.httpserver.expect_oneshot_request("/v1/emails", method="POST").respond_with_json(
        {"error": {"code": "server_error", "message": "injected"}}, status=500)
    client = v1()
    failed = client.post("/emails", json=EMAIL)
    assert failed.status_code == 500 and failed.json()["error"]["message"] == "injected"
    assert len(lettr_server.emails) == 0
    retried = client.post("/emails", json=EMAIL)
    assert retried.status_code == 200 and len(lettr_server.emails) == 1
    assert client.get("/emails").status_code == 200
    lettr_server.httpserver.check_assertions()
    logged = [(request.method, request.path) for request, _ in lettr_server.httpserver.log]
    assert logged == [("POST", "/v1/emails"), ("POST", "/v1/emails"), ("GET", "/v1/emails")]


def test_override_a_response_for_another_path_only(v1: V1, lettr_server: LettrServer) -> None:
    lettr_server.httpserver.expect_oneshot_request("/v1/emails", method="GET").respond_with_data(
        "upstream timeout", status=504)
    assert v1().post("/emails", json=EMAIL).status_code == 200  # other requests reach the mock
    assert v1().get("/emails").status_code == 504
    assert v1().get("/emails").json()["totalCount"] == 1
