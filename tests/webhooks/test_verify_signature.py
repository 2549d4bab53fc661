"""``verify_signature``: verify_webhook's checks as a boolean, without decoding the JSON."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from pytest_lettr import WebhookVerificationError, sign_webhook, verify_signature, verify_webhook
from pytest_lettr.webhooks.fixture import WebhookTester

SECRET = "whsec_" + "s" * 32
BODY = b'{"id":"evt_1","type":"email.sent","data":{"emailId":"email_1"}}'
T = 1_767_225_600


def test_a_good_delivery_is_true_and_every_fault_is_false() -> None:
    header = sign_webhook(BODY, SECRET, timestamp=T)
    assert verify_signature(BODY, header, SECRET, now=T) is True
    assert verify_signature(BODY.decode(), header, SECRET, now=T) is True           # str body
    assert verify_signature(BODY, header, SECRET, now=datetime.fromtimestamp(T + 300, timezone.utc)) is True
    assert verify_signature(BODY + b" ", header, SECRET, now=T) is False             # tampered
    assert verify_signature(BODY, header, "whsec_" + "x" * 32, now=T) is False       # wrong secret
    assert verify_signature(BODY, header, SECRET, now=T + 301) is False              # stale
    assert verify_signature(BODY, header, SECRET, now=T - 301) is False              # from the future
    assert verify_signature(BODY, header, SECRET, now=T + 10_000, tolerance=None) is True
    assert verify_signature(BODY, None, SECRET, now=T) is False                      # missing
    assert verify_signature(BODY, "t=1,v1=zz", SECRET, now=T) is False               # malformed
    assert verify_signature(b"not json", sign_webhook(b"not json", SECRET, timestamp=T), SECRET, now=T) is True


def test_a_rotation_header_is_true_for_either_secret() -> None:
    old = "whsec_" + "o" * 32
    header = sign_webhook(BODY, SECRET, timestamp=T, extra_secrets=[old])
    assert verify_signature(BODY, header, SECRET, now=T) and verify_signature(BODY, header, old, now=T)


def test_wrong_argument_types_still_raise() -> None:
    header = sign_webhook(BODY, SECRET, timestamp=T)
    with pytest.raises(TypeError):
        verify_signature({"id": "evt_1"}, header, SECRET, now=T)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        verify_signature(BODY, header, 7, now=T)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        verify_signature(BODY, header, SECRET, now=datetime(2026, 1, 1))  # naive


def test_it_agrees_with_verify_webhook_on_every_bad_twin(lettr_webhooks: WebhookTester) -> None:
    good = lettr_webhooks.request("email.delivered")
    now = lettr_webhooks.clock.timestamp()
    for name, request in {"good": good, **lettr_webhooks.bad_twins(good)}.items():
        header = request.headers.get("Lettr-Signature")
        try:
            verify_webhook(request.body, header, lettr_webhooks.secret, now=now)
            accepted = True
        except WebhookVerificationError:
            accepted = False
        assert verify_signature(request.body, header, lettr_webhooks.secret, now=now) is accepted, name
