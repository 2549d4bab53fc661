"""Every Python example in the README is a test module that passes as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.DOTALL)


def test_the_readme_has_examples() -> None:
    assert len(BLOCKS) >= 4


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_example_passes(pytester: pytest.Pytester, index: int) -> None:
    pytester.makepyfile(**{f"test_readme_{index}": BLOCKS[index]})
    result = pytester.runpytest_inprocess("-p", "no:randomly", "-p", "no:hypothesispytest", "-q")
    result.assert_outcomes(passed=BLOCKS[index].count("\ndef test_"))
