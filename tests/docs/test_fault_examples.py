"""The examples docs/faults.md shows, run for real.

Every ```python block of that page appears in this file verbatim, and every example test here is
shown on the page: ``test_docs_and_examples_agree`` checks both ways.
"""

from __future__ import annotations

import ast
import re
import time
from pathlib import Path

import httpx
import lettr
import pytest

PAGE = Path(__file__).resolve().parents[2] / "docs" / "faults.md"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)


def send_with_retry(client, *, attempts=4, sleep=time.sleep, **email):
    """The app's code: retry server errors and rate limits with exponential backoff."""
    for attempt in range(attempts):
        try:
            return client.emails.send(**email)
        except (lettr.ServerError, lettr.RateLimitError):
            if attempt == attempts - 1:
                raise
            sleep(0.1 * 2 ** attempt)


def test_my_client_retries_503_with_backoff(lettr_server):
    outage = lettr_server.faults.add(method="POST", path="/api/emails", status=503, times=2)
    client = lettr.Lettr(lettr_server.admin_key, base_url=lettr_server.api_url)
    waits = []

    send_with_retry(client, sleep=waits.append, from_email="shop@example.com", to=["ada@example.com"],
                    subject="Receipt", text="Thanks")

    assert outage.hits == 2 and waits == [0.1, 0.2]
    lettr_server.assert_sent(count=1, to="ada@example.com")     # the two refused tries stored nothing


def post_honouring_retry_after(client, path, body, *, attempts=3, sleep=time.sleep):
    """The app's code: on 429 or 503, wait as long as the server asks, then try again."""
    for _ in range(attempts):
        response = client.post(path, json=body)
        if response.status_code not in (429, 503):
            return response
        sleep(int(response.headers.get("Retry-After", "1")))
    return response


def test_my_client_waits_as_long_as_retry_after_says(lettr_server):
    lettr_server.faults.add(method="POST", path="/v1/emails", status=429, retry_after=3, times=1)
    waits = []
    with httpx.Client(base_url=lettr_server.v1_url,
                      headers={"Authorization": f"Bearer {lettr_server.admin_key}"}) as client:
        response = post_honouring_retry_after(client, "/emails", {
            "from": "shop@example.com", "to": "ada@example.com", "subject": "Receipt", "text": "Thanks"},
            sleep=waits.append)
    assert response.status_code == 200 and waits == [3]


def test_a_timed_out_send_is_not_sent_twice(lettr_server):
    lettr_server.faults.add(method="POST", path="/api/emails", delay=5, after_commit=True, times=1)
    client = lettr.Lettr(lettr_server.admin_key, base_url=lettr_server.api_url, timeout=0.5)
    email = {"from_email": "shop@example.com", "to": ["ada@example.com"], "subject": "Receipt",
             "text": "Thanks", "idempotency_key": "order-1042"}

    with pytest.raises(lettr.LettrError, match="timed out"):     # the client gave up ...
        client.emails.send(**email)
    lettr_server.assert_sent(count=1, to="ada@example.com")      # ... but the email was sent

    retried = client.emails.send(**email)                        # the retry, with the same key
    assert retried.replayed
    lettr_server.assert_sent(count=1, to="ada@example.com")      # still one email


def test_a_lost_answer_is_retried_with_the_same_key(lettr_server):
    lettr_server.faults.add(method="POST", path="/api/emails", drop=True, after_commit=True, times=1)
    client = lettr.Lettr(lettr_server.admin_key, base_url=lettr_server.api_url)
    email = {"from_email": "shop@example.com", "to": ["ada@example.com"], "subject": "Receipt",
             "text": "Thanks", "idempotency_key": "order-1043"}

    with pytest.raises(lettr.LettrError):
        client.emails.send(**email)
    assert client.emails.send(**email).replayed
    lettr_server.assert_sent(count=1, to="ada@example.com")


def test_the_sync_job_survives_a_flaky_network(lettr_server):
    flaky = lettr_server.faults.add(path="/v1/emails", method="GET", status=502, probability=0.3)
    with httpx.Client(base_url=lettr_server.v1_url,
                      headers={"Authorization": f"Bearer {lettr_server.admin_key}"}) as client:
        statuses = [client.get("/emails").status_code for _ in range(20)]
    # The same statuses, in the same order, on every run with the same seed.
    assert set(statuses) <= {200, 502} and statuses.count(502) == flaky.hits


def test_docs_and_examples_agree() -> None:
    source = Path(__file__).read_text()
    blocks = BLOCK.findall(PAGE.read_text())
    assert len(blocks) >= 5
    for block in blocks:
        assert block in source, f"faults.md: this example is not in {Path(__file__).name}:\n{block}"
    shown = "\n".join(blocks)
    examples = [node.name for node in ast.parse(source).body
                if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")
                and node.name != "test_docs_and_examples_agree"]
    missing = [name for name in examples if f"def {name}(" not in shown]
    assert not missing, f"example tests not shown on the page: {missing}"
