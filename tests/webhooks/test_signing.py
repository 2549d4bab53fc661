"""Lettr-Signature signing and the reference receiver, checked against hand-computed HMACs."""

from __future__ import annotations

import hashlib
import hmac
import json
import pickle
from collections import OrderedDict
from datetime import datetime, timedelta, timezone
from types import MappingProxyType
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from pytest_lettr.webhooks.signing import (
    DEFAULT_TOLERANCE,
    InvalidPayloadError,
    MalformedSignatureError,
    MissingSignatureError,
    SignatureMismatchError,
    TimestampOutsideToleranceError,
    WebhookVerificationError,
    compute_signature,
    parse_signature_header,
    serialize_payload,
    sign_webhook,
    verify_webhook,
)

SECRET = "whsec_5WbX5kEWLlfzsGNjH64I8lOOqUB6e8FH"
OLD_SECRET = "whsec_0ldS3cretThatIsBeingRotatedAway00"
T = 1673789400
EVENT: dict[str, Any] = {
    "id": "evt_01",
    "type": "email.delivered",
    "createdAt": "2023-01-15T13:30:00Z",
    "data": {"emailId": "em_01", "to": "zoë@example.com", "deliveredAt": "2023-01-15T13:30:00Z"},
}
BODY = json.dumps(EVENT, separators=(",", ":"), ensure_ascii=False).encode()


def reference_hex(body: bytes, secret: str, t: int) -> str:
    """The spec's formula, written out independently of the module under test."""
    return hmac.new(secret.encode("utf-8"), str(t).encode("ascii") + b"." + body, hashlib.sha256).hexdigest()


def header_for(body: bytes, t: int = T, *secrets: str) -> str:
    return f"t={t}," + ",".join(f"v1={reference_hex(body, s, t)}" for s in secrets or (SECRET,))


# --- signing ------------------------------------------------------------------------------------


def test_sign_matches_the_spec_formula() -> None:
    assert sign_webhook(BODY, SECRET, timestamp=T) == f"t={T},v1={reference_hex(BODY, SECRET, T)}"


def test_compute_signature_is_the_lower_case_hex_digest() -> None:
    digest = compute_signature(BODY, SECRET, T)
    assert digest == reference_hex(BODY, SECRET, T)
    assert len(digest) == 64
    assert digest == digest.lower()


def test_the_whole_secret_including_prefix_is_the_key() -> None:
    without_prefix = SECRET.removeprefix("whsec_")
    assert compute_signature(BODY, SECRET, T) != reference_hex(BODY, without_prefix, T)


def test_non_ascii_secret_is_keyed_by_its_utf8_bytes() -> None:
    assert compute_signature(BODY, "whsec_clé", T) == reference_hex(BODY, "whsec_clé", T)


def test_str_payload_is_signed_as_its_utf8_bytes() -> None:
    text = BODY.decode()
    assert sign_webhook(text, SECRET, timestamp=T) == sign_webhook(BODY, SECRET, timestamp=T)


def test_mapping_payload_is_signed_as_compact_json_in_key_order() -> None:
    expected_body = json.dumps(EVENT, separators=(",", ":"), sort_keys=False, ensure_ascii=False).encode()
    assert serialize_payload(EVENT) == expected_body
    assert sign_webhook(EVENT, SECRET, timestamp=T) == header_for(expected_body)


def test_mapping_serialisation_keeps_non_ascii_and_is_deterministic() -> None:
    body = serialize_payload({"to": "zoë@example.com", "subject": "日本語 ✉"})
    assert body == '{"to":"zoë@example.com","subject":"日本語 ✉"}'.encode()
    assert b"\\u" not in body
    assert serialize_payload({"to": "zoë@example.com", "subject": "日本語 ✉"}) == body


def test_mapping_key_order_is_preserved_not_sorted() -> None:
    assert serialize_payload({"b": 1, "a": 2}) == b'{"b":1,"a":2}'
    assert serialize_payload({"a": 2, "b": 1}) == b'{"a":2,"b":1}'


def test_any_mapping_type_serialises_like_the_equivalent_dict() -> None:
    nested = MappingProxyType({"type": "email.sent", "data": MappingProxyType({"to": ["a@b.c"]})})
    assert serialize_payload(nested) == b'{"type":"email.sent","data":{"to":["a@b.c"]}}'
    assert serialize_payload(OrderedDict(b=1, a=2)) == b'{"b":1,"a":2}'


