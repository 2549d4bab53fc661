"""Sign and verify Lettr webhook deliveries (Lettr v1 §9, ``Lettr-Signature``).

The header is ``t=<unix seconds>,v1=<hex>[,v1=<hex>...]``; each ``v1`` is the lower-case hex
HMAC-SHA256, keyed with the UTF-8 bytes of the whole secret (``whsec_`` included), over
``f"{t}.{raw_body}"``. While a secret is being rotated a delivery carries one ``v1`` per live
secret, and a receiver accepts it if any of them matches.

Sign a payload and send exactly the bytes that were signed::

    body = serialize_payload(event)
    headers = {SIGNATURE_HEADER: sign_webhook(body, secret, timestamp=clock.timestamp())}

Verify a delivery the way a receiving app should (the raw body, never re-serialised JSON)::

    event = verify_webhook(request.get_data(), request.headers.get(SIGNATURE_HEADER), secret)

Decisions worth knowing:

- A :class:`~collections.abc.Mapping` payload is serialised compactly in its own key order
  (``separators=(",", ":")``, not sorted, ``ensure_ascii=False``, UTF-8), so the same mapping
  always gives the same bytes; NaN and infinities are refused because they are not JSON.
- Header entries with an unknown scheme (``v0=``, ``v2=``...) are ignored, as Stripe does, so a
  future scheme can be added next to ``v1`` without breaking today's receivers.
- The signature is checked before the timestamp: a tolerance error therefore means "authentic
  but stale (or from the future)", never a hint to a forger. Timestamps are whole seconds on
  both sides (floats are truncated) and a skew of exactly ``tolerance`` is accepted.
- Every ``v1`` candidate is compared with :func:`hmac.compare_digest`, without stopping at the
  first match. Secrets never appear in messages or reprs.
"""

from __future__ import annotations

import hmac
import json
import math
import re
import time
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta, timezone
from json.scanner import make_scanner
from typing import Any, Literal, NamedTuple, TypeAlias

from .keyed_hmac import KeyedStates, hex_mac, keyed

__all__ = [
    "DEFAULT_TOLERANCE",
    "SIGNATURE_HEADER",
    "SIGNATURE_SCHEME",
    "InvalidPayloadError",
    "MalformedSignatureError",
    "MissingSignatureError",
    "SignatureHeader",
    "SignatureMismatchError",
    "TimestampOutsideToleranceError",
    "WebhookVerificationError",
    "compute_signature",
    "parse_signature_header",
    "serialize_payload",
    "sign_webhook",
    "verify_signature",
    "verify_webhook",
]

SIGNATURE_HEADER = "Lettr-Signature"
SIGNATURE_SCHEME = "v1"
DEFAULT_TOLERANCE = 300

Timestamp: TypeAlias = "int | float | datetime"
RawBody: TypeAlias = "bytes | bytearray | memoryview | str"
Payload: TypeAlias = "RawBody | Mapping[str, Any]"

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_ONE_SECOND = timedelta(seconds=1)
_HEX_DIGEST = re.compile(r"[0-9a-f]{64}")
_CANONICAL_HEADER = re.compile(r"t=([0-9]{1,18}),v1=([0-9a-f]{64})")


# --- errors -------------------------------------------------------------------------------------


class WebhookVerificationError(ValueError):
    """Base of every reason :func:`verify_webhook` rejects a delivery.

    ``code`` is a stable, machine-readable reason, e.g. ``"signature_mismatch"``.
    """

    code = "verification_failed"


class MissingSignatureError(WebhookVerificationError):
    """The ``Lettr-Signature`` header is absent or blank."""

    code = "missing_signature"


class MalformedSignatureError(WebhookVerificationError):
    """The header cannot be parsed: no/duplicate/non-integer ``t``, no ``v1``, a bad entry."""

    code = "malformed_signature"


class SignatureMismatchError(WebhookVerificationError):
    """No ``v1`` entry matches the body under the given secret."""

    code = "signature_mismatch"


