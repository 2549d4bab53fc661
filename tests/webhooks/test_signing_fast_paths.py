"""The quick paths of signing and verifying: keyed HMAC states cached per secret, the canonical
header split and the direct JSON scan must agree with the plain formulas on every input."""

from __future__ import annotations

import hashlib
import hmac
import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from unittest import mock

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_lettr.webhooks import keyed_hmac
from pytest_lettr.webhooks.signing import (
    InvalidPayloadError,
    MalformedSignatureError,
    SignatureMismatchError,
    sign_webhook,
    verify_signature,
    verify_webhook,
)

T = 1_767_225_600
BODY = b'{"id":"evt_1","type":"email.sent","data":{"to":"zo\xc3\xab@example.com"}}'


def reference_hex(body: bytes, secret: str, t: int = T) -> str:
    return hmac.new(secret.encode("utf-8"), b"%d." % t + body, hashlib.sha256).hexdigest()


# --- the keyed HMAC -----------------------------------------------------------------------------


@pytest.mark.parametrize("length", [1, 6, 32, 63, 64, 65, 127, 128, 300])
def test_keys_of_every_length_around_the_block_size_match_hmac(length: int) -> None:
    secret = "k" * length  # longer than 64 bytes: HMAC hashes the key first
    assert keyed_hmac.hex_mac(keyed_hmac.keyed(secret), b"1.", BODY) == reference_hex(BODY, secret, 1)


def test_multi_byte_secret_longer_than_a_block_in_bytes_but_not_in_characters() -> None:
    secret = "é" * 40  # 40 characters, 80 UTF-8 bytes
    assert sign_webhook(BODY, secret, timestamp=T) == f"t={T},v1={reference_hex(BODY, secret)}"


@given(secret=st.text(min_size=1, max_size=100), body=st.binary(max_size=300), t=st.integers(0, 2**40))
def test_property_cached_states_give_hmacs_digest(secret: str, body: bytes, t: int) -> None:
    states = keyed_hmac.keyed(secret)
    expected = reference_hex(body, secret, t)
    assert keyed_hmac.hex_mac(states, b"%d." % t, body) == expected
    assert keyed_hmac.hex_mac(states, b"%d." % t, body) == expected  # the cached states are not consumed


def test_bytes_bytearray_memoryview_and_str_bodies_verify_alike() -> None:
    secret = "whsec_" + "b" * 32
    header = sign_webhook(BODY, secret, timestamp=T)
    assert sign_webhook(bytearray(BODY), secret, timestamp=T) == header
    assert sign_webhook(memoryview(BODY), secret, timestamp=T) == header
    assert sign_webhook(BODY.decode(), secret, timestamp=T) == header
    for body in (BODY, bytearray(BODY), memoryview(BODY), BODY.decode()):
        assert verify_webhook(body, header, secret, now=T) == json.loads(BODY)
        assert verify_signature(body, header, secret, now=T) is True


# --- the cache ----------------------------------------------------------------------------------


def test_a_wrong_secret_fails_after_the_right_one_warmed_the_cache() -> None:
    right, wrong = "whsec_right_" + "r" * 20, "whsec_wrong_" + "w" * 20
    header = sign_webhook(BODY, right, timestamp=T)
    assert verify_signature(BODY, header, right, now=T)
    with pytest.raises(SignatureMismatchError):
        verify_webhook(BODY, header, wrong, now=T)
    assert verify_signature(BODY, header, wrong, now=T) is False
    assert verify_webhook(BODY, header, right, now=T) == json.loads(BODY)  # and the right one still works


def test_rotation_with_both_secrets_cached_signs_each_with_its_own_key() -> None:
    new, old = "whsec_new_" + "n" * 24, "whsec_old_" + "o" * 24
    for secret in (new, old):
        sign_webhook(BODY, secret, timestamp=T)  # warm the cache for both
    header = sign_webhook(BODY, new, timestamp=T, extra_secrets=[old])
    assert header == f"t={T},v1={reference_hex(BODY, new)},v1={reference_hex(BODY, old)}"
    assert verify_webhook(BODY, header, new, now=T) == verify_webhook(BODY, header, old, now=T)
    after_rotation = sign_webhook(BODY, new, timestamp=T)
    assert verify_signature(BODY, after_rotation, new, now=T)
    assert verify_signature(BODY, after_rotation, old, now=T) is False


def test_the_cache_is_bounded_and_an_evicted_secret_is_keyed_again() -> None:
    first = "whsec_first_evicted"
    header = sign_webhook(BODY, first, timestamp=T)
    for n in range(keyed_hmac.KEY_CACHE_SIZE + 10):
        sign_webhook(BODY, f"whsec_filler_{n}", timestamp=T)
    info = keyed_hmac.keyed.cache_info()
    assert info.maxsize == keyed_hmac.KEY_CACHE_SIZE
    assert info.currsize <= keyed_hmac.KEY_CACHE_SIZE
    assert verify_webhook(BODY, header, first, now=T) == json.loads(BODY)


def test_a_str_subclass_secret_keys_like_the_plain_string() -> None:
    class Secret(str):
        pass

    secret = "whsec_" + "s" * 30
    assert sign_webhook(BODY, Secret(secret), timestamp=T) == sign_webhook(BODY, secret, timestamp=T)
    assert verify_signature(BODY, sign_webhook(BODY, secret, timestamp=T), Secret(secret), now=T)


