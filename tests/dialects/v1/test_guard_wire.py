"""The sensitive-data guard on the wire: warn (default), error (400 ``sensitive_data``), off,
and the ``--lettr-sensitive-data`` option and ``lettr_sensitive_data`` ini setting."""

from __future__ import annotations

import warnings
from typing import Any

import httpx
import pytest

from pytest_lettr import LettrSensitiveDataWarning, LettrServer

pytest_plugins = ["pytester"]

#: Inner runs leave out plugins that only cost time to re-import in process.
INNER = ("-p", "no:randomly", "-p", "no:hypothesispytest", "-p", "no:xdist")

API_KEY = "le_" + "a1B2c3D4e5" * 3 + "f6G7h8"
BASE = {"from": "app@example.com", "to": "ada@example.com", "subject": "Hello", "text": "Hi Ada"}

#: (fields to put in the email, param of the 400, or None when nothing must be found)
CASES: dict[str, tuple[dict[str, Any], str | None]] = {
    "password in html": ({"html": "<p>Your password is <b>Xk9#mP2q</b></p>"}, "html"),
    "password after a colon": ({"text": "password: hunter22"}, "text"),
    "temporary password in the subject": ({"subject": "Your temporary password Tr0ub4dor"}, "subject"),
    "passcode": ({"text": "Your passcode is 884213"}, "text"),
    "US SSN": ({"text": "SSN 123-45-6789"}, "text"),
    "card number with spaces": ({"text": "Card 4111 1111 1111 1111"}, "text"),
    "card number in a table cell": ({"html": "<td>4111-1111-1111-1111</td>"}, "html"),
    "password-named metadata key": ({"metadata": {"tempPassword": "abc123!"}}, "metadata.tempPassword"),
    "API key in metadata": ({"metadata": {"note": API_KEY}}, "metadata.note"),
    "API key in a link": ({"html": f'<a href="https://x.example/?k={API_KEY}">x</a>'}, "html"),
    "current-API key": ({"text": "use lttr_" + "b" * 40}, "text"),
    "webhook secret": ({"text": "secret whsec_" + "A" * 32}, "text"),
    "reset link": ({"html": '<a href="https://x.example/reset">Reset your password</a>'}, None),
    "forgot password": ({"subject": "Forgot password?"}, None),
    "opaque user id": ({"metadata": {"userId": "user_123"}}, None),
    "opaque order reference": ({"metadata": {"orderRef": "order_4111111111111111"}}, None),
    "phone number": ({"text": "Call +1 (555) 123-4567"}, None),
    "date": ({"text": "Due 2024-01-15"}, None),
    "UUID": ({"text": "Ref 123e4567-e89b-12d3-a456-426614174000"}, None),
    "template placeholder": ({"text": "password: {{password}}"}, None),
    "masked password": ({"text": "password: ********"}, None),
    "card number failing Luhn": ({"text": "4111 1111 1111 1112"}, None),
    "invalid SSN area": ({"text": "SSN 000-12-3456"}, None),
    "bare nine digits": ({"text": "Account 123456789"}, None),
}


def guard_warnings(caught: list[warnings.WarningMessage]) -> list[str]:
    return [str(w.message) for w in caught if issubclass(w.category, LettrSensitiveDataWarning)]


@pytest.mark.lettr(sensitive_data="error")
@pytest.mark.parametrize(("fields", "param"), CASES.values(), ids=CASES.keys())
def test_error_mode_table(client: httpx.Client, lettr_server: LettrServer, fields: dict[str, Any],
                          param: str | None) -> None:
    response = client.post("/emails", json={**BASE, **fields})
    if param is None:
        assert response.status_code == 200, response.text
        lettr_server.assert_sent(count=1)
        return
    assert response.status_code == 400
    body = response.json()
    assert body["error"]["code"] == "sensitive_data" and body["error"]["param"] == param
    assert API_KEY not in response.text and "hunter22" not in response.text and "123-45-6789" not in response.text
    assert len(lettr_server.emails) == 0


@pytest.mark.parametrize(("fields", "param"), CASES.values(), ids=CASES.keys())
def test_warn_mode_table(client: httpx.Client, lettr_server: LettrServer, fields: dict[str, Any],
                         param: str | None) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        response = client.post("/emails", json={**BASE, **fields})
    assert response.status_code == 200
    found = guard_warnings(caught)
    if param is None:
        assert found == []
    else:
        assert found and f"'{param}'" in found[0]
    lettr_server.assert_sent(count=1)