class TimestampOutsideToleranceError(WebhookVerificationError):
    """The signature is authentic but ``t`` is further than ``tolerance`` seconds from now.

    ``direction`` is ``"past"`` (too old, e.g. a replay) or ``"future"``; ``skew_seconds`` is the
    absolute distance in whole seconds.
    """

    code = "timestamp_outside_tolerance"

    def __init__(
        self,
        message: str,
        *,
        direction: Literal["past", "future"],
        skew_seconds: int,
        tolerance: float,
        timestamp: int,
    ) -> None:
        super().__init__(message)
        self.direction: Literal["past", "future"] = direction
        self.skew_seconds = skew_seconds
        self.tolerance = tolerance
        self.timestamp = timestamp

    def __reduce__(self) -> tuple[Any, ...]:
        return (
            _rebuild_tolerance_error,
            (str(self), self.direction, self.skew_seconds, self.tolerance, self.timestamp),
        )


def _rebuild_tolerance_error(
    message: str, direction: Literal["past", "future"], skew: int, tolerance: float, timestamp: int
) -> TimestampOutsideToleranceError:
    return TimestampOutsideToleranceError(
        message, direction=direction, skew_seconds=skew, tolerance=tolerance, timestamp=timestamp
    )


class InvalidPayloadError(WebhookVerificationError):
    """The signature is valid but the body is not a UTF-8 JSON object."""

    code = "invalid_payload"


# --- signing ------------------------------------------------------------------------------------


def _json_default(value: object) -> object:
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def serialize_payload(payload: Payload) -> bytes:
    """The exact bytes :func:`sign_webhook` signs for ``payload``.

    ``bytes`` pass through, ``str`` is UTF-8 encoded, a mapping is compact JSON in its own key
    order::

        >>> serialize_payload({"type": "email.sent", "to": "zoë@example.com"}).decode()
        '{"type":"email.sent","to":"zoë@example.com"}'
    """
    if isinstance(payload, bytes):
        return payload
    if isinstance(payload, str):
        return payload.encode("utf-8")
    if isinstance(payload, (bytearray, memoryview)):
        return bytes(payload)
    if isinstance(payload, Mapping):
        text = json.dumps(
            payload if isinstance(payload, dict) else dict(payload),
            separators=(",", ":"),
            sort_keys=False,
            ensure_ascii=False,
            allow_nan=False,
            default=_json_default,
        )
        return text.encode("utf-8")
    raise TypeError(f"payload must be bytes, str or a mapping, not {type(payload).__name__}")


def _to_unix(value: Timestamp, name: str) -> int:
    """Whole unix seconds from an int, a float (truncated) or an aware datetime."""
    if isinstance(value, bool):
        raise TypeError(f"{name} must be an int, float or datetime, not bool")
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{name} must be a finite number")
        return int(value)
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"{name} must be a timezone-aware datetime")
        return (value - _EPOCH) // _ONE_SECOND
    raise TypeError(f"{name} must be an int, float or datetime, not {type(value).__name__}")


def _keyed_secret(secret: str, name: str = "secret") -> KeyedStates:
    """The cached HMAC states for ``secret`` once it is known to be a non-empty str."""
    if not isinstance(secret, str):
        raise TypeError(f"{name} must be a str, not {type(secret).__name__}")
    if not secret:
        raise ValueError(f"{name} must not be empty")
    # The cache is keyed by the plain string, so a str subclass's own __eq__ or __hash__ cannot
    # make two secrets share cached states.
    return keyed(str.__str__(secret))


def _hex_digest(states: KeyedStates, timestamp: int, body: bytes | bytearray | memoryview) -> str:
    return hex_mac(states, b"%d." % timestamp, body)


def compute_signature(payload_bytes: bytes, secret: str, timestamp: Timestamp) -> str:
    """The lower-case hex ``v1`` digest of ``payload_bytes`` signed at ``timestamp``.

    >>> compute_signature(b'{}', "whsec_test", 1673789400) == compute_signature(
    ...     b'{}', "whsec_test", 1673789400.9)
    True
    """
    if not isinstance(payload_bytes, (bytes, bytearray, memoryview)):
        raise TypeError(f"payload_bytes must be bytes, not {type(payload_bytes).__name__}")
    return _hex_digest(_keyed_secret(secret), _to_unix(timestamp, "timestamp"), payload_bytes)


