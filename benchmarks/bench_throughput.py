"""Throughput: ``POST /v1/emails`` through the whole mock vs a bare pytest-httpserver handler.

The same keep-alive httpx client, in another process, sends the same body to:

- **bare**: pytest-httpserver's ``HTTPServer`` as its ``httpserver`` fixture makes it
  (``127.0.0.1``, not threaded) with one ``expect_request(...).respond_with_json(static)``;
- **mock**: a :class:`~pytest_lettr.LettrServer` (key check, permission, validation, sensitive
  data scan, storage, ``email.sent`` event, webhook fan-out with no subscribers), fresh account
  per round;
- **transport** (reference only): the mock's HTTP server with the same static handler as bare.
"""

from __future__ import annotations

from bench_common import BENCH_DIR, Result, check, interleave, median, paired_ratio, python_subprocess
from pytest_httpserver import HTTPServer

from pytest_lettr import LettrServer
from pytest_lettr.httpserver import LettrHTTPServer

GOAL = ">= 0.75"
STATIC = {"id": "email_000000000000000000000000", "object": "email", "status": "sent"}


def _client(url: str, requests: int, key: str = "-") -> float:
    return float(python_subprocess([str(BENCH_DIR / "bench_client.py"), url, str(requests), key]))


def run(quick: bool = False) -> Result:
    rounds, requests = (3, 300) if quick else (15, 500)
    bare = HTTPServer(host="127.0.0.1", port=0)
    bare.expect_request("/v1/emails", method="POST").respond_with_json(STATIC)
    transport = LettrHTTPServer(host="127.0.0.1", port=0, threaded=True)
    transport.expect_request("/v1/emails", method="POST").respond_with_json(STATIC)
    mock = LettrServer(seed="bench")
    for server in (bare, transport, mock):
        server.start()
    try:
        def mock_round() -> float:
            mock.reset("throughput")
            rate = _client(mock.v1_url + "/emails", requests, mock.admin_key)
            assert len(mock.emails) == requests + 50
            return rate

        samples = interleave(rounds, {
            "bare": lambda: _client(bare.url_for("/v1/emails"), requests),
            "mock": mock_round,
            "transport": lambda: _client(transport.url_for("/v1/emails"), requests),
        })
    finally:
        for server in (bare, transport, mock):
            server.stop()
    ours, baseline = median(samples["mock"]), median(samples["bare"])
    ratio = paired_ratio(samples["mock"], samples["bare"])
    return Result(
        name="Throughput (POST /v1/emails, keep-alive client in another process)",
        metric="requests per second",
        ours_label="full mock",
        ours=ours,
        baseline_label="bare pytest-httpserver, static JSON",
        baseline=baseline,
        ratio=ratio,
        goal=GOAL,
        met=check(ratio, GOAL),
        samples=samples,
        extra={"mock's HTTP server, same static handler (reference)": f"{median(samples['transport']):.0f} req/s"},
        notes=[f"{rounds} rounds of {requests} requests (after 50 warm-up requests) per server, interleaved; "
               "the ratio is the median of the rounds' mock/bare ratios."],
    )
