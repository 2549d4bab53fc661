"""Every Python recipe in docs/interception.md is a test module that passes as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

PAGE = Path(__file__).resolve().parents[2] / "docs" / "interception.md"
BLOCKS = re.findall(r"```python\n(.*?)```", PAGE.read_text(), re.S)


def test_the_page_has_its_recipes() -> None:
    assert len(BLOCKS) == 2


@pytest.mark.parametrize("number", range(len(BLOCKS)))
def test_each_recipe_passes(pytester: pytest.Pytester, number: int) -> None:
    pytester.makepyfile(**{f"test_recipe_{number}": BLOCKS[number]})
    pytester.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)
