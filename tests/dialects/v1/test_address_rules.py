"""Addresses may be international, but never hide characters a reader cannot see."""

from __future__ import annotations

import pytest

from . import V1, assert_v1_error, email


@pytest.mark.parametrize("address", [
    "ada\u202e@example.com",        # right-to-left override
    "ada\u200b@example.com",        # zero-width space
    "ada@exa\u00admple.com",        # soft hyphen
    "ada\ue000@example.com",        # private use
])
def test_invisible_characters_are_refused_in_to(v1: V1, address: str) -> None:
    assert_v1_error(v1().post("/emails", json=email(to=address)), 400, "invalid_to", param="to")


def test_invisible_characters_are_refused_in_from(v1: V1) -> None:
    assert_v1_error(v1().post("/emails", json=email(from_="App <app\u202e@example.com>")), 400, "invalid_parameter",
             param="from")


@pytest.mark.parametrize("address", ["jos\u00e9@example.com", "\u7528\u6237@\u4f8b\u5b50.\u5e7f\u544a",
                                     "ada@b\u00fccher.example"])
def test_international_addresses_are_accepted(v1: V1, address: str) -> None:
    response = v1().post("/emails", json=email(to=address))
    assert response.status_code == 200, response.text
    assert response.json()["to"] == [address]
