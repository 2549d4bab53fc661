"""webhooks/signing.py: the exact reason, and the order of the checks, behind every rejection.

tests/webhooks/test_signing.py checks which error type a delivery gets; these pin the messages
receivers may log and which problem is reported when a delivery has several.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_lettr.webhooks.signing import (
    InvalidPayloadError,
    MalformedSignatureError,
    MissingSignatureError,
    SignatureHeader,
    SignatureMismatchError,
    TimestampOutsideToleranceError,
    parse_signature_header,
    verify_webhook,
)

SECRET = "whsec_unit"
T = 1_700_000_000
A, B = "a" * 64, "0123456789abcdef" * 4


def signed(body: bytes, t: int = T, secret: str = SECRET) -> str:
    digest = hmac.new(secret.encode(), b"%d." % t + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


# --- parse_signature_header ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "message"),
    [
        pytest.param(None, "the Lettr-Signature header is missing", id="none"),
        pytest.param("", "the Lettr-Signature header is empty", id="empty"),
        pytest.param(" \t ", "the Lettr-Signature header is empty", id="blank"),
    ],
)
def test_missing_header_messages(header: str | None, message: str) -> None:
    with pytest.raises(MissingSignatureError) as caught:
        parse_signature_header(header)
    assert str(caught.value) == message


def test_a_header_that_is_not_a_string_is_a_type_error() -> None:
    with pytest.raises(TypeError, match=r"^header must be a str or None, not bytes$"):
        parse_signature_header(b"t=1")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (f"t={T},garbage,v1={A}", "entry 2 of Lettr-Signature is not key=value"),
        (f"=x,t={T},v1={A}", "entry 1 of Lettr-Signature is not key=value"),
        (f"t={T},v1={A},", "entry 3 of Lettr-Signature is not key=value"),
        (f"t={T},v0=,v1={A}", "entry 2 of Lettr-Signature is not key=value"),
        (f"t={T},t={T},v1={A}", "Lettr-Signature has more than one t"),
        (f"t={T},t=x,v1={A}", "Lettr-Signature has more than one t"),
        (f"t=x,t={T},v1={A}", "t in Lettr-Signature is not unix seconds"),
        (f"t=-1,v1={A}", "t in Lettr-Signature is not unix seconds"),
        (f"t= 5,v1={A}", "t in Lettr-Signature is not unix seconds"),
        (f"t=1.5,v1={A}", "t in Lettr-Signature is not unix seconds"),
        (f"t=\u0661\u0662,v1={A}", "t in Lettr-Signature is not unix seconds"),
        (f"t={'9' * 19},v1={A}", "t in Lettr-Signature is not unix seconds"),
        (f"t={T},v1={A.upper()}", "v1 entry 2 is not 64 lower-case hex characters"),
        (f"v1={A[:-1]},t={T}", "v1 entry 1 is not 64 lower-case hex characters"),
        (f"t={T},v1={A},v1={A}0", "v1 entry 3 is not 64 lower-case hex characters"),
        (f"t={T},v1={A} x", "v1 entry 2 is not 64 lower-case hex characters"),
        (f"v1={A}", "Lettr-Signature has no t (timestamp)"),
        ("v0=1,x=2", "Lettr-Signature has no t (timestamp)"),
        (f"t = {T},v1={A}", "Lettr-Signature has no t (timestamp)"),  # the key is "t ", another scheme
        (f"t={T}", "Lettr-Signature has no v1 signature"),
        (f"t={T},v0={A},V1={A}", "Lettr-Signature has no v1 signature"),
    ],
)
def test_malformed_header_messages(header: str, message: str) -> None:
    with pytest.raises(MalformedSignatureError) as caught:
        parse_signature_header(header)
    assert str(caught.value) == message


def test_the_first_bad_entry_is_the_one_reported() -> None:
    with pytest.raises(MalformedSignatureError, match=r"^entry 1 of"):
        parse_signature_header("garbage,t=x,v1=zz")
    with pytest.raises(MalformedSignatureError, match=r"^t in"):
        parse_signature_header("t=x,garbage,v1=zz")
    with pytest.raises(MalformedSignatureError, match=r"^v1 entry 1"):
        parse_signature_header("v1=zz,t=x,garbage")


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (f"t={T},v1={A}", SignatureHeader(T, (A,))),
        (f"v1={B},t={T},v1={A}", SignatureHeader(T, (B, A))),
        (f" t={T} ,\tv1={A} ", SignatureHeader(T, (A,))),
        (f"t=000{T},v1={A}", SignatureHeader(T, (A,))),
        (f"t=0,v1={A}", SignatureHeader(0, (A,))),
        (f"t={'9' * 18},v1={A}", SignatureHeader(10**18 - 1, (A,))),
        (f"t={T},v1={A},v1={A}", SignatureHeader(T, (A, A))),
        (f"t={T},v2=x=y,v1={A}", SignatureHeader(T, (A,))),
    ],
)
def test_parsed_headers(header: str, expected: SignatureHeader) -> None:
    parsed = parse_signature_header(header)
    assert parsed == expected
    assert type(parsed.timestamp) is int and type(parsed.signatures) is tuple


@given(
    t=st.integers(min_value=0, max_value=10**18 - 1),
    digests=st.lists(st.text("0123456789abcdef", min_size=64, max_size=64), min_size=1, max_size=3),
    pad=st.sampled_from(["", " ", "\t", "  "]),
    zeros=st.integers(min_value=0, max_value=2),
)
def test_property_spacing_and_leading_zeros_do_not_change_the_result(
    t: int, digests: list[str], pad: str, zeros: int
) -> None:
    stamp = "0" * zeros + str(t)
    if len(stamp) > 18:
        stamp = str(t)
    canonical = ",".join([f"t={t}", *(f"v1={d}" for d in digests)])
    spaced = ",".join(f"{pad}{entry}{pad}" for entry in [f"t={stamp}", *(f"v1={d}" for d in digests)])
    assert parse_signature_header(canonical) == parse_signature_header(spaced) == (t, tuple(digests))


# --- verify_webhook: which problem is reported first --------------------------------------------

BODY = b'{"type":"email.sent"}'
NAIVE = datetime(2024, 1, 1)


def failure(payload: Any, header: Any, secret: Any, **options: Any) -> tuple[type[BaseException], str]:
    options.setdefault("now", T)
    with pytest.raises(Exception) as caught:  # the type is part of what is checked
        verify_webhook(payload, header, secret, **options)
    return type(caught.value), str(caught.value)


def test_argument_checks_come_before_the_header_in_a_fixed_order() -> None:
    raw = ("payload must be the raw request body (bytes or str), not dict: "
           "re-serialised JSON does not carry the signed bytes")
    assert failure({"a": 1}, None, "", tolerance=-1, now=NAIVE) == (TypeError, raw)
    assert failure(BODY, None, "", tolerance=-1, now=NAIVE) == (ValueError, "secret must not be empty")
    assert failure(BODY, None, 7, tolerance=-1) == (TypeError, "secret must be a str, not int")
    assert failure(BODY, None, SECRET, tolerance=-1, now=NAIVE) == (
        ValueError, "tolerance must be a non-negative number of seconds")
    assert failure(BODY, None, SECRET, tolerance=float("nan")) == (
        ValueError, "tolerance must be a non-negative number of seconds")
    for bad in (True, "300", [300]):
        assert failure(BODY, None, SECRET, tolerance=bad, now=NAIVE) == (
            TypeError, "tolerance must be a number of seconds or None")
    assert failure(BODY, None, SECRET, now=NAIVE) == (ValueError, "now must be a timezone-aware datetime")
    assert failure(BODY, None, SECRET, now=float("inf")) == (ValueError, "now must be a finite number")
    assert failure(BODY, None, SECRET, now="now") == (TypeError, "now must be an int, float or datetime, not str")
    # ``now`` is checked even when the time check is off.
    assert failure(BODY, signed(BODY), SECRET, tolerance=None, now=NAIVE) == (
        ValueError, "now must be a timezone-aware datetime")
    assert failure(BODY, None, SECRET) == (MissingSignatureError, "the Lettr-Signature header is missing")


def test_a_str_body_that_cannot_be_encoded_fails_before_anything_else() -> None:
    kind, _ = failure("\ud800", None, "", tolerance=-1)
    assert kind is UnicodeEncodeError


def test_signature_before_time_before_payload() -> None:
    mismatch = (SignatureMismatchError, "no v1 signature in Lettr-Signature matches the body and secret")
    assert failure(b"[", signed(b"]"), SECRET, now=T + 10_000) == mismatch
    assert failure(b"[", signed(b"["), SECRET, now=T + 301) == (
        TimestampOutsideToleranceError, "signature timestamp is 301 s in the past; tolerance is 300 s")
    assert failure(b"[", signed(b"["), SECRET, now=T - 11, tolerance=10.5) == (
        TimestampOutsideToleranceError, "signature timestamp is 11 s in the future; tolerance is 10.5 s")
    assert failure(b"[", signed(b"["), SECRET, now=T + 10_000, tolerance=None)[0] is InvalidPayloadError


def test_every_v1_is_compared_and_any_match_is_enough() -> None:
    good = signed(BODY).split(",")[1]
    assert verify_webhook(BODY, f"t={T},v1={A},{good},v1={B}", SECRET, now=T) == {"type": "email.sent"}
    assert failure(BODY, f"t={T},v1={A},v1={B}", SECRET)[0] is SignatureMismatchError


def test_time_check_edges() -> None:
    error = pytest.raises(TimestampOutsideToleranceError)
    with error as caught:
        verify_webhook(BODY, signed(BODY), SECRET, now=datetime.fromtimestamp(T - 2, timezone.utc), tolerance=1)
    assert (caught.value.direction, caught.value.skew_seconds, caught.value.tolerance) == ("future", 2, 1)
    assert verify_webhook(BODY, signed(BODY), SECRET, now=T + 0.9, tolerance=0) == {"type": "email.sent"}
    assert verify_webhook(BODY, signed(BODY), SECRET, now=T - 1, tolerance=1) == {"type": "email.sent"}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"a":"\xff"}', "the signed body is not valid UTF-8"),
        (b"", "the signed body is not valid JSON: Expecting value: line 1 column 1 (char 0)"),
        (b'{"a":1} x', "the signed body is not valid JSON: Extra data: line 1 column 9 (char 8)"),
        (b"\xef\xbb\xbf{}",
         "the signed body is not valid JSON: Unexpected UTF-8 BOM (decode using utf-8-sig): line 1 column 1 (char 0)"),
        (b'{"a":NaN}', "the signed body is not valid JSON: NaN is not valid JSON"),
        (b'{"a":-Infinity}', "the signed body is not valid JSON: -Infinity is not valid JSON"),
        (b"[" * 100_000 + b"]" * 100_000, "the signed body is nested too deeply to parse"),
        (b"[1]", "the signed body is JSON but not an object (list)"),
        (b"null", "the signed body is JSON but not an object (NoneType)"),
    ],
)
def test_invalid_payload_messages(body: bytes, message: str) -> None:
    assert failure(body, signed(body), SECRET) == (InvalidPayloadError, message)


def test_str_payloads_are_parsed_as_given() -> None:
    text = "\ufeff{}"
    assert failure(text, signed(text.encode()), SECRET) == (
        InvalidPayloadError,
        "the signed body is not valid JSON: Unexpected UTF-8 BOM (decode using utf-8-sig): line 1 column 1 (char 0)",
    )
    event = verify_webhook(' {"zoë": [1, 2.5, true, null]} ', signed(' {"zoë": [1, 2.5, true, null]} '.encode()),
                           SECRET, now=T)
    assert event == {"zoë": [1, 2.5, True, None]}


def test_bytearray_and_memoryview_bodies_give_the_same_event() -> None:
    header = signed(BODY)
    assert verify_webhook(bytearray(BODY), header, SECRET, now=T) == {"type": "email.sent"}
    assert verify_webhook(memoryview(BODY), header, SECRET, now=T) == {"type": "email.sent"}
