"""Every error class has an SMTP reply, and a reply never carries a key or a line break."""

from __future__ import annotations

import pytest

from pytest_lettr import errors
from pytest_lettr.smtp import REPLY, reply_of


@pytest.mark.parametrize("cls", errors.error_classes(), ids=lambda c: c.__name__)
def test_every_error_class_has_a_reply(cls: type[errors.LettrError]) -> None:
    assert cls in REPLY, f"{cls.__name__} has no SMTP reply"
    code, enhanced = REPLY[cls]
    assert 400 <= code < 600 and enhanced[0] == str(code)[0]


@pytest.mark.parametrize(("error", "start"), [
    (errors.Unauthorized("Invalid API key"), "535 5.7.8 "),
    (errors.RateLimited("Too many requests", retry_after=1), "421 4.7.0 "),
    (errors.InvalidRecipient("bad"), "550 5.1.3 "),
    (errors.DailyQuotaExceeded("quota"), "451 4.7.1 "),
    (errors.ServerError("boom"), "451 4.3.0 "),
])
def test_documented_codes(error: errors.LettrError, start: str) -> None:
    assert reply_of(error).startswith(start)


def test_a_reply_is_one_line_without_keys() -> None:
    key = "lttr_" + "a" * 64
    reply = reply_of(errors.InvalidSender(f"bad\r\nsender {key}"))
    assert "\n" not in reply and "\r" not in reply and key not in reply and "lttr_***" in reply


def test_a_subclass_takes_its_nearest_listed_base() -> None:
    class Mine(errors.Suppressed):
        pass

    assert reply_of(Mine("x")).startswith("550 5.1.1 ")
