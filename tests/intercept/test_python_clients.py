"""Requests to Lettr's real hosts reach the fake over the wire, from every Python client, with no
code change; a user's own respx / responses mocks still win; the guard refuses the rest."""

from __future__ import annotations

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor

import httpx
import lettr
import pytest
import requests
import responses
import respx
import urllib3

from pytest_lettr import LettrServer
from pytest_lettr.intercept import RealLettrRequestBlocked, guarding

SEND = {"from": "app@example.com", "to": ["ada@example.com"], "subject": "Hi", "html": "<p>Hi</p>"}


def _admin(server: LettrServer) -> dict[str, str]:
    return {"Authorization": f"Bearer {server.admin_key}"}


def test_the_sdk_without_base_url_reaches_the_fake(lettr_server: LettrServer) -> None:
    client = lettr.Lettr(lettr_server.create_key("sdk", mode="api").key)  # the SDK's quickstart, verbatim
    sent = client.emails.send(from_email="app@example.com", to=["ada@example.com"], subject="Hi", html="<p>x</p>")
    assert sent.accepted == 1
    email = lettr_server.assert_sent(to="ada@example.com", subject="Hi")
    assert email.request_id == sent.request_id
    assert lettr_server.httpserver.log[-1][0].host == "app.lettr.com"  # over the wire, Host unchanged


def test_httpx_sync_and_async(lettr_server: LettrServer) -> None:
    sync = httpx.post("https://app.lettr.com/api/emails", json=SEND, headers=_admin(lettr_server))
    assert sync.status_code == 200, sync.text

    async def send() -> httpx.Response:
        async with httpx.AsyncClient(base_url="https://api.lettr.dev/v1", headers=_admin(lettr_server)) as client:
            return await client.post("/emails", json={**SEND, "subject": "async"})

    with ThreadPoolExecutor(1) as pool:  # a loop of its own, whatever loop this thread may hold
        answer = pool.submit(asyncio.run, send()).result()
    assert answer.status_code == 200 and answer.json()["id"].startswith("email_")
    assert [e.subject for e in lettr_server.emails] == ["Hi", "async"]


def test_requests_and_urllib3(lettr_server: LettrServer) -> None:
    with requests.Session() as session:
        sent = session.post("https://api.lettr.dev/v1/emails", json=SEND, headers=_admin(lettr_server))
    assert sent.status_code == 200, sent.text
    listed = urllib3.request("GET", "https://api.lettr.dev/v1/emails", headers=_admin(lettr_server))
    assert listed.status == 200 and listed.json()["data"][0]["id"] == sent.json()["id"]


def test_other_hosts_are_left_alone(lettr_server: LettrServer) -> None:
    answer = httpx.get(lettr_server.url + "/v1/emails", headers=_admin(lettr_server))
    assert answer.status_code == 200
    with pytest.raises(httpx.ConnectError):
        httpx.get("http://127.0.0.1:9/", timeout=2)  # not redirected anywhere


def test_respx_mocks_win_and_pass_through_reaches_the_fake(lettr_server: LettrServer) -> None:
    with respx.mock(assert_all_called=False) as mock:
        mock.get("https://app.lettr.com/api/domains").respond(json={"mocked": True})
        mock.route(host="app.lettr.com").pass_through()
        assert httpx.get("https://app.lettr.com/api/domains").json() == {"mocked": True}
        sent = httpx.post("https://app.lettr.com/api/emails", json=SEND, headers=_admin(lettr_server))
    assert sent.status_code == 200 and len(lettr_server.emails) == 1


def test_responses_mocks_win_and_pass_through_reaches_the_fake(lettr_server: LettrServer) -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.get("https://api.lettr.dev/v1/domains", json={"mocked": True})
        mock.add_passthru("https://api.lettr.dev/v1/emails")
        assert requests.get("https://api.lettr.dev/v1/domains").json() == {"mocked": True}
        sent = requests.post("https://api.lettr.dev/v1/emails", json=SEND, headers=_admin(lettr_server))
    assert sent.status_code == 200 and len(lettr_server.emails) == 1


@pytest.mark.lettr(intercept=False)
def test_the_marker_turns_interception_off_and_the_guard_refuses(lettr_server: LettrServer) -> None:
    assert guarding()
    for call in (lambda: httpx.get("https://app.lettr.com/api/domains"),
                 lambda: requests.get("https://api.lettr.dev/v1/emails"),
                 lambda: urllib3.request("GET", "https://APP.LETTR.COM./api")):
        with pytest.raises(RealLettrRequestBlocked, match="lettr_allow_real_requests"):
            call()
    assert len(lettr_server.httpserver.log) == 0


def test_outside_any_fake_the_guard_refuses_at_once() -> None:
    with pytest.raises(RealLettrRequestBlocked, match="LettrServer\\(intercept=True\\)"):
        lettr.Lettr("lttr_" + "x" * 40).emails.send(from_email="a@example.com", to=["b@example.com"],
                                                     subject="s", html="<p>x</p>")


def test_a_standalone_server_intercepts_while_it_runs() -> None:
    with LettrServer(intercept=True, smtp=False) as server:
        assert httpx.get("https://api.lettr.dev/v1/emails", headers=_admin(server)).status_code == 200
    with pytest.raises(RealLettrRequestBlocked):
        httpx.get("https://api.lettr.dev/v1/emails")


def test_nested_fakes_the_innermost_takes_the_requests(lettr_server: LettrServer) -> None:
    with LettrServer(intercept=True, smtp=False) as inner:
        httpx.post("https://api.lettr.dev/v1/emails", json=SEND, headers=_admin(inner))
        assert (len(inner.emails), len(lettr_server.emails)) == (1, 0)
    httpx.post("https://api.lettr.dev/v1/emails", json=SEND, headers=_admin(lettr_server))
    assert len(lettr_server.emails) == 1


def test_lettr_env_gives_a_send_only_key(lettr_env: LettrServer) -> None:
    key = os.environ["LETTR_API_KEY"]
    headers = {"Authorization": f"Bearer {key}"}
    assert httpx.post("https://api.lettr.dev/v1/emails", json=SEND, headers=headers).status_code == 200
    assert httpx.get("https://api.lettr.dev/v1/emails", headers=headers).status_code == 403
    assert lettr_env.env_key is not None and lettr_env.env_key.api_key.permissions == ["emails:send"]


@pytest.mark.lettr(env_permissions=["emails:send", "emails:read"])
def test_the_marker_widens_the_lettr_env_key(lettr_env: LettrServer) -> None:
    headers = {"Authorization": f"Bearer {os.environ['LETTR_API_KEY']}"}
    assert httpx.get("https://api.lettr.dev/v1/emails", headers=headers).status_code == 200
