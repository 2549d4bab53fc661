"""The Python recipes of docs/inbox.md pass as written (they drive a real browser)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "inbox.md"
BLOCKS = re.findall(r"^```python\n(.*?)^```", DOC.read_text(encoding="utf-8"), flags=re.MULTILINE | re.DOTALL)

pytestmark = pytest.mark.browser


def test_the_docs_recipes_pass(pytester: pytest.Pytester) -> None:
    assert BLOCKS, "docs/inbox.md has no Python recipe"
    pytester.makepyfile(**{f"test_recipe_{i}": block for i, block in enumerate(BLOCKS)})
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")  # its own Playwright, not nested in ours
    result.assert_outcomes(passed=sum(block.count("\ndef test_") + block.startswith("def test_") for block in BLOCKS))
