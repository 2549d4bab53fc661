"""HMAC-SHA256 with the keyed state kept per secret, for signing and verifying webhooks.

HMAC (RFC 2104) hashes the key, padded to SHA-256's 64-byte block and XORed with ``0x36``,
before the message (the inner hash), and the key XORed with ``0x5c`` before the inner digest
(the outer hash). Both padded keys fill exactly one block, so the state after hashing them
depends on the secret only: :func:`keyed` computes the two states once per secret and
:func:`hex_mac` copies them for each message. That is the same digest as
``hmac.new(key, message, sha256).hexdigest()`` (the tests compare them) without re-keying, and
without the per-call set-up of OpenSSL's HMAC, which costs more than hashing a 500-byte body.

The cache is a bounded LRU of the most recent secrets. It holds hash states, never shown: its
``repr`` and ``cache_info()`` name no secret. A secret found in the cache is looked up by the
receiver's own configured value, never by anything a sender controls.
"""

from __future__ import annotations

from functools import lru_cache
from hashlib import sha256
from typing import TYPE_CHECKING, TypeAlias

if TYPE_CHECKING:
    from _hashlib import HASH

__all__ = ["KEY_CACHE_SIZE", "KeyedStates", "hex_mac", "keyed"]

KEY_CACHE_SIZE = 256
_BLOCK_SIZE = 64  # SHA-256's block, in bytes
_INNER_PAD = bytes(byte ^ 0x36 for byte in range(256))
_OUTER_PAD = bytes(byte ^ 0x5C for byte in range(256))

# (inner state, outer state): hashlib objects after their padded key block.
KeyedStates: TypeAlias = "tuple[HASH, HASH]"


@lru_cache(maxsize=KEY_CACHE_SIZE)
def keyed(secret: str) -> KeyedStates:
    """The inner and outer SHA-256 states keyed with ``secret``'s UTF-8 bytes (cached)."""
    key = secret.encode("utf-8")
    if len(key) > _BLOCK_SIZE:
        key = sha256(key).digest()
    key = key.ljust(_BLOCK_SIZE, b"\0")
    return sha256(key.translate(_INNER_PAD)), sha256(key.translate(_OUTER_PAD))


def hex_mac(states: KeyedStates, prefix: bytes, body: bytes | bytearray | memoryview) -> str:
    """Lower-case hex HMAC-SHA256 of ``prefix + body`` under ``states`` (from :func:`keyed`)."""
    inner = states[0].copy()
    inner.update(prefix)
    inner.update(body)
    outer = states[1].copy()
    outer.update(inner.digest())
    return outer.hexdigest()
