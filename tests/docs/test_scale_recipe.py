"""The Python recipe in docs/performance.md is a test module that passes as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

PAGE = Path(__file__).resolve().parents[2] / "docs" / "performance.md"
BLOCKS = [block for block in re.findall(r"```python\n(.*?)```", PAGE.read_text(encoding="utf-8"), flags=re.DOTALL)
          if "seed_history" in block]


def test_the_page_has_its_recipe() -> None:
    assert len(BLOCKS) == 1  # the large-account recipe (the page has others)


def test_scale_recipe_passes(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_scale_recipe=BLOCKS[0])
    result = pytester.runpytest_inprocess("-p", "no:randomly", "-p", "no:hypothesispytest", "-q")
    result.assert_outcomes(passed=1)