def sign_webhook(
    payload: Payload,
    secret: str,
    *,
    timestamp: Timestamp | None = None,
    extra_secrets: Iterable[str] = (),
) -> str:
    """The ``Lettr-Signature`` header value for ``payload``: ``t=...,v1=...``.

    One ``v1`` per secret, ``secret`` first and then each of ``extra_secrets`` (rotation)::

        header = sign_webhook(body, new_secret, timestamp=clock.timestamp(), extra_secrets=[old])

    ``timestamp`` defaults to now (:func:`time.time`). Send :func:`serialize_payload` of the
    same payload as the body so the receiver sees exactly the signed bytes.
    """
    # Hot path (the server signs every delivery): bytes body, int timestamp, one secret.
    body = payload if type(payload) is bytes else serialize_payload(payload)
    if type(timestamp) is int:
        t = timestamp
    else:
        t = int(time.time()) if timestamp is None else _to_unix(timestamp, "timestamp")
    if t < 0:
        raise ValueError("timestamp must not be before 1970-01-01")
    states = keyed(secret) if type(secret) is str and secret else _keyed_secret(secret)
    prefix = b"%d." % t
    header = f"t={t},v1={hex_mac(states, prefix, body)}"
    if extra_secrets:
        if isinstance(extra_secrets, str):
            raise TypeError("extra_secrets must be an iterable of secrets, not a single str")
        for extra in extra_secrets:
            header += ",v1=" + hex_mac(_keyed_secret(extra, "extra_secrets entry"), prefix, body)
    return header


# --- verification -------------------------------------------------------------------------------


class SignatureHeader(NamedTuple):
    """A parsed ``Lettr-Signature``: the timestamp and every ``v1`` digest, in header order."""

    timestamp: int
    signatures: tuple[str, ...]


def parse_signature_header(header: str | None) -> SignatureHeader:
    """Split a ``Lettr-Signature`` value into its timestamp and ``v1`` digests.

    >>> parse_signature_header("t=1673789400,v0=ignored,v1=" + "ab" * 32).timestamp
    1673789400

    Raises :class:`MissingSignatureError` for ``None``/blank and
    :class:`MalformedSignatureError` for anything that is not ``key=value`` entries with
    exactly one integer ``t`` and at least one 64-character lower-case hex ``v1``.
    """
    if type(header) is str:
        # What the mock sends; the general parser below gives the same result for it.
        canonical = _CANONICAL_HEADER.fullmatch(header)
        if canonical is not None:
            return SignatureHeader(int(canonical[1]), (canonical[2],))
    text = _header_text(header)
    timestamp: int | None = None
    signatures: list[str] = []
    for position, entry in enumerate(text.split(","), start=1):
        key, value = _split_entry(entry, position)
        if key == "t":
            timestamp = _parse_timestamp(value, timestamp)
        elif key == SIGNATURE_SCHEME:
            signatures.append(_parse_digest(value, position))
        # Any other scheme is ignored so new schemes can appear beside v1.
    if timestamp is None:
        raise MalformedSignatureError(f"{SIGNATURE_HEADER} has no t (timestamp)")
    if not signatures:
        raise MalformedSignatureError(f"{SIGNATURE_HEADER} has no {SIGNATURE_SCHEME} signature")
    return SignatureHeader(timestamp, tuple(signatures))


def _header_text(header: object) -> str:
    """``header`` itself once it is known to be a non-blank str."""
    if header is None:
        raise MissingSignatureError(f"the {SIGNATURE_HEADER} header is missing")
    if not isinstance(header, str):
        raise TypeError(f"header must be a str or None, not {type(header).__name__}")
    if not header.strip():
        raise MissingSignatureError(f"the {SIGNATURE_HEADER} header is empty")
    return header


def _split_entry(entry: str, position: int) -> tuple[str, str]:
    key, separator, value = entry.strip().partition("=")
    if not separator or not key or not value:
        raise MalformedSignatureError(f"entry {position} of {SIGNATURE_HEADER} is not key=value")
    return key, value


def _parse_timestamp(value: str, seen: int | None) -> int:
    """``value`` of a ``t`` entry as unix seconds; ``seen`` is the ``t`` found before, if any."""
    if seen is not None:
        raise MalformedSignatureError(f"{SIGNATURE_HEADER} has more than one t")
    if not (value.isascii() and value.isdigit()) or len(value) > 18:
        raise MalformedSignatureError(f"t in {SIGNATURE_HEADER} is not unix seconds")
    return int(value)


def _parse_digest(value: str, position: int) -> str:
    if _HEX_DIGEST.fullmatch(value) is None:
        raise MalformedSignatureError(f"{SIGNATURE_SCHEME} entry {position} is not 64 lower-case hex characters")
    return value


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not valid JSON")