def test_bytes_like_payloads_pass_through() -> None:
    assert serialize_payload(BODY) is BODY
    assert serialize_payload(bytearray(BODY)) == BODY
    assert serialize_payload(memoryview(BODY)) == BODY


@pytest.mark.parametrize("bad", [{"x": float("nan")}, {"x": float("inf")}])
def test_non_json_numbers_are_refused(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        serialize_payload(bad)


@pytest.mark.parametrize("bad", [None, 42, ["a"], {"x": object()}])
def test_unserialisable_payloads_raise_type_error(bad: Any) -> None:
    with pytest.raises(TypeError):
        sign_webhook(bad, SECRET, timestamp=T)


def test_extra_secrets_add_one_v1_each_in_order() -> None:
    third = "whsec_third"
    header = sign_webhook(BODY, SECRET, timestamp=T, extra_secrets=[OLD_SECRET, third])
    assert header == header_for(BODY, T, SECRET, OLD_SECRET, third)
    assert header.count("v1=") == 3


def test_extra_secrets_must_not_be_a_bare_string() -> None:
    with pytest.raises(TypeError, match="extra_secrets"):
        sign_webhook(BODY, SECRET, timestamp=T, extra_secrets=OLD_SECRET)


def test_float_timestamp_is_truncated() -> None:
    assert sign_webhook(BODY, SECRET, timestamp=T + 0.999) == header_for(BODY, T)


def test_aware_datetime_timestamp_in_any_zone() -> None:
    utc = datetime.fromtimestamp(T, tz=timezone.utc)
    plus_two = utc.astimezone(timezone(timedelta(hours=2)))
    with_micro = utc + timedelta(microseconds=999_999)
    for moment in (utc, plus_two, with_micro):
        assert sign_webhook(BODY, SECRET, timestamp=moment) == header_for(BODY, T)


def test_naive_datetime_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        sign_webhook(BODY, SECRET, timestamp=datetime(2023, 1, 15, 13, 30))


@pytest.mark.parametrize("bad", [True, "1673789400", float("nan"), float("inf"), -1])
def test_bad_timestamps_are_refused(bad: Any) -> None:
    with pytest.raises((TypeError, ValueError)):
        sign_webhook(BODY, SECRET, timestamp=bad)


def test_default_timestamp_is_now(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("pytest_lettr.webhooks.signing.time.time", lambda: T + 0.5)
    assert sign_webhook(BODY, SECRET) == header_for(BODY, T)


@pytest.mark.parametrize("bad_secret", ["", b"whsec_bytes", None])
def test_secret_must_be_a_non_empty_str(bad_secret: Any) -> None:
    with pytest.raises((TypeError, ValueError)):
        sign_webhook(BODY, bad_secret, timestamp=T)
    with pytest.raises((TypeError, ValueError)):
        verify_webhook(BODY, header_for(BODY), bad_secret, now=T)


# --- verification: acceptance -------------------------------------------------------------------


def test_verify_returns_the_event() -> None:
    assert verify_webhook(BODY, header_for(BODY), SECRET, now=T) == EVENT


def test_verify_accepts_str_bytearray_and_memoryview_bodies() -> None:
    header = header_for(BODY)
    for body in (BODY.decode(), bytearray(BODY), memoryview(BODY)):
        assert verify_webhook(body, header, SECRET, now=T) == EVENT


def test_sign_then_verify_with_a_mapping_and_serialize_payload() -> None:
    header = sign_webhook(EVENT, SECRET, timestamp=T)
    assert verify_webhook(serialize_payload(EVENT), header, SECRET, now=T) == EVENT


@pytest.mark.parametrize("position", [0, 1, 2])
def test_any_matching_v1_is_accepted(position: int) -> None:
    secrets = ["whsec_a", "whsec_b", "whsec_c"]
    header = header_for(BODY, T, *secrets)
    assert verify_webhook(BODY, header, secrets[position], now=T) == EVENT


def test_rotation_old_and_new_receivers_both_accept() -> None:
    header = sign_webhook(BODY, SECRET, timestamp=T, extra_secrets=[OLD_SECRET])
    assert verify_webhook(BODY, header, SECRET, now=T) == EVENT
    assert verify_webhook(BODY, header, OLD_SECRET, now=T) == EVENT
    with pytest.raises(SignatureMismatchError):
        verify_webhook(BODY, header, "whsec_neither", now=T)


def test_unknown_schemes_are_ignored() -> None:
    v1 = reference_hex(BODY, SECRET, T)
    header = f"v0=deadbeef,t={T},v2=not-even-hex,v1={v1},future=x"
    assert verify_webhook(BODY, header, SECRET, now=T) == EVENT


def test_whitespace_around_entries_is_tolerated() -> None:
    header = f" t={T} , v1={reference_hex(BODY, SECRET, T)} "
    assert verify_webhook(BODY, header, SECRET, now=T) == EVENT


def test_parse_signature_header_returns_all_v1_in_order() -> None:
    a, b = "a" * 64, "0123456789abcdef" * 4
    parsed = parse_signature_header(f"t={T},v1={a},v0=zz,v1={b}")
    assert parsed.timestamp == T
    assert parsed.signatures == (a, b)


# --- verification: rejection --------------------------------------------------------------------


@pytest.mark.parametrize("header", [None, "", "   "])
def test_missing_header(header: str | None) -> None:
    with pytest.raises(MissingSignatureError):
        verify_webhook(BODY, header, SECRET, now=T)


GOOD_V1 = "v1=" + "a" * 64


@pytest.mark.parametrize(
    "header",
    [
        pytest.param(GOOD_V1, id="no-t"),
        pytest.param(f"t={T}", id="no-v1"),
        pytest.param(f"t={T},v0={'a' * 64}", id="only-unknown-scheme"),
        pytest.param(f"t=abc,{GOOD_V1}", id="t-not-integer"),
        pytest.param(f"t=1673789400.5,{GOOD_V1}", id="t-float"),
        pytest.param(f"t=-5,{GOOD_V1}", id="t-negative"),
        pytest.param(f"t=,{GOOD_V1}", id="t-empty"),
        pytest.param(f"t=١٢٣,{GOOD_V1}", id="t-non-ascii-digits"),
        pytest.param(f"t={'9' * 40},{GOOD_V1}", id="t-absurdly-long"),
        pytest.param(f"t={T},t={T},{GOOD_V1}", id="t-twice"),
        pytest.param(f"t={T},v1=", id="v1-empty"),
        pytest.param(f"t={T},v1={'g' * 64}", id="v1-not-hex"),
        pytest.param(f"t={T},v1={'A' * 64}", id="v1-upper-case"),
        pytest.param(f"t={T},v1={'a' * 63}", id="v1-too-short"),
        pytest.param(f"t={T},v1={'a' * 66}", id="v1-too-long"),
        pytest.param(f"t={T},garbage,{GOOD_V1}", id="entry-without-equals"),
        pytest.param(f"t={T},,{GOOD_V1}", id="empty-entry"),
        pytest.param(f"t={T},{GOOD_V1},", id="trailing-comma"),
        pytest.param(f"t={T},=abc,{GOOD_V1}", id="empty-key"),
        pytest.param(f"t {T} {GOOD_V1}", id="no-separators"),
    ],
)
def test_malformed_headers(header: str) -> None:
    with pytest.raises(MalformedSignatureError):
        verify_webhook(BODY, header, SECRET, now=T)


def test_tampered_body_is_rejected() -> None:
    tampered = BODY.replace(b"em_01", b"em_02")
    with pytest.raises(SignatureMismatchError):
        verify_webhook(tampered, header_for(BODY), SECRET, now=T)


def test_wrong_secret_is_rejected() -> None:
    with pytest.raises(SignatureMismatchError):
        verify_webhook(BODY, header_for(BODY), SECRET + "x", now=T)


def test_changed_timestamp_is_rejected() -> None:
    v1 = reference_hex(BODY, SECRET, T)
    with pytest.raises(SignatureMismatchError):
        verify_webhook(BODY, f"t={T + 1},v1={v1}", SECRET, now=T)


def test_reserialised_json_with_other_whitespace_fails() -> None:
    reserialised = json.dumps(json.loads(BODY), ensure_ascii=False).encode()
    assert json.loads(reserialised) == json.loads(BODY)
    with pytest.raises(SignatureMismatchError):
        verify_webhook(reserialised, header_for(BODY), SECRET, now=T)


def test_parsed_json_instead_of_raw_body_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="raw request body"):
        verify_webhook(EVENT, header_for(BODY), SECRET, now=T)  # type: ignore[arg-type]


def test_too_old_is_rejected_with_direction_and_skew() -> None:
    with pytest.raises(TimestampOutsideToleranceError) as caught:
        verify_webhook(BODY, header_for(BODY), SECRET, now=T + DEFAULT_TOLERANCE + 1)
    assert caught.value.direction == "past"
    assert caught.value.skew_seconds == 301
    assert caught.value.timestamp == T
    assert caught.value.tolerance == 300
    assert caught.value.code == "timestamp_outside_tolerance"


def test_too_far_in_the_future_is_rejected() -> None:
    with pytest.raises(TimestampOutsideToleranceError) as caught:
        verify_webhook(BODY, header_for(BODY), SECRET, now=T - 301)
    assert caught.value.direction == "future"
    assert caught.value.skew_seconds == 301


@pytest.mark.parametrize("now", [T + 300, T - 300, T + 300.999, T - 299.5])
def test_exactly_at_the_tolerance_boundary_is_accepted(now: float) -> None:
    assert verify_webhook(BODY, header_for(BODY), SECRET, now=now) == EVENT


def test_tolerance_parameter_is_respected() -> None:
    header = header_for(BODY)
    assert verify_webhook(BODY, header, SECRET, now=T + 10, tolerance=10) == EVENT
    with pytest.raises(TimestampOutsideToleranceError):
        verify_webhook(BODY, header, SECRET, now=T + 11, tolerance=10)
    assert verify_webhook(BODY, header, SECRET, now=T + 3600, tolerance=3600) == EVENT
    with pytest.raises(TimestampOutsideToleranceError):
        verify_webhook(BODY, header, SECRET, now=T + 1, tolerance=0)


def test_tolerance_none_skips_the_time_check_but_not_the_signature() -> None:
    assert verify_webhook(BODY, header_for(BODY), SECRET, now=T + 10**6, tolerance=None) == EVENT
    with pytest.raises(SignatureMismatchError):
        verify_webhook(BODY, header_for(BODY), "whsec_other", now=T + 10**6, tolerance=None)


@pytest.mark.parametrize("bad", [-1, float("nan"), "300", True])
def test_bad_tolerance_is_refused(bad: Any) -> None:
    with pytest.raises((TypeError, ValueError)) as caught:
        verify_webhook(BODY, header_for(BODY), SECRET, now=T, tolerance=bad)
    assert not isinstance(caught.value, WebhookVerificationError)


def test_now_as_aware_datetime() -> None:
    moment = datetime.fromtimestamp(T + 300, tz=timezone.utc)
    assert verify_webhook(BODY, header_for(BODY), SECRET, now=moment) == EVENT
    with pytest.raises(TimestampOutsideToleranceError):
        verify_webhook(BODY, header_for(BODY), SECRET, now=moment + timedelta(seconds=1))


def test_default_now_is_the_current_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("pytest_lettr.webhooks.signing.time.time", lambda: T + 1000.0)
    with pytest.raises(TimestampOutsideToleranceError):
        verify_webhook(BODY, header_for(BODY), SECRET)
    assert verify_webhook(BODY, header_for(BODY, T + 1000), SECRET) == EVENT


def test_forged_signature_on_a_stale_timestamp_reports_mismatch_not_staleness() -> None:
    with pytest.raises(SignatureMismatchError):
        verify_webhook(BODY, header_for(BODY), "whsec_forger", now=T + 10_000)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"[1,2,3]", id="array"),
        pytest.param(b'"a string"', id="string"),
        pytest.param(b"42", id="number"),
        pytest.param(b"null", id="null"),
        pytest.param(b"not json", id="not-json"),
        pytest.param(b"", id="empty"),
        pytest.param(b'{"x":NaN}', id="nan"),
        pytest.param(b'{"x":"\xff"}', id="invalid-utf8"),
        pytest.param(b"\xef\xbb\xbf{}", id="bom"),
        pytest.param(b"[" * 100_000 + b"]" * 100_000, id="too-deep"),
    ],
)
def test_verified_body_that_is_not_a_json_object(body: bytes) -> None:
    with pytest.raises(InvalidPayloadError):
        verify_webhook(body, header_for(body), SECRET, now=T)


