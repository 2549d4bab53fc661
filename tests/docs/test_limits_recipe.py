"""The ``enforce_limits`` recipe of docs/current-api.md passes as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

PAGE = Path(__file__).resolve().parents[2] / "docs" / "current-api.md"
SECTION = PAGE.read_text(encoding="utf-8").split("## Request limits and `enforce_limits`", 1)[1].split("\n## ", 1)[0]
BLOCKS = re.findall(r"```python\n(.*?)```", SECTION, flags=re.DOTALL)


def test_the_section_has_its_recipe() -> None:
    assert len(BLOCKS) == 1


def test_the_recipe_passes(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_limits_recipe=BLOCKS[0])
    result = pytester.runpytest_inprocess("-p", "no:randomly", "-p", "no:hypothesispytest", "-q")
    result.assert_outcomes(passed=BLOCKS[0].count("\ndef test_"))
