"""No threads or sockets leak over a 1000-test session, nor over many servers started and stopped."""

from __future__ import annotations

import gc
import os
import ssl
import threading
import time

import httpx
import pytest

from pytest_lettr import LettrServer

INNER_CONFTEST = '''
import gc
import os
import threading
import time

import pytest

SAMPLES = {}


def counts():
    gc.collect()
    return threading.active_count(), len(os.listdir("/proc/self/fd"))


def settled():
    """Counts once connection threads of closed clients have ended (they exit on EOF)."""
    last = counts()
    for _ in range(250):
        time.sleep(0.02)
        now = counts()
        if now == last:
            return now
        last = now
    return last


@pytest.fixture(autouse=True)
def sample(request):
    yield
    n = request.node.callspec.params.get("n") if hasattr(request.node, "callspec") else None
    if n in (199, 999):
        SAMPLES[n] = settled()
'''

INNER_TESTS = '''
import ssl
import urllib.request

import httpx
import pytest
import requests

from conftest import SAMPLES

PLAIN = ssl.create_default_context()
KEPT = httpx.Client(verify=PLAIN)  # one client for the whole session: its connection is reused
SEND = {"from": "a@example.com", "to": "b@example.com", "subject": "s", "text": "t"}


def _auth(server):
    return {"Authorization": f"Bearer {server.admin_key}"}


@pytest.mark.parametrize("n", range(1000))
def test_tiny(lettr_server, n):
    way = n % 5
    if way == 0:
        with httpx.Client(verify=PLAIN) as client:
            response = client.post(lettr_server.v1_url + "/emails", json=SEND, headers=_auth(lettr_server))
            assert response.status_code == 200
    elif way == 1:
        with requests.Session() as session:
            assert session.get(lettr_server.v1_url + "/emails", headers=_auth(lettr_server)).status_code == 200
    elif way == 2:
        assert KEPT.get(lettr_server.v1_url + "/api-keys", headers=_auth(lettr_server)).status_code == 200
    elif way == 3:
        request = urllib.request.Request(lettr_server.v1_url + "/emails", headers=_auth(lettr_server))
        with urllib.request.urlopen(request) as response:
            assert response.status == 200
    else:
        assert KEPT.get(lettr_server.v1_url + "/nope", headers=_auth(lettr_server)).status_code == 404


@pytest.mark.lettr(https=True)
@pytest.mark.parametrize("n", range(0, 1000, 50))
def test_tiny_over_tls(lettr_server, n):
    context = ssl.create_default_context(cafile=lettr_server.ca_bundle)
    with httpx.Client(verify=context) as client:
        assert client.get(lettr_server.v1_url + "/emails", headers=_auth(lettr_server)).status_code == 200


def test_zz_nothing_leaked():
    (threads_early, fds_early), (threads_late, fds_late) = SAMPLES[199], SAMPLES[999]
    assert threads_late <= threads_early, (threads_early, threads_late)
    assert fds_late <= fds_early, (fds_early, fds_late)
'''


def test_a_thousand_tests_leak_no_threads_or_sockets(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(INNER_CONFTEST)
    pytester.makepyfile(test_tiny=INNER_TESTS)
    result = pytester.runpytest_subprocess("-p", "no:randomly", "-p", "no:cacheprovider", "-p", "no:xdist", "-q",
                                           "-W", "error::ResourceWarning")
    result.assert_outcomes(passed=1000 + 20 + 1)


def _settled_counts(baseline: tuple[int, int]) -> tuple[int, int]:
    """Thread and fd counts, after giving closed connections' threads a moment to end."""
    counts = baseline
    for _ in range(250):
        gc.collect()
        counts = (threading.active_count(), len(os.listdir("/proc/self/fd")))
        if counts <= baseline:
            break
        time.sleep(0.02)
    return counts


def test_starting_and_stopping_servers_leaks_nothing() -> None:
    gc.collect()
    baseline = (threading.active_count(), len(os.listdir("/proc/self/fd")))
    for i in range(30):
        server = LettrServer(seed=i, https=i % 3 == 0).start()
        context = ssl.create_default_context(cafile=server.ca_bundle)
        client = httpx.Client(verify=context)
        assert client.get(server.v1_url + "/emails",
                          headers={"Authorization": f"Bearer {server.admin_key}"}).status_code == 200
        server.stop()  # with the client's kept-alive connection still open
        client.close()
    assert _settled_counts(baseline) <= baseline