# One decoder for every delivery: json.loads with a keyword builds a new one per call.
_JSON_DECODER = json.JSONDecoder(parse_constant=_reject_constant)


def verify_webhook(
    payload: RawBody,
    header: str | None,
    secret: str,
    *,
    tolerance: float | None = DEFAULT_TOLERANCE,
    now: Timestamp | None = None,
) -> dict[str, Any]:
    """Check a delivery and return its event; the reference receiver.

    ``payload`` is the raw request body (bytes, or str that is UTF-8 encoded again), ``header``
    the ``Lettr-Signature`` value. ``tolerance`` is seconds either side of ``now`` (default
    :func:`time.time`); ``None`` skips the time check, e.g. to verify a recorded delivery::

        try:
            event = verify_webhook(request.get_data(), request.headers.get("Lettr-Signature"), secret)
        except WebhookVerificationError as error:
            return Response(error.code, status=400)

    Raises a :class:`WebhookVerificationError` subclass when the delivery must be rejected.
    """
    quick = _canonical_check(payload, header, secret, tolerance)
    if quick is not None and quick[0]:
        now_seconds = now if type(now) is int else _now_seconds(now)  # checked even when the time check is off
        if tolerance is not None and abs(now_seconds - quick[1]) > tolerance:
            _check_freshness(quick[1], now_seconds, tolerance)
        return _event_of(payload)  # type: ignore[arg-type]  # bytes on this path
    body = _raw_body(payload)
    states = _keyed_secret(secret)
    _check_tolerance(tolerance)
    now_seconds = _now_seconds(now)
    parsed = parse_signature_header(header)
    _check_signature(states, parsed, body)
    if tolerance is not None:
        _check_freshness(parsed.timestamp, now_seconds, tolerance)
    return _signed_event(payload, body)


def verify_signature(
    payload: RawBody,
    header: str | None,
    secret: str,
    *,
    tolerance: float | None = DEFAULT_TOLERANCE,
    now: Timestamp | None = None,
) -> bool:
    """Whether a delivery is authentic and fresh: :func:`verify_webhook`'s checks, as a boolean,
    without decoding the JSON (for a receiver that parses the body itself)::

        if not verify_signature(request.get_data(), request.headers.get("Lettr-Signature"), secret):
            return Response(status=400)
        event = request.get_json()

    A missing, malformed, mismatched or stale signature gives ``False``; arguments of the wrong
    type still raise :class:`TypeError` (a bug in the caller, not a forged delivery).
    """
    quick = _canonical_check(payload, header, secret, tolerance)
    if quick is not None:
        now_seconds = now if type(now) is int else _now_seconds(now)  # checked even when the time check is off
        matched, timestamp = quick
        return matched and (tolerance is None or abs(now_seconds - timestamp) <= tolerance)
    body = _raw_body(payload)
    states = _keyed_secret(secret)
    _check_tolerance(tolerance)
    now_seconds = _now_seconds(now)
    try:
        parsed = parse_signature_header(header)
        _check_signature(states, parsed, body)
        if tolerance is not None:
            _check_freshness(parsed.timestamp, now_seconds, tolerance)
    except WebhookVerificationError:
        return False
    return True


def _canonical_check(payload: RawBody, header: str | None, secret: str,
                     tolerance: float | None) -> tuple[bool, int] | None:
    """The hot path of both verifiers: a bytes body and the canonical one-signature header the
    mock sends on ``/v1`` deliveries. ``(signature matches, timestamp)``, or ``None`` for the
    general path."""
    if not (type(header) is str and type(payload) is bytes and type(secret) is str and secret
            and (tolerance is None or (type(tolerance) is int and tolerance >= 0))):
        return None
    seconds = _canonical_seconds(header)
    if seconds is None:
        return None
    timestamp = int(seconds)
    expected = hex_mac(keyed(secret), b"%d." % timestamp, payload)
    return hmac.compare_digest(expected, header[-64:]), timestamp


def _canonical_seconds(header: str) -> str | None:
    """The digits of ``t`` if ``header`` is ``t=<digits>,v1=<64 ASCII characters>``, else ``None``.

    Sliced from the end, without a regular expression: with digits only between ``t=`` and the
    last 68 characters, that ``,v1=`` is the first one. A digest that is not lower-case hex cannot
    equal the computed one, and verify_webhook re-checks any refusal on the general path to name it.
    """
    seconds = header[2:-68]
    if (header[-68:-64] == ",v1=" and header[:2] == "t=" and len(seconds) <= 18
            and seconds.isdigit() and header.isascii()):
        return seconds
    return None


