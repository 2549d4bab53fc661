"""``lettr_client``: the official SDK client, built once per session, valid in every fresh account."""

from __future__ import annotations

import re

import lettr
import pytest

from pytest_lettr import LettrServer

SEEN: dict[str, object] = {}


def inner(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest("-p", "no:xdist", "-p", "no:hypothesispytest", *args)


@pytest.mark.parametrize("round_", [1, 2, 3])
def test_one_client_serves_every_test_with_a_fresh_account(lettr_client: lettr.Lettr, lettr_server: LettrServer,
                                                           round_: int) -> None:
    assert len(lettr_server.emails) == 0  # a fresh account, whatever the earlier rounds sent
    lettr_client.emails.send(from_email="shop@example.com", to=[f"ada{round_}@example.com"],
                             subject=f"Receipt {round_}", html="<p>Thanks!</p>")
    lettr_server.assert_sent(count=1, to=f"ada{round_}@example.com", subject=f"Receipt {round_}")
    assert SEEN.setdefault("client", lettr_client) is lettr_client
    key_id = next(k.id for k in lettr_server.account.keys if k.name == "lettr_client")
    assert SEEN.setdefault("key_id", key_id) == key_id  # the same key id in every account


def test_the_client_key_is_a_full_access_api_key(lettr_client: lettr.Lettr, lettr_server: LettrServer) -> None:
    key = lettr_server.pin_key("lettr_client")
    assert re.fullmatch(r"lttr_[A-Za-z0-9]{64}", key.key)
    assert key.api_key.permissions == ["*"] and key.api_key.owner_email == lettr_server.account.owner.email
    assert lettr_client.auth_check().team_id is not None
    assert lettr_server.audit_log == []  # installing it is not an action of the account
    domain = lettr_client.domains.create("mail.example.com")
    assert domain.domain == "mail.example.com"


def test_the_pinned_key_leaves_the_tests_other_ids_alone(lettr_server: LettrServer) -> None:
    before = lettr_server.create_key("probe").id
    lettr_server.reset("same-test")
    first = lettr_server.create_key("probe").id
    lettr_server.reset("same-test")
    lettr_server.pin_key("lettr_client")
    second = lettr_server.create_key("probe").id
    assert first == second and before != first


def test_a_test_without_the_client_has_no_client_key(lettr_server: LettrServer) -> None:
    # The rounds above pinned the key on this session's server; this account must not hold it.
    assert [k.name for k in lettr_server.account.keys.active()] == ["Admin key"]


def test_revoking_the_key_affects_only_this_test(lettr_client: lettr.Lettr, lettr_server: LettrServer) -> None:
    key = lettr_server.pin_key("lettr_client")
    lettr_server.account.keys.delete(key.id)
    with pytest.raises(lettr.AuthenticationError):
        lettr_client.emails.send(from_email="a@example.com", to=["b@example.com"], subject="x", text="y")
    lettr_server.reset("next-test")
    lettr_client.emails.send(from_email="a@example.com", to=["b@example.com"], subject="x", text="y")
    assert len(lettr_server.emails) == 1


@pytest.mark.lettr(https=True)
def test_over_https_the_client_is_bound_to_the_https_server(lettr_client: lettr.Lettr,
                                                            lettr_server: LettrServer) -> None:
    assert lettr_server.url.startswith("https://")
    lettr_client.emails.send(from_email="a@example.com", to=["b@example.com"], subject="tls", text="y")
    lettr_server.assert_sent(count=1, subject="tls")


def test_without_the_sdk_the_fixture_fails_clearly(pytester: pytest.Pytester) -> None:
    pytester.makeconftest("import sys\nsys.modules['lettr'] = None\n")
    pytester.makepyfile("def test_it(lettr_client):\n    pass\n")
    result = inner(pytester)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*the lettr_client fixture needs the official Lettr SDK: pip install lettr*"])


def test_the_key_is_the_same_for_the_same_seed(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("""
        def test_a(lettr_client, lettr_server):
            print("KEY", lettr_server.pin_key("lettr_client").key[:12], lettr_server.pin_key("lettr_client").id)
    """)

    def printed(seed: int) -> str:
        found = re.search(r"KEY (\S+ \S+)", inner(pytester, "-s", f"--lettr-seed={seed}").stdout.str())
        assert found is not None
        return found.group(1)

    assert printed(7) == printed(7) != printed(8)
