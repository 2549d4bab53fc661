"""The substitution language of the current API: ``{{tags}}`` in subjects, HTML and text.

It is the small SparkPost-style language Lettr templates use:

- ``{{name}}`` inserts a value (HTML-escaped in HTML parts), ``{{{name}}}`` inserts it raw;
  dotted paths reach into objects (``{{user.first_name}}``); a missing value renders as nothing.
- ``{{if name}} ... {{elseif other}} ... {{else}} ... {{end}}`` (``not name``, ``a == "x"``,
  ``a != "x"`` also work as conditions).
- ``{{each items}} ... {{loop_var.title}} ... {{end}}`` repeats for every element of a list.

>>> render("Hi {{name}}!", {"name": "<Ada>"}, html=True)
'Hi &lt;Ada&gt;!'
>>> render("{{each items}}[{{loop_var.sku}}]{{end}}", {"items": [{"sku": "a"}, {"sku": "b"}]})
'[a][b]'
>>> [(t.key, t.required) for t in merge_tags("{{NAME}} {{if vip}}{{code}}{{end}}")]
[('NAME', True), ('vip', False), ('code', False)]
"""

from __future__ import annotations

import html as html_lib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["MergeTag", "MergeTagChild", "merge_tags", "render"]

_TOKEN = re.compile(r"\{\{\{\s*(.*?)\s*\}\}\}|\{\{\s*(.*?)\s*\}\}", re.DOTALL)
_PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*(?:\.[A-Za-z0-9_\-]+)*$")
_COMPARE = re.compile(r"^(?P<path>\S+)\s*(?P<op>==|!=)\s*(?P<quote>[\"'])(?P<value>.*)(?P=quote)$")
_KEYWORDS = frozenset({"if", "elseif", "else", "end", "each", "not", "and", "or", "loop_var", "loop_vars"})
LOOP_VAR = "loop_var"


@dataclass(frozen=True)
class MergeTagChild:
    """A field used inside an ``{{each}}`` loop (``{{loop_var.title}}`` → ``title``)."""

    key: str
    type: str = "text"


@dataclass
class MergeTag:
    """A variable a template uses; ``required`` when it is used outside every ``{{if}}``."""

    key: str
    required: bool
    children: list[MergeTagChild] | None = None

    @property
    def name(self) -> str:
        return self.key


@dataclass
class _Var:
    path: str
    raw: bool


@dataclass
class _If:
    branches: list[tuple[str, list[_Node]]] = field(default_factory=list)
    otherwise: list[_Node] | None = None


@dataclass
class _Each:
    path: str
    body: list[_Node] = field(default_factory=list)


_Node = str | _Var | _If | _Each


class _Tree:
    """The nodes parsed so far and the blocks still open, innermost last."""

    def __init__(self) -> None:
        self.root: list[_Node] = []
        self.current = self.root  # where the next node goes
        self.open_blocks: list[tuple[_If | _Each, list[_Node]]] = []  # each with the list it sits in

    def add(self, node: _Node) -> None:
        self.current.append(node)

    def tag(self, match: re.Match[str]) -> None:
        """One ``{{...}}`` / ``{{{...}}}`` token: a block tag, a value, or else plain text."""
        raw = match.group(1) is not None
        expression = (match.group(1) if raw else match.group(2)) or ""
        if not raw and self._block_tag(expression):
            return
        if _PATH.match(expression) and expression not in _KEYWORDS:
            self.add(_Var(expression, raw))
        else:
            self.add(match.group(0))

    def _block_tag(self, expression: str) -> bool:
        """Apply ``expression`` if it is a block tag that fits here; whether it was."""
        word, _, rest = expression.partition(" ")
        handler = _BLOCK_TAGS.get(word)
        return handler is not None and handler(self, rest.strip())

    def _open(self, block: _If | _Each, body: list[_Node]) -> None:
        self.add(block)
        self.open_blocks.append((block, self.current))
        self.current = body

    def _open_if(self) -> _If | None:
        """The innermost open block if it is an ``{{if}}`` that has had no ``{{else}}`` yet."""
        if self.open_blocks:
            block = self.open_blocks[-1][0]
            if isinstance(block, _If) and block.otherwise is None:
                return block
        return None

    def start_if(self, condition: str) -> bool:
        if not condition:
            return False
        block = _If(branches=[(condition, [])])
        self._open(block, block.branches[-1][1])
        return True

    def start_each(self, path: str) -> bool:
        if not _PATH.match(path):
            return False
        loop = _Each(path)
        self._open(loop, loop.body)
        return True

    def add_elseif(self, condition: str) -> bool:
        open_if = self._open_if()
        if not condition or open_if is None:
            return False
        open_if.branches.append((condition, []))
        self.current = open_if.branches[-1][1]
        return True

    def add_else(self, rest: str) -> bool:
        open_if = self._open_if()
        if rest or open_if is None:  # the token pattern strips spaces, so no rest is exactly {{else}}
            return False
        open_if.otherwise = []
        self.current = open_if.otherwise
        return True

    def end(self, rest: str) -> bool:
        if rest or not self.open_blocks:
            return False
        _, self.current = self.open_blocks.pop()
        return True