def test_the_warning_names_the_field_and_the_rule_never_the_secret(client: httpx.Client,
                                                                   lettr_server: LettrServer) -> None:
    with pytest.warns(LettrSensitiveDataWarning, match=r"'text' .*\(ssn: \*\*\*-\*\*-6789\)") as record:
        response = client.post("/emails", json={**BASE, "text": "Your SSN is 123-45-6789"})
    assert response.status_code == 200
    message = str(record[0].message)
    assert response.json()["id"] in message and "123-45" not in message


def test_every_finding_warns(client: httpx.Client) -> None:
    with pytest.warns(LettrSensitiveDataWarning) as record:
        client.post("/emails", json={**BASE, "subject": "password: S3cret!x", "metadata": {"key": API_KEY}})
    messages = [str(w.message) for w in record if issubclass(w.category, LettrSensitiveDataWarning)]
    assert any("'subject'" in m and "password" in m for m in messages)
    assert any("'metadata.key'" in m and "lettr_api_key" in m for m in messages)


@pytest.mark.lettr(sensitive_data="error")
def test_error_mode_in_a_batch_names_the_item(client: httpx.Client, lettr_server: LettrServer) -> None:
    response = client.post("/emails/batch", json={"emails": [BASE, {**BASE, "text": "SSN 123-45-6789"}]})
    assert response.status_code == 400
    assert response.json()["error"] == {"code": "sensitive_data", "param": "emails.1.text",
                                        "message": response.json()["error"]["message"]}
    assert "ssn" in response.json()["error"]["message"]
    assert len(lettr_server.emails) == 0  # nothing of the batch is sent


@pytest.mark.lettr(sensitive_data="off")
def test_off_disables_the_guard(client: httpx.Client, lettr_server: LettrServer) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        response = client.post("/emails", json={**BASE, "text": "password: hunter22, card 4111111111111111"})
    assert response.status_code == 200 and guard_warnings(caught) == []
    lettr_server.assert_sent(text_contains="hunter22")


def test_an_unknown_marker_mode_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("""
        import pytest

        @pytest.mark.lettr(sensitive_data="loud")
        def test_x(lettr_server):
            pass
    """)
    result = pytester.runpytest_inprocess(*INNER)
    result.stdout.fnmatch_lines(["*sensitive_data=...) must be one of warn, error, off*"])


# -- the command-line option and the ini setting ------------------------------------------------
SEND_TEST = """
    import warnings
    import httpx
    import pytest
    from pytest_lettr import LettrSensitiveDataWarning

    BODY = {"from": "a@example.com", "to": "b@example.com", "subject": "Hi",
             "text": "Your temporary password is Xk9#mP2q"}

    def send(server):
        return httpx.post(server.v1_url + "/emails", json=BODY,
                          headers={"Authorization": "Bearer " + server.admin_key})

    def test_default_mode(lettr_server):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            response = send(lettr_server)
        found = [w for w in caught if issubclass(w.category, LettrSensitiveDataWarning)]
        print("STATUS", response.status_code, "WARNINGS", len(found),
              response.json().get("error", {}).get("param"))

    @pytest.mark.lettr(sensitive_data="warn")
    def test_marker_wins(lettr_server):
        with pytest.warns(LettrSensitiveDataWarning):
            assert send(lettr_server).status_code == 200
"""


@pytest.mark.parametrize(("args", "ini", "expected"), [
    ((), None, "STATUS 200 WARNINGS 1 None"),
    (("--lettr-sensitive-data=error",), None, "STATUS 400 WARNINGS 0 text"),
    (("--lettr-sensitive-data=off",), None, "STATUS 200 WARNINGS 0 None"),
    ((), "error", "STATUS 400 WARNINGS 0 text"),
    ((), "off", "STATUS 200 WARNINGS 0 None"),
    (("--lettr-sensitive-data=warn",), "error", "STATUS 200 WARNINGS 1 None"),
])
def test_option_and_ini(pytester: pytest.Pytester, args: tuple[str, ...], ini: str | None, expected: str) -> None:
    if ini is not None:
        pytester.makeini(f"[pytest]\nlettr_sensitive_data = {ini}\n")
    pytester.makepyfile(SEND_TEST)
    result = pytester.runpytest_inprocess("-s", *INNER, *args)
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines([f"*{expected}*"])


def test_a_bad_ini_value_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nlettr_sensitive_data = shout\n")
    pytester.makepyfile("def test_x():\n    pass\n")
    result = pytester.runpytest_inprocess(*INNER)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*lettr_sensitive_data must be one of warn, error, off*"])


def test_a_bad_option_value_is_refused(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_x():\n    pass\n")
    result = pytester.runpytest_inprocess(*INNER, "--lettr-sensitive-data=shout")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*invalid choice*"])
