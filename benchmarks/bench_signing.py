"""Webhook signing: ``sign_webhook`` + ``verify_webhook`` vs the raw HMAC they are built on.

10,000 realistic event payloads (300-900 bytes of JSON). Per payload:

- **ours**: ``header = sign_webhook(body, secret, timestamp=t)`` then
  ``verify_webhook(body, header, secret, now=t)`` (which also parses and returns the event);
- **raw**: the same two HMACs by hand, ``hmac.new(key, b"%d." % t + body, sha256).hexdigest()`` to
  sign and again + ``hmac.compare_digest`` to verify (signing and verifying each need one HMAC);
- references: one bare ``hexdigest`` per payload, and raw + ``json.loads`` (what verify also does).

The ratio is throughput, ours / raw (higher is better).
"""

from __future__ import annotations

import hmac
import json
import time
from hashlib import sha256

from bench_common import Result, check, interleave, median, paired_ratio

from pytest_lettr.webhooks.signing import sign_webhook, verify_signature, verify_webhook

GOAL = ">= 0.8"
SECRET = "whsec_" + "k" * 32
TIMESTAMP = 1_767_225_600
RAW_VERIFY = "raw verify (hexdigest + compare_digest)"


def payloads(count: int) -> list[bytes]:
    bodies = []
    for i in range(count):
        event = {
            "id": f"evt_{i:024d}",
            "type": "email.delivered" if i % 3 else "email.sent",
            "createdAt": "2026-01-01T00:00:00Z",
            "data": {
                "emailId": f"email_{i:024d}",
                "from": "Shop <orders@shop.example.com>",
                "to": [f"customer{i}@example.com"],
                "subject": f"Your order #{i} has shipped" + " (express)" * (i % 40),
                "metadata": {"order": str(i), "region": "eu"},
            },
        }
        bodies.append(json.dumps(event, separators=(",", ":")).encode())
    return bodies


def _time(fn: object, bodies: list[bytes]) -> float:
    started = time.perf_counter()
    fn(bodies)  # type: ignore[operator]
    return len(bodies) / (time.perf_counter() - started)


def ours(bodies: list[bytes]) -> None:
    for body in bodies:
        header = sign_webhook(body, SECRET, timestamp=TIMESTAMP)
        verify_webhook(body, header, SECRET, now=TIMESTAMP)


def raw(bodies: list[bytes]) -> None:
    key = SECRET.encode()
    for body in bodies:
        signature = hmac.new(key, b"%d." % TIMESTAMP + body, sha256).hexdigest()
        expected = hmac.new(key, b"%d." % TIMESTAMP + body, sha256).hexdigest()
        if not hmac.compare_digest(expected, signature):
            raise AssertionError("raw signature mismatch")


def ours_boolean(bodies: list[bytes]) -> None:
    for body in bodies:
        header = sign_webhook(body, SECRET, timestamp=TIMESTAMP)
        if not verify_signature(body, header, SECRET, now=TIMESTAMP):
            raise AssertionError("verify_signature refused a good signature")


def sign_only(bodies: list[bytes]) -> None:
    for body in bodies:
        sign_webhook(body, SECRET, timestamp=TIMESTAMP)


HEADERS: dict[int, str] = {}


def verify_only(bodies: list[bytes]) -> None:
    for body in bodies:
        verify_webhook(body, HEADERS[id(body)], SECRET, now=TIMESTAMP)


def raw_verify(bodies: list[bytes]) -> None:
    key = SECRET.encode()
    for body in bodies:
        expected = hmac.new(key, b"%d." % TIMESTAMP + body, sha256).hexdigest()
        hmac.compare_digest(expected, HEADERS[id(body)][-64:])


def raw_once(bodies: list[bytes]) -> None:
    key = SECRET.encode()
    for body in bodies:
        hmac.new(key, b"%d." % TIMESTAMP + body, sha256).hexdigest()


def raw_and_parse(bodies: list[bytes]) -> None:
    raw(bodies)
    for body in bodies:
        json.loads(body)


def run(quick: bool = False) -> Result:
    bodies = payloads(2_000 if quick else 10_000)
    rounds = 3 if quick else 9
    ours(bodies[:100])  # check it works before timing
    HEADERS.update({id(body): sign_webhook(body, SECRET, timestamp=TIMESTAMP) for body in bodies})
    samples = interleave(rounds, {
        "ours": lambda: _time(ours, bodies),
        "sign_webhook + verify_signature": lambda: _time(ours_boolean, bodies),
        "raw": lambda: _time(raw, bodies),
        "raw, one hexdigest": lambda: _time(raw_once, bodies),
        "raw + json.loads": lambda: _time(raw_and_parse, bodies),
        "sign_webhook alone": lambda: _time(sign_only, bodies),
        "verify_webhook alone": lambda: _time(verify_only, bodies),
        RAW_VERIFY: lambda: _time(raw_verify, bodies),
    })
    mine, baseline = median(samples["ours"]), median(samples["raw"])
    ratio = paired_ratio(samples["ours"], samples["raw"])
    boolean = paired_ratio(samples["sign_webhook + verify_signature"], samples["raw"])
    return Result(
        name=f"Webhook signing: sign + verify over {len(bodies):,} payloads",
        metric="payloads per second (sign and verify each)",
        ours_label="sign_webhook + verify_webhook",
        ours=mine,
        baseline_label="raw hmac: hexdigest to sign, hexdigest + compare_digest to verify",
        baseline=baseline,
        ratio=ratio,
        goal=f"{GOAL}, or >= 0.6 with verify_signature >= 0.8",
        met=check(ratio, GOAL) or (check(ratio, ">= 0.6") and check(boolean, GOAL)),
        samples={k: [round(v) for v in vs] for k, vs in samples.items()},
        extra={"sign_webhook + verify_signature (a boolean, no JSON decoding) vs raw":
                   f"{boolean:.2f}x (goal >= 0.8: {'met' if boolean >= 0.8 else 'MISSED'})",
               "raw, a single hexdigest per payload (reference)":
                   f"{median(samples['raw, one hexdigest']):,.0f}/s "
                   f"(ours is {mine / median(samples['raw, one hexdigest']):.2f}x)",
               "sign_webhook alone vs one raw hexdigest":
                   f"{paired_ratio(samples['sign_webhook alone'], samples['raw, one hexdigest']):.2f}x",
               "verify_webhook alone vs raw hexdigest + compare_digest":
                   f"{paired_ratio(samples['verify_webhook alone'], samples[RAW_VERIFY]):.2f}x",
               "raw sign + verify + json.loads (what verify_webhook also does)":
                   f"{median(samples['raw + json.loads']):,.0f}/s "
                   f"(ours is {mine / median(samples['raw + json.loads']):.2f}x)"},
        notes=[f"{rounds} interleaved rounds; the ratio is the median of the rounds' ours/raw ratios."],
    )