def _now_seconds(now: Timestamp | None) -> int:
    if now is None:
        return int(time.time())
    return now if type(now) is int else _to_unix(now, "now")


def _raw_body(payload: RawBody) -> bytes | bytearray | memoryview:
    if isinstance(payload, str):
        return payload.encode("utf-8")
    if isinstance(payload, (bytes, bytearray, memoryview)):
        return payload
    raise TypeError(
        "payload must be the raw request body (bytes or str), not "
        f"{type(payload).__name__}: re-serialised JSON does not carry the signed bytes"
    )


def _check_tolerance(tolerance: float | None) -> None:
    if tolerance is None:
        return
    if isinstance(tolerance, bool) or not isinstance(tolerance, (int, float)):
        raise TypeError("tolerance must be a number of seconds or None")
    if not tolerance >= 0:  # also refuses NaN
        raise ValueError("tolerance must be a non-negative number of seconds")


def _check_signature(states: KeyedStates, parsed: SignatureHeader, body: bytes | bytearray | memoryview) -> None:
    expected = _hex_digest(states, parsed.timestamp, body)
    matched = False
    for candidate in parsed.signatures:  # every candidate, so the time taken tells nothing
        matched |= hmac.compare_digest(expected, candidate)
    if not matched:
        raise _mismatch()


def _mismatch() -> SignatureMismatchError:
    return SignatureMismatchError(f"no {SIGNATURE_SCHEME} signature in {SIGNATURE_HEADER} matches the body and secret")


def _check_freshness(timestamp: int, now_seconds: int, tolerance: float) -> None:
    skew = now_seconds - timestamp
    if abs(skew) <= tolerance:
        return
    direction: Literal["past", "future"] = "past" if skew > 0 else "future"
    raise TimestampOutsideToleranceError(
        f"signature timestamp is {abs(skew)} s in the {direction}; tolerance is {tolerance} s",
        direction=direction,
        skew_seconds=abs(skew),
        tolerance=tolerance,
        timestamp=timestamp,
    )


def _signed_event(payload: RawBody, body: bytes | bytearray | memoryview) -> dict[str, Any]:
    """The JSON object in the (already verified) body, or :class:`InvalidPayloadError`."""
    try:
        text = payload if isinstance(payload, str) else (body if type(body) is bytes else bytes(body)).decode("utf-8")
        event = _decode_json(text)
    except UnicodeDecodeError:
        raise InvalidPayloadError("the signed body is not valid UTF-8") from None
    except ValueError as error:
        raise InvalidPayloadError(f"the signed body is not valid JSON: {error}") from None
    except RecursionError:
        raise InvalidPayloadError("the signed body is nested too deeply to parse") from None
    if not isinstance(event, dict):
        raise InvalidPayloadError(f"the signed body is JSON but not an object ({type(event).__name__})")
    return event


def _event_of(body: bytes) -> dict[str, Any]:
    """:func:`_signed_event` of a bytes body, quicker for the usual one: a UTF-8 JSON object with
    nothing but whitespace after it. It calls the decoder's C scanner itself, which skips
    :meth:`json.JSONDecoder.decode`'s two regular-expression passes for whitespace. Anything else
    (an error, leading whitespace, a BOM, trailing data, not an object) is decoded again by
    :func:`_signed_event`, so the result and every error are the same as on that path."""
    try:
        text = body.decode("utf-8")
        event, end = _SCAN_JSON(text, 0)
    except (ValueError, StopIteration, RecursionError):
        return _signed_event(body, body)
    if type(event) is not dict or (end != len(text) and text[end:].strip(_JSON_WHITESPACE)):
        return _signed_event(body, body)
    return event


# The C scanner json.loads uses, with our settings (typeshed types its argument too narrowly).
_SCAN_JSON = make_scanner(_JSON_DECODER)  # type: ignore[arg-type]
_JSON_WHITESPACE = " \t\n\r"  # what json.decoder.WHITESPACE matches


def _decode_json(text: str) -> Any:
    """``json.loads(text, parse_constant=_reject_constant)``, with the shared decoder."""
    if text.startswith("\ufeff"):  # json.loads refuses a byte order mark before decoding; so do we
        raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
    return _JSON_DECODER.decode(text)
