"""Webhooks: sign and verify ``Lettr-Signature`` deliveries.

>>> from pytest_lettr.webhooks import sign_webhook, verify_webhook
"""

from __future__ import annotations

from pytest_lettr.webhooks.signing import (
    DEFAULT_TOLERANCE,
    SIGNATURE_HEADER,
    SIGNATURE_SCHEME,
    InvalidPayloadError,
    MalformedSignatureError,
    MissingSignatureError,
    SignatureHeader,
    SignatureMismatchError,
    TimestampOutsideToleranceError,
    WebhookVerificationError,
    compute_signature,
    parse_signature_header,
    serialize_payload,
    sign_webhook,
    verify_signature,
    verify_webhook,
)

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