def test_every_verification_error_is_a_value_error() -> None:
    for error in (
        MissingSignatureError,
        MalformedSignatureError,
        SignatureMismatchError,
        TimestampOutsideToleranceError,
        InvalidPayloadError,
    ):
        assert issubclass(error, WebhookVerificationError)
    assert issubclass(WebhookVerificationError, ValueError)


def test_tolerance_error_survives_pickling() -> None:
    with pytest.raises(TimestampOutsideToleranceError) as caught:
        verify_webhook(BODY, header_for(BODY), SECRET, now=T - 1000)
    copy = pickle.loads(pickle.dumps(caught.value))
    assert (copy.direction, copy.skew_seconds, copy.timestamp, str(copy)) == (
        "future",
        1000,
        T,
        str(caught.value),
    )


def _failures_with(secret: str) -> list[BaseException]:
    body = b'{"x":1}'
    good = header_for(body, T, secret)
    attempts: list[tuple[Any, str | None, str, dict[str, Any]]] = [
        (body, None, secret, {}),
        (body, f"t=x,v1={'a' * 64}", secret, {}),
        (body, good, secret + "?", {}),
        (b'{"x":2}', good, secret, {}),
        (body, good, secret, {"now": T + 10_000}),
        (b"[1]", header_for(b"[1]", T, secret), secret, {}),
        (body, good, secret, {"tolerance": -1}),
        ({"x": 1}, good, secret, {}),
    ]
    errors: list[BaseException] = []
    for payload, header, key, extra in attempts:
        extra.setdefault("now", T)
        with pytest.raises((WebhookVerificationError, TypeError, ValueError)) as caught:
            verify_webhook(payload, header, key, **extra)
        errors.append(caught.value)
    return errors


