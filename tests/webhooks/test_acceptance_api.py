"""Acceptance checks of the webhook and current-API issues, through the wire as a user drives them."""

from __future__ import annotations

import httpx
import pytest

from pytest_lettr import LettrServer


@pytest.mark.lettr(enforce_limits=True)  # the sandbox windows are enforced with the switch
def test_a_rate_limited_sandbox_request_still_reports_the_window_it_ran_out_of(
        lettr_server: LettrServer) -> None:
    lettr_server.clock.freeze()  # the windows are aligned to the minute
    lettr_server.sandbox.policy.per_minute = 2
    key = lettr_server.create_key(mode="sandbox").key
    with httpx.Client(base_url=lettr_server.api_url, headers={"Authorization": f"Bearer {key}"}) as http:
        assert [http.get("/domains").status_code for _ in range(2)] == [200, 200]
        refused = http.get("/domains")
    assert refused.status_code == 429 and refused.json()["error_code"] == "rate_limit_exceeded"
    assert refused.headers["X-RateLimit-Limit"] == "2"
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    reset = int(refused.headers["X-RateLimit-Reset"])
    assert reset - lettr_server.clock.timestamp() == int(refused.headers["Retry-After"])
