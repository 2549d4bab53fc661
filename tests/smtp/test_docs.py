"""The recipe in docs/smtp.md runs as written."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pytest_lettr import LettrServer

DOC = Path(__file__).resolve().parents[2] / "docs" / "smtp.md"


def python_blocks(path: Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", path.read_text(encoding="utf-8"), flags=re.S)


def test_the_smtplib_recipe_passes(lettr_server: LettrServer) -> None:
    (block,) = python_blocks(DOC)
    namespace: dict[str, Any] = {}
    exec(compile(block, str(DOC), "exec"), namespace)
    namespace["test_the_receipt_goes_out"](lettr_server)
    assert len(lettr_server.emails) == 1