#: Block tags by their first word; each handler gets the rest of the tag.
_BLOCK_TAGS: dict[str, Callable[[_Tree, str], bool]] = {
    "if": _Tree.start_if,
    "each": _Tree.start_each,
    "elseif": _Tree.add_elseif,
    "else": _Tree.add_else,
    "end": _Tree.end,
}


def _parse(source: str) -> list[_Node]:
    """A forgiving parse: an unknown or unbalanced block tag is kept as text."""
    tree = _Tree()
    position = 0
    for match in _TOKEN.finditer(source):
        if match.start() > position:
            tree.add(source[position : match.start()])
        position = match.end()
        tree.tag(match)
    if position < len(source):
        tree.add(source[position:])
    return tree.root


def _lookup(context: Mapping[str, Any], path: str) -> Any:
    value: Any = context
    for part in path.split("."):
        if isinstance(value, Mapping) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)


def _truthy(context: Mapping[str, Any], condition: str) -> bool:
    condition = condition.strip()
    if condition.startswith("not "):
        return not _truthy(context, condition[4:])
    compare = _COMPARE.match(condition)
    if compare:
        equal = _text(_lookup(context, compare.group("path"))) == compare.group("value")
        return equal if compare.group("op") == "==" else not equal
    return bool(_lookup(context, condition))


def _render(nodes: list[_Node], context: Mapping[str, Any], html: bool, out: list[str]) -> None:
    for node in nodes:
        if isinstance(node, str):
            out.append(node)
        elif isinstance(node, _Var):
            text = _text(_lookup(context, node.path))
            out.append(html_lib.escape(text) if html and not node.raw else text)
        elif isinstance(node, _If):
            _render(_chosen_branch(node, context), context, html, out)
        else:
            items = _lookup(context, node.path)
            for item in items if isinstance(items, list) else []:
                _render(node.body, {**context, LOOP_VAR: item}, html, out)


def _chosen_branch(block: _If, context: Mapping[str, Any]) -> list[_Node]:
    """The body of the first true condition, else the ``{{else}}`` body (or nothing)."""
    for condition, body in block.branches:
        if _truthy(context, condition):
            return body
    return block.otherwise or []


def render(source: str, data: Mapping[str, Any], *, html: bool = False) -> str:
    """``source`` with every tag replaced from ``data`` (escape values when ``html``)."""
    if "{{" not in source:
        return source
    out: list[str] = []
    _render(_parse(source), data, html, out)
    return "".join(out)


def _condition_paths(condition: str) -> list[str]:
    condition = condition.strip()
    while condition.startswith("not "):
        condition = condition[4:].strip()
    compare = _COMPARE.match(condition)
    path = compare.group("path") if compare else condition
    return [path] if _PATH.match(path) and path not in _KEYWORDS else []


def merge_tags(source: str) -> list[MergeTag]:
    """The variables ``source`` uses, in order of first use.

    Loop variables become the loop's ``children``; tags only used under an ``{{if}}`` are
    not ``required``.
    """
    found: dict[str, MergeTag] = {}

    def note(path: str, required: bool) -> MergeTag:
        tag = found.get(path)
        if tag is None:
            tag = found[path] = MergeTag(path, required)
        tag.required = tag.required or required
        return tag

    def walk(nodes: list[_Node], required: bool, loop: MergeTag | None) -> None:
        for node in nodes:
            if isinstance(node, _Var):
                head, _, rest = node.path.partition(".")
                if head == LOOP_VAR:
                    if loop is not None and rest:
                        children = loop.children if loop.children is not None else []
                        loop.children = children
                        if all(child.key != rest for child in children):
                            children.append(MergeTagChild(rest))
                    continue
                note(node.path, required)
            elif isinstance(node, _If):
                for condition, body in node.branches:
                    for path in _condition_paths(condition):
                        if path.split(".")[0] != LOOP_VAR:
                            note(path, False)
                    walk(body, False, loop)
                if node.otherwise is not None:
                    walk(node.otherwise, False, loop)
            elif isinstance(node, _Each):
                if node.path.split(".")[0] == LOOP_VAR:
                    walk(node.body, required, loop)
                    continue
                tag = note(node.path, required)
                if tag.children is None:
                    tag.children = []
                walk(node.body, required, tag)

    walk(_parse(source), True, None)
    return list(found.values())
