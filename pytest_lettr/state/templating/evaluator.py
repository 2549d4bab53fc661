"""Rendering a parsed template with substitution data: values, conditions, loops and macros.

Values follow the documented rules: a missing or ``null`` value prints nothing; numbers print as
written (``15 - 5`` → ``10``); booleans print ``true`` / ``false``; objects and arrays print as
compact JSON. ``null``, ``false`` and ``""`` are false in a condition, every other value is true
(``0`` and ``[]`` too: ``empty()`` tests for an empty array). Numeric strings count as numbers in
arithmetic and comparisons. What a generator cannot do — arithmetic on a missing value, dividing by
zero, a missing snippet, a broken block structure — raises :class:`TemplateError`.
"""

from __future__ import annotations

import html as html_lib
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from .expressions import Binary, Call, Expr, Get, Lit, Unary, Var
from .parser import Each, If, Node, Output, parse

__all__ = ["LOOP_VAR", "MAX_SNIPPETS", "PARTS", "Snippet", "TemplateError", "render"]

LOOP_VAR = "loop_var"
LOOP_INDEX = "loop_index"
LOOP_VARS = "loop_vars"
#: How many ``render_snippet`` calls one template may make.
MAX_SNIPPETS = 5
#: The content parts a template renders for; a subject renders as ``text``.
PARTS = ("html", "text", "amp_html")
_BRACES = {
    "opening_single_curly": "{", "closing_single_curly": "}",
    "opening_double_curly": "{{", "closing_double_curly": "}}",
    "opening_triple_curly": "{{{", "closing_triple_curly": "}}}",
}


class TemplateError(ValueError):
    """The content cannot be generated: on a send, the email fails with a generation failure."""


@dataclass(frozen=True)
class Snippet:
    """Reusable content for ``{{ render_snippet("id") }}``, one body per part."""

    id: str
    html: str | None = None
    text: str | None = None
    amp_html: str | None = None

    def content(self, part: str) -> str:
        return getattr(self, part, None) or ""


class _Safe(str):
    """Macro output that is inserted as it is (never escaped or encoded)."""


@dataclass(frozen=True)
class _Loop:
    name: str | None
    item: Any
    index: int  # 1-based, like array indexes


def text_of(value: Any) -> str:
    """How a value prints."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e16 else repr(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)


def truthy(value: Any) -> bool:
    return value is not None and value is not False and value != ""


def _number(value: Any) -> float | int | None:
    """``value`` as a number (numeric strings too), else ``None``."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


def _describe(value: Any) -> str:
    if value is None:
        return "nothing"
    if _number(value) is not None and not isinstance(value, str):
        return text_of(value)
    return f"{type(value).__name__} {text_of(value)[:40]!r}"


def _arith(op: str, left: Any, right: Any) -> int | float:
    a, b = _number(left), _number(right)
    if a is None or b is None:
        raise TemplateError(f"cannot compute {_describe(left)} {op} {_describe(right)}")
    if op == "/":
        if b == 0:
            raise TemplateError("division by zero")
        return a / b
    return a + b if op == "+" else a - b if op == "-" else a * b


def _equal(left: Any, right: Any) -> bool:
    a, b = _number(left), _number(right)
    if a is not None and b is not None:
        return a == b
    if isinstance(left, bool) or isinstance(right, bool):
        return left is right
    return bool(left == right)


_COMPARISONS = frozenset({"==", "!=", "<", ">", "<=", ">="})
_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "<": lambda a, b: a < b, ">": lambda a, b: a > b, "<=": lambda a, b: a <= b, ">=": lambda a, b: a >= b,
}


def _compare(op: str, left: Any, right: Any) -> bool:
    if op in ("==", "!="):
        return _equal(left, right) == (op == "==")
    a, b = _number(left), _number(right)
    if a is not None and b is not None:
        return _ORDER[op](a, b)
    if isinstance(left, str) and isinstance(right, str):
        return _ORDER[op](left, right)
    raise TemplateError(f"cannot compare {_describe(left)} {op} {_describe(right)}")


def _index(target: Any, key: Any) -> Any:
    if isinstance(target, Mapping):
        return target.get(key) if isinstance(key, str) else None
    if isinstance(target, list):
        position = _number(key) if not isinstance(key, str) else None
        if position is not None and float(position).is_integer() and 1 <= position <= len(target):
            return target[int(position) - 1]
    return None


def _length(value: Any) -> int:
    if isinstance(value, (list, str, dict)):
        return len(value)
    raise TemplateError(f"'#' needs an array, got {_describe(value)}")


