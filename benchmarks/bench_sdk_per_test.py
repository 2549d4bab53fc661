"""Per-test cost of the docs' first example: ``lettr_client`` vs respx's best case, same SDK call.

Three files, each run as its own ``python -m pytest`` process (CPU time, interleaved rounds):

- **plain**: 500 tests that do nothing (pytest's own cost per test);
- **respx**: the best case a respx user can reach: one ``lettr.Lettr`` client per module, and per
  test a ``respx.mock`` router with a route for ``POST /emails`` answering what Lettr answers,
  one ``client.emails.send(...)`` and a check that the route was called;
- **lettr_client**: each test sends the same email with ``lettr_client`` (a fresh account each
  test) and checks it with ``lettr_server.assert_sent``: the first example of the docs.

The extra time per test is ``(run - plain) / 500``; the target compares lettr_client's to respx's.
"""

from __future__ import annotations

from bench_common import Result, check
from bench_per_test import TESTS, per_test_costs

GOAL = "<= 1.2"
SEND = ('from_email="shop@example.com", to=["ada@example.com"], subject="Receipt", '
        'html="<p>Thanks!</p>"')

RESPX = f"""
import lettr
import pytest
import respx

CLIENT = lettr.Lettr("lttr_" + "x" * 40)
ANSWER = {{"message": "Email queued for delivery.",
          "data": {{"request_id": "54735333273090703067", "accepted": 1, "rejected": 0}}}}

@pytest.mark.parametrize("n", range({TESTS}))
def test_one(n):
    with respx.mock(base_url="https://app.lettr.com/api") as router:
        route = router.post("/emails").respond(200, json=ANSWER)
        CLIENT.emails.send({SEND})
        assert route.called
"""

LETTR = f"""
import pytest

@pytest.mark.parametrize("n", range({TESTS}))
def test_one(lettr_client, lettr_server, n):
    lettr_client.emails.send({SEND})
    lettr_server.assert_sent(to="ada@example.com", subject="Receipt")
"""


def run(quick: bool = False) -> Result:
    rounds = 2 if quick else 5
    samples, plain, per_test = per_test_costs({"with_respx": RESPX, "with_lettr_client": LETTR}, rounds)
    ratio = per_test["with_lettr_client"] / per_test["with_respx"]
    return Result(
        name=f"Per-test cost of the SDK example ({TESTS} tests, one send each, fresh pytest process)",
        metric="extra CPU milliseconds per test over an empty test",
        ours_label="lettr_client + lettr_server.assert_sent",
        ours=per_test["with_lettr_client"],
        baseline_label="respx, one client per module, a router per test",
        baseline=per_test["with_respx"],
        ratio=ratio,
        goal=GOAL,
        met=check(ratio, GOAL),
        samples={name: [round(s, 3) for s in values] for name, values in samples.items()},
        extra={"empty test run (500 tests)": f"{plain:.2f} s CPU"},
        notes=[f"{rounds} interleaved rounds of each run; CPU time (user + system) of the whole pytest process, "
               "its server threads included. The "
               "session-wide costs (the server, the one SDK client, Faker) are spread over the 500 tests."],
    )
