"""``--lettr-permissions-report``: keys holding more than they used, keys due for rotation."""

from __future__ import annotations

import pytest

from pytest_lettr.report import PermissionsReport
from pytest_lettr.state import Account

pytest_plugins = ["pytester"]

INNER = ("-p", "no:randomly", "-p", "no:hypothesispytest")

TESTS = """
    import httpx
    import pytest

    SEND = {"from": "app@example.com", "to": "ada@example.com", "subject": "Hi", "text": "Hello"}

    def client(server, key):
        return httpx.Client(base_url=server.v1_url, headers={"Authorization": "Bearer " + key})

    def test_app_sends_with_the_admin_key(lettr_server):
        assert client(lettr_server, lettr_server.admin_key).post("/emails", json=SEND).status_code == 200

    def test_app_reads_stats_with_the_admin_key(lettr_server):
        with client(lettr_server, lettr_server.admin_key) as http:
            assert http.get("/stats").status_code == 200
            assert http.post("/emails", json=SEND).status_code == 200

    def test_a_key_with_exactly_what_it_needs(lettr_server):
        key = lettr_server.create_key("mailer", permissions=["emails:send"])
        assert client(lettr_server, key.key).post("/emails", json=SEND).status_code == 200

    def test_a_wildcard_key(lettr_server):
        key = lettr_server.create_key("domain-bot", permissions=["domains:*", "emails:*"])
        with client(lettr_server, key.key) as http:
            created = http.post("/domains", json={"name": "example.com"}).json()
            assert http.post("/domains/" + created["id"] + "/verify").status_code == 200

    def test_an_unused_key_is_not_reported(lettr_server):
        lettr_server.create_key("spare", permissions=["*"])

    def test_an_old_key(lettr_server):
        lettr_server.create_key("legacy", permissions=["emails:send"])
        lettr_server.clock.advance(days=91)
"""


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    pytester.makepyfile(test_app=TESTS)
    result = pytester.runpytest_inprocess(*INNER, *args)
    result.assert_outcomes(passed=6)
    return result


def test_no_report_without_the_option(pytester: pytest.Pytester) -> None:
    result = run(pytester)
    assert "least-privilege" not in result.stdout.str()


def test_report_lists_over_privileged_keys_with_their_minimal_permissions(pytester: pytest.Pytester) -> None:
    result = run(pytester, "--lettr-permissions-report")
    result.stdout.fnmatch_lines([
        "*= Lettr least-privilege report =*",
        "Keys that hold more than their requests needed:",
        "  'Admin key' (2 tests, e.g. test_app.py::test_app_reads_stats_with_the_admin_key)",
        "    granted: *",
        "    used:    analytics:read, emails:send",
        '    create it with: ["emails:send", "analytics:read"]',
        "  'domain-bot' (test_app.py::test_a_wildcard_key)",
        "    granted: domains:*, emails:*",
        "    used:    domains:create, domains:update",
        '    create it with: ["domains:create", "domains:update"]',
        "Keys due for rotation (older than 90 days on the server clock):",
        "  'Admin key' (test_app.py::test_an_old_key): created *, rotation due since *",
        "  'legacy' (test_app.py::test_an_old_key): created *, rotation due since *",
    ])
    out = result.stdout.str()
    assert "'mailer'" not in out and "'spare'" not in out


def test_report_when_everything_is_minimal(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("""
        import httpx

        def test_minimal(lettr_server):
            key = lettr_server.create_key("reader", permissions=["analytics:read"])
            response = httpx.get(lettr_server.v1_url + "/stats", headers={"Authorization": "Bearer " + key.key})
            assert response.status_code == 200
    """)
    result = pytester.runpytest_inprocess(*INNER, "--lettr-permissions-report")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["Every key that made requests held only what they needed.",
                                 "No key is due for rotation."])


def test_a_key_whose_requests_were_all_refused(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("""
        import httpx

        def test_refused(lettr_server):
            key = lettr_server.create_key("wrong", permissions=["emails:send"])
            response = httpx.get(lettr_server.v1_url + "/stats", headers={"Authorization": "Bearer " + key.key})
            assert response.status_code == 403
    """)
    result = pytester.runpytest_inprocess(*INNER, "--lettr-permissions-report")
    result.stdout.fnmatch_lines(["  'wrong' (test_*.py::test_refused)",
                                 "    used:    (nothing: every request was refused)",
                                 "    create it with: []"])


def test_report_under_xdist(pytester: pytest.Pytester) -> None:
    result = run(pytester, "--lettr-permissions-report", "-n", "2")
    result.stdout.fnmatch_lines([
        "*= Lettr least-privilege report =*",
        "  'Admin key' (2 tests, e.g. test_app.py::test_app_reads_stats_with_the_admin_key)",
        "    used:    analytics:read, emails:send",
        "  'domain-bot' (test_app.py::test_a_wildcard_key)",
        "  'legacy' (test_app.py::test_an_old_key): created *, rotation due since *",
    ])


def test_collect_and_merge_round_trip() -> None:
    account = Account(seed="report")
    used = account.keys.create("used", ["emails:*"])
    used.api_key.last_used_at = account.clock.now()
    account.note_permission_used(used.id, "emails:send")
    report = PermissionsReport()
    report.collect(account, "t::a")
    merged = PermissionsReport()
    merged.merge(report.dumps())
    merged.merge(report.dumps())
    (usage,) = merged.over_privileged()
    assert (usage.name, usage.granted, usage.used, usage.tests) == ("used", ("emails:*",), {"emails:send"},
                                                                    ["t::a", "t::a"])
    assert usage.minimal == ["emails:send"]
    assert usage.excess == {"emails:read", "emails:list", "emails:delete"}
