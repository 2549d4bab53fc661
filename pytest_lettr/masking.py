"""What the server keeps of a request or a response (access log, request log), secrets masked.

One rule for every place the server writes down what it saw: a value is a secret when its name
looks like one (``api_key``, ``X-Auth-Token``, ``password``), when it starts like one (``le_``,
``lttr_``, ``whsec_``, ``Bearer ``), or, anywhere in any text, when it is shaped like a Lettr key
or a webhook secret::

    >>> mask_query("/v1/emails?limit=5&api_key=le_abc")
    '/v1/emails?limit=5&api_key=***'
    >>> mask_header("Authorization", "Bearer le_abc"), mask_header("Accept", "*/*")
    ('Bearer ***', '*/*')
    >>> mask_body(b'{"name": "ci", "secret": "whsec_abc"}')
    b'{"name":"ci","secret":"***"}'
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any
from urllib.parse import parse_qsl, quote, unquote

from .state.keys import mask_keys

__all__ = ["MASK", "SECRET_NAMES", "SECRET_VALUES", "mask_body", "mask_cgi_header", "mask_header", "mask_query",
           "mask_text"]

MASK = "***"

#: Names whose values are secrets: in headers, query strings and JSON bodies.
SECRET_NAMES = re.compile(r"key|token|secret|password|signature|auth|cookie|credential", re.IGNORECASE)
#: Values that are secrets whatever they are called.
SECRET_VALUES = re.compile(r"^(le_|lttr_|whsec_|Bearer\s|Basic\s)", re.IGNORECASE)
#: Headers whose names look secret but are not (a client's own retry token).
_NOT_SECRET = frozenset({"idempotency-key"})
_WEBHOOK_SECRET = re.compile(r"whsec_[A-Za-z0-9+/=_-]+")
#: A cheap test before a body is parsed: bytes without any of these (in any case) hold no secret
#: to mask (each name :data:`SECRET_NAMES` looks for, each start :data:`SECRET_VALUES` does).
#: Searched for in the lowered bytes: with the case-blind flag instead, the same alternatives read
#: ~150 ns a byte, 20x slower.
_MAYBE_SECRET = re.compile(rb"le_|lttr_|whsec_|bearer|basic|key|token|secret|password|signature|auth|credential")


def _may_hold_secret(raw: bytes) -> bool:
    return _MAYBE_SECRET.search(raw.lower()) is not None


def mask_text(text: str) -> str:
    """``text`` with Lettr keys and webhook secrets masked (``le_***``, ``whsec_***``)."""
    text = mask_keys(text)
    return _WEBHOOK_SECRET.sub("whsec_" + MASK, text) if "whsec_" in text else text


def mask_query(target: str) -> str:
    """A request target as logged: secret-looking query names and values replaced by ``***``, and
    anything shaped like a Lettr key elsewhere in it (a path segment, part of a name) masked.

    >>> mask_query("/v1/le_" + "a" * 36 + "?le_" + "b" * 36 + "=1")
    '/v1/le_***?***=1'
    """
    path, sep, query = target.partition("?")
    path = _mask_path(path)
    if not sep:
        return path
    masked = [_masked_pair(name, value) for name, value in parse_qsl(query, keep_blank_values=True)]
    return path + "?" + "&".join(f"{quote(n, safe='*')}={quote(v, safe='*')}" for n, v in masked)


def _mask_path(path: str) -> str:
    """``path`` with key-shaped text masked, also when percent-encoded (``%6Ce_…`` is ``le_…``)."""
    if "%" not in path:
        return mask_keys(path)
    decoded = unquote(path)
    masked = mask_keys(decoded)
    return path if masked == decoded else quote(masked, safe="/*:@!$&'()+,;=")


def _masked_pair(name: str, value: str) -> tuple[str, str]:
    if SECRET_NAMES.search(name) or SECRET_VALUES.match(value):
        value = MASK
    return (MASK if SECRET_VALUES.match(name) else mask_keys(name)), mask_keys(value)


def mask_header(name: str, value: str) -> str:
    """A header value as logged: ``Authorization`` keeps only its scheme, a secret-looking header
    is ``***``, any other has keys and webhook secrets masked."""
    return _masked_value(_header_kind(name), value)


def mask_cgi_header(variable: str, value: str) -> str:
    """:func:`mask_header` for a WSGI environ variable (``HTTP_X_API_KEY``)."""
    return _masked_value(_cgi_header_kind(variable), value)


#: First characters of what :data:`SECRET_VALUES` matches (le_, lttr_, whsec_, Bearer, Basic).
_SECRET_VALUE_STARTS = frozenset("lLwWbB")


def _masked_value(kind: str, value: str) -> str:
    if kind == "authorization":
        scheme, _, credentials = value.partition(" ")
        return f"{scheme} {MASK}" if credentials else MASK
    if kind == "secret" or (value[:1] in _SECRET_VALUE_STARTS and SECRET_VALUES.match(value)):
        return MASK
    return mask_text(value) if "_" in value else value  # every key and secret shape has a "_"


@functools.lru_cache(maxsize=512)
def _cgi_header_kind(variable: str) -> str:
    return _header_kind(variable[5:].replace("_", "-"))


@functools.lru_cache(maxsize=512)
def _header_kind(name: str) -> str:
    """``"authorization"``, ``"secret"`` or ``"plain"``: what a header's name says of its value
    (names only are remembered, never values; a client sends the same few names every time)."""
    lowered = name.lower()
    if lowered in ("authorization", "proxy-authorization"):
        return "authorization"
    return "secret" if SECRET_NAMES.search(name) and lowered not in _NOT_SECRET else "plain"


def _mask_value(value: Any, secret: bool = False) -> Any:
    if isinstance(value, dict):
        return {name: _mask_value(item, secret or bool(SECRET_NAMES.search(str(name))))
                for name, item in value.items()}
    if isinstance(value, list):
        return [_mask_value(item, secret) for item in value]
    if isinstance(value, str):
        return MASK if secret or SECRET_VALUES.match(value) else mask_text(value)
    return value


def mask_body(raw: bytes) -> bytes:
    """A body as logged: a JSON body with the values of secret-looking fields ``***`` and keys
    masked; any other body with keys and webhook secrets masked. Nothing to mask: ``raw`` itself."""
    if not raw or not _may_hold_secret(raw):
        return raw
    try:
        value = json.loads(raw)
    except ValueError:  # not JSON (or cut short): mask byte for byte
        return mask_text(raw.decode("iso-8859-1")).encode("iso-8859-1")
    masked = _mask_value(value)
    return raw if masked == value else json.dumps(masked, ensure_ascii=False, separators=(",", ":")).encode()
