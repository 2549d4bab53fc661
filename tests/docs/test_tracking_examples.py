"""Every Python recipe in docs/tracking.md is a test module that passes as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

PAGE = Path(__file__).resolve().parents[2] / "docs" / "tracking.md"
BLOCKS = re.findall(r"```python\n(.*?)```", PAGE.read_text(encoding="utf-8"), flags=re.DOTALL)


def test_the_page_has_its_recipe() -> None:
    assert len(BLOCKS) == 1


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_tracking_recipe_passes(pytester: pytest.Pytester, index: int) -> None:
    pytester.makepyfile(**{f"test_tracking_recipe_{index}": BLOCKS[index]})
    result = pytester.runpytest_inprocess("-p", "no:randomly", "-p", "no:hypothesispytest", "-q")
    result.assert_outcomes(passed=BLOCKS[index].count("\ndef test_"))
