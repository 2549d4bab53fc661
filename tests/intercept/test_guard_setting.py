"""``lettr_allow_real_requests = true`` lets requests to Lettr's hosts through (run in a child pytest)."""

from __future__ import annotations

import pytest


def test_the_ini_option_turns_the_guard_off(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nlettr_allow_real_requests = true\n")
    pytester.makepyfile("""
        from pytest_lettr.intercept import guarding

        def test_allowed():
            assert not guarding()
    """)
    pytester.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_by_default_the_guard_is_on(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("""
        import httpx, pytest
        from pytest_lettr.intercept import RealLettrRequestBlocked

        def test_refused():
            with pytest.raises(RealLettrRequestBlocked):
                httpx.get("https://app.lettr.com/api/domains")
    """)
    pytester.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)