class _Renderer:
    """One rendering of one part; ``nested`` is set inside a snippet or dynamic content."""

    def __init__(self, data: Mapping[str, Any], part: str, snippets: Mapping[str, Snippet],
                 nested: str | None = None) -> None:
        self.data = data
        self.part = part
        self.escape = part in ("html", "amp_html")
        self.snippets = snippets
        self.nested = nested

    #: The one-argument macros by name (set below the class).
    _MACROS: dict[str, Callable[[_Renderer, Any], Any]]

    # -- statements --------------------------------------------------------------------------
    def nodes(self, nodes: list[Node], loops: tuple[_Loop, ...], out: list[str]) -> None:
        for node in nodes:
            if isinstance(node, str):
                out.append(node)
            elif isinstance(node, Output):
                out.append(self.output(node, loops))
            elif isinstance(node, If):
                self.nodes(self.branch(node, loops), loops, out)
            else:
                self.each(node, loops, out)

    def output(self, node: Output, loops: tuple[_Loop, ...]) -> str:
        value = self.value(node.expr, loops)
        if isinstance(value, _Safe):
            return str(value)
        text = text_of(value)
        if node.raw or not self.escape:
            return text
        return quote(text, safe="") if node.in_link else html_lib.escape(text)

    def branch(self, block: If, loops: tuple[_Loop, ...]) -> list[Node]:
        for condition, body in block.branches:
            if truthy(self.value(condition, loops)):
                return body
        return block.otherwise or []

    def each(self, loop: Each, loops: tuple[_Loop, ...], out: list[str]) -> None:
        items = self.value(loop.expr, loops)
        if items is None:
            return
        if not isinstance(items, list):
            raise TemplateError(f"'each' needs an array, got {_describe(items)}")
        for index, item in enumerate(items, start=1):
            self.nodes(loop.body, (*loops, _Loop(loop.name, item, index)), out)

    # -- expressions -------------------------------------------------------------------------
    def value(self, expr: Expr, loops: tuple[_Loop, ...]) -> Any:
        if isinstance(expr, Lit):
            return expr.value
        if isinstance(expr, Var):
            return self.variable(expr.name, loops)
        if isinstance(expr, Get):
            return _index(self.value(expr.target, loops), self.value(expr.key, loops))
        if isinstance(expr, Binary):
            return self.binary(expr, loops)
        if isinstance(expr, Unary):
            operand = self.value(expr.operand, loops)
            return not truthy(operand) if expr.op == "not" else _length(operand) if expr.op == "#" \
                else _arith("-", 0, operand)
        return self.call(expr, loops)

    def binary(self, expr: Binary, loops: tuple[_Loop, ...]) -> Any:
        left = self.value(expr.left, loops)
        if expr.op == "or":
            return left if truthy(left) else self.value(expr.right, loops)
        if expr.op == "and":
            return self.value(expr.right, loops) if truthy(left) else left
        right = self.value(expr.right, loops)
        return _compare(expr.op, left, right) if expr.op in _COMPARISONS else _arith(expr.op, left, right)

    def variable(self, name: str, loops: tuple[_Loop, ...]) -> Any:
        if name == LOOP_VAR:
            return loops[-1].item if loops else None
        if name == LOOP_INDEX:
            return loops[-1].index if loops else None
        if name == LOOP_VARS:
            return {loop.name: loop.item for loop in loops if loop.name is not None}
        return self.data.get(name)

    # -- macros ------------------------------------------------------------------------------
    def call(self, call: Call, loops: tuple[_Loop, ...]) -> Any:
        args = [self.value(arg, loops) for arg in call.args]
        if call.name in _BRACES and not args:
            return _Safe(_BRACES[call.name])
        macro = self._MACROS.get(call.name)
        if macro is None or len(args) != 1:
            raise TemplateError(f"unknown macro {call.name}() with {len(args)} argument(s)")
        return macro(self, args[0])

    def empty(self, value: Any) -> bool:
        return value is None or (isinstance(value, (list, dict, str)) and not value)

    def dynamic(self, content: Any) -> _Safe:
        if self.nested is not None:
            raise TemplateError(f"render_dynamic_content() cannot be used inside {self.nested}")
        if content is None:
            return _Safe("")
        if not isinstance(content, str):
            raise TemplateError(f"render_dynamic_content() needs a string, got {_describe(content)}")
        return _Safe(_render(content, self.data, self.part, self.snippets, "dynamic content"))

    def snippet(self, snippet_id: Any) -> _Safe:
        if self.nested == "a snippet":
            raise TemplateError("a snippet cannot render another snippet")
        snippet = self.snippets.get(snippet_id) if isinstance(snippet_id, str) else None
        if snippet is None:
            raise TemplateError(f"snippet {text_of(snippet_id)[:64]!r} does not exist")
        return _Safe(_render(snippet.content(self.part), self.data, self.part, self.snippets, "a snippet"))


_Renderer._MACROS = {"empty": _Renderer.empty, "render_dynamic_content": _Renderer.dynamic,
                     "render_snippet": _Renderer.snippet}


def _render(source: str, data: Mapping[str, Any], part: str, snippets: Mapping[str, Snippet],
            nested: str | None = None) -> str:
    if "{{" not in source:
        return source
    parsed = parse(source)
    if parsed.problems:
        raise TemplateError(parsed.problems[0])
    if parsed.calls.count("render_snippet") > MAX_SNIPPETS:
        raise TemplateError(f"render_snippet() is used {parsed.calls.count('render_snippet')} times; "
                            f"at most {MAX_SNIPPETS} are allowed")
    out: list[str] = []
    _Renderer(data, part, snippets, nested).nodes(parsed.nodes, (), out)
    return "".join(out)


def render(source: str, data: Mapping[str, Any], *, html: bool = False, part: str | None = None,
           snippets: Mapping[str, Snippet] | None = None) -> str:
    """``source`` with every tag replaced from ``data``.

    ``part`` is ``"html"``, ``"text"`` or ``"amp_html"`` (``html=True`` is ``"html"``): values are
    HTML-escaped in the HTML parts, URL-encoded inside a link's URL there, and ``render_snippet``
    picks the snippet's body for the part. Raises :class:`TemplateError` when it cannot render.
    """
    chosen = part or ("html" if html else "text")
    if chosen not in PARTS:
        raise ValueError(f"part must be one of {', '.join(PARTS)}, not {chosen!r}")
    return _render(source, data, chosen, snippets or {})