def test_secrets_never_appear_in_messages_or_reprs() -> None:
    secret = "whsec_TopSecretValue123"
    errors = _failures_with(secret)
    assert len(errors) == 8
    for error in errors:
        for text in (str(error), repr(error), repr(error.args)):
            assert "TopSecretValue123" not in text
            assert secret[:12] not in text


# --- properties ---------------------------------------------------------------------------------

json_objects = st.dictionaries(
    st.text(max_size=8),
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=16),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
        max_leaves=8,
    ),
    max_size=5,
)
timestamps = st.integers(min_value=0, max_value=2**40)
# Hypothesis text never holds lone surrogates, so every drawn secret has UTF-8 bytes.
utf8_secrets = st.text(min_size=1, max_size=40)


@given(event=json_objects, secret=utf8_secrets, t=timestamps)
def test_property_sign_then_verify_round_trips(event: dict[str, Any], secret: str, t: int) -> None:
    body = serialize_payload(event)
    header = sign_webhook(event, secret, timestamp=t)
    assert header == f"t={t},v1={reference_hex(body, secret, t)}"
    assert verify_webhook(body, header, secret, now=t) == event


@given(payload=st.binary(max_size=256), secret=utf8_secrets, t=timestamps)
def test_property_arbitrary_bytes_verify_or_fail_only_as_invalid_payload(payload: bytes, secret: str, t: int) -> None:
    header = sign_webhook(payload, secret, timestamp=t)
    try:
        expected = json.loads(payload.decode("utf-8"))
    except ValueError:
        expected = None
    if isinstance(expected, dict):
        assert verify_webhook(payload, header, secret, now=t) == expected
    else:
        with pytest.raises(InvalidPayloadError):
            verify_webhook(payload, header, secret, now=t)


@given(
    payload=st.binary(min_size=1, max_size=256),
    secret=utf8_secrets,
    t=timestamps,
    data=st.data(),
)
def test_property_flipping_any_body_byte_fails(payload: bytes, secret: str, t: int, data: st.DataObject) -> None:
    header = sign_webhook(payload, secret, timestamp=t)
    assert header == f"t={t},v1={reference_hex(payload, secret, t)}"
    index = data.draw(st.integers(min_value=0, max_value=len(payload) - 1), label="index")
    mask = data.draw(st.integers(min_value=1, max_value=255), label="mask")
    flipped = bytearray(payload)
    flipped[index] ^= mask
    with pytest.raises(SignatureMismatchError):
        verify_webhook(bytes(flipped), header, secret, now=t)


@given(payload=st.binary(max_size=256), secret=utf8_secrets, other=utf8_secrets, t=timestamps)
def test_property_a_different_secret_never_verifies(payload: bytes, secret: str, other: str, t: int) -> None:
    assume(other != secret)
    with pytest.raises(SignatureMismatchError):
        verify_webhook(payload, sign_webhook(payload, secret, timestamp=t), other, now=t)