def test_a_str_subclass_that_equals_everything_cannot_borrow_cached_states() -> None:
    class Liar(str):
        def __eq__(self, other: object) -> bool:
            return True

        def __hash__(self) -> int:
            return 7

    for secret in ("whsec_cached_first", "whsec_someone_else"):
        assert sign_webhook(BODY, Liar(secret), timestamp=T) == f"t={T},v1={reference_hex(BODY, secret)}"
        assert verify_signature(BODY, sign_webhook(BODY, secret, timestamp=T), Liar(secret), now=T)


def test_the_cache_and_its_states_never_show_a_secret() -> None:
    secret = "whsec_CacheMustNotShowThis"
    states = keyed_hmac.keyed(secret)
    for text in (repr(keyed_hmac.keyed), str(keyed_hmac.keyed.cache_info()), repr(states)):
        assert "CacheMustNotShowThis" not in text


def test_threads_sharing_the_cache_each_get_their_own_secret() -> None:
    secrets = [f"whsec_thread_{n}" for n in range(16)]
    headers = {s: f"t={T},v1={reference_hex(BODY, s)}" for s in secrets}

    def check(n: int) -> bool:
        secret = secrets[n % len(secrets)]
        other = secrets[(n + 1) % len(secrets)]
        return (sign_webhook(BODY, secret, timestamp=T) == headers[secret]
                and verify_signature(BODY, headers[secret], secret, now=T)
                and not verify_signature(BODY, headers[other], secret, now=T))

    with ThreadPoolExecutor(max_workers=4) as pool:
        assert all(pool.map(check, range(400)))


# --- the canonical header -----------------------------------------------------------------------


@pytest.mark.parametrize("digest", ["é" * 64, "A" * 64, "g" * 64, "ab" * 31 + "\u00e9\u00e9"])
def test_a_canonical_looking_header_with_a_non_hex_digest_is_malformed(digest: str) -> None:
    header = f"t={T},v1={digest}"
    with pytest.raises(MalformedSignatureError):
        verify_webhook(BODY, header, "whsec_x", now=T)
    assert verify_signature(BODY, header, "whsec_x", now=T) is False


def test_the_canonical_path_compares_in_constant_time() -> None:
    header = sign_webhook(BODY, "whsec_ct", timestamp=T)
    with mock.patch.object(hmac, "compare_digest", wraps=hmac.compare_digest) as spy:
        assert verify_signature(BODY, header, "whsec_ct", now=T)
        assert verify_signature(BODY, header, "whsec_other", now=T) is False
    assert [call.args[1] for call in spy.call_args_list] == [header[-64:]] * 2


# --- the JSON scan ------------------------------------------------------------------------------


ACCEPTED = {  # by id: bodies json.loads takes as an object
    "trailing-newline": b'{"a":1}\n',
    "trailing-whitespace": b'{"a":1} \t\r\n',
    "leading-whitespace": b' \n{"a":1}',
    "nested": b'{"a":[1,2.5,null,true],"b":{"c":"\\u00e9"}}',
}


@pytest.mark.parametrize("body", list(ACCEPTED.values()), ids=list(ACCEPTED))
def test_whitespace_around_an_object_is_accepted_like_json_loads(body: bytes) -> None:
    secret = "whsec_json"
    assert verify_webhook(body, sign_webhook(body, secret, timestamp=T), secret, now=T) == json.loads(body)


REFUSED = {  # by id: (body, what the error says)
    "trailing-data": (b'{"a":1} x', "Extra data"),
    "two-objects": (b'{"a":1}{"b":2}', "Extra data"),
    "trailing-invalid-utf8": (b'{"a":1}\xa0', "valid UTF-8"),
    "trailing-no-break-space": (b'{"a":1}\xc2\xa0', "Extra data"),
    "infinity": (b'{"a":Infinity}', "Infinity is not valid JSON"),
    "truncated": (b'{"a":1', "Expecting"),
    "array-of-object": (b'[{"a":1}]', r"not an object \(list\)"),
}


@pytest.mark.parametrize(("body", "message"), list(REFUSED.values()), ids=list(REFUSED))
def test_anything_but_an_object_is_refused_with_the_decoders_reason(body: bytes, message: str) -> None:
    secret = "whsec_json"
    with pytest.raises(InvalidPayloadError, match=message):
        verify_webhook(body, sign_webhook(body, secret, timestamp=T), secret, now=T)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=10,
)
whitespace = st.text(alphabet=" \t\n\r", max_size=3)


@given(value=json_values, before=whitespace, after=whitespace)
def test_property_verify_webhook_decodes_like_json_loads(value: Any, before: str, after: str) -> None:
    body = (before + json.dumps(value, ensure_ascii=False) + after).encode("utf-8")
    header = sign_webhook(body, "whsec_prop", timestamp=T)
    if isinstance(value, dict):
        assert verify_webhook(body, header, "whsec_prop", now=T) == json.loads(body)
    else:
        with pytest.raises(InvalidPayloadError):
            verify_webhook(body, header, "whsec_prop", now=T)
