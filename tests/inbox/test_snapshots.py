"""``--lettr-snapshots DIR``: a page per failing test that used ``lettr_server``, nothing otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_lettr.inbox.snapshots import snapshot_name

TESTS = '''
import httpx

def _send(server, subject):
    httpx.post(server.v1_url + "/emails", headers={"Authorization": f"Bearer {server.admin_key}"},
               json={"from": "app@example.com", "to": ["ada@example.com"], "subject": subject,
                     "html": "<p>Body <script>alert(1)</script></p>", "text": "Body text"})

def test_fails(lettr_server):
    _send(lettr_server, "Welcome <Ada>")
    lettr_server.simulate(lettr_server.emails[0].id, "delivered")
    assert False

def test_passes(lettr_server):
    _send(lettr_server, "Fine")

def test_fails_without_the_server():
    assert False
'''


def test_a_failing_test_gets_a_page_of_its_outbox(pytester: pytest.Pytester, tmp_path: Path) -> None:
    pytester.makepyfile(test_app=TESTS)
    folder = tmp_path / "snapshots"
    result = pytester.runpytest("-p", "no:cacheprovider", f"--lettr-snapshots={folder}")
    result.assert_outcomes(passed=1, failed=2)
    (page,) = folder.iterdir()
    assert page.name == snapshot_name("test_app.py::test_fails")
    html = page.read_text()
    assert "Welcome &lt;Ada&gt;" in html and "ada@example.com" in html and "Body text" in html
    assert "email.delivered" in html and "<script>alert(1)" not in html  # the body sits escaped in srcdoc
    assert 'sandbox srcdoc="&lt;p&gt;Body &lt;script&gt;' in html
    assert "default-src 'none'" in html and "<script" not in html.replace("&lt;script", "")

