"""The merge tags a template uses: the ``substitution_data`` keys it expects.

A key read by a static path is named by it (``{{user.first_name}}`` → ``user.first_name``,
``{{address['city']}}`` → ``address.city``, ``{{items[1]}}`` → ``items``). Fields read through
``loop_var`` (or ``loop_vars.<array>``) become the children of the array's tag. A tag is
``required`` when it is used outside every ``{{if}}`` and not in an ``or`` with a default. The
recipient fields Lettr fills in itself (``address.email``, ``email``, ...) are no merge tags.
"""

from __future__ import annotations

from dataclasses import dataclass

from .evaluator import LOOP_INDEX, LOOP_VAR, LOOP_VARS
from .expressions import Binary, Expr, Get, Lit, Var, children
from .parser import Each, If, Node, Output, parse

_Loops = list[tuple[str | None, "MergeTag | None"]]  # the open loops: the array's name and its tag

__all__ = ["BUILT_IN_FIELDS", "MergeTag", "MergeTagChild", "merge_tags"]

#: Recipient fields the send fills in (see :func:`~pytest_lettr.state.templating.recipient_fields`).
BUILT_IN_FIELDS = frozenset({"address.name", "address.email", "email", "email_id", "env_from"})


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


def _path(expr: Expr) -> list[str] | None:
    """``a.b['c']`` → ``['a', 'b', 'c']``; an index ends the path (``a[1].b`` → ``['a']``); else ``None``."""
    chain: list[Expr] = []
    while isinstance(expr, Get):
        chain.append(expr.key)
        expr = expr.target
    if not isinstance(expr, Var):
        return None
    parts = [expr.name]
    for key in reversed(chain):
        if not (isinstance(key, Lit) and isinstance(key.value, str)):
            break
        parts.append(key.value)
    return parts


def _loop_of(head: str, rest: list[str], loops: _Loops) -> tuple[MergeTag | None, list[str]]:
    """The tag of the loop ``head`` (``loop_var`` or ``loop_vars``) names, and the fields after it."""
    if head == LOOP_VARS:
        if not rest:
            return None, []
        return next((tag for name, tag in reversed(loops) if name == rest[0]), None), rest[1:]
    return (loops[-1][1] if loops else None), rest


class _Collector:
    def __init__(self) -> None:
        self.found: dict[str, MergeTag] = {}

    def note(self, key: str, required: bool) -> MergeTag:
        tag = self.found.get(key)
        if tag is None:
            tag = self.found[key] = MergeTag(key, required)
        tag.required = tag.required or required
        return tag

    def path(self, parts: list[str], required: bool, loops: _Loops) -> MergeTag | None:
        """Note a variable read by ``parts``; returns its tag (``None`` for loop items and built-ins)."""
        head, rest = parts[0], parts[1:]
        if head in (LOOP_VAR, LOOP_VARS):
            self.child(head, rest, loops)
            return None
        key = ".".join(parts)
        if head == LOOP_INDEX or key in BUILT_IN_FIELDS:
            return None
        return self.note(key, required)

    @staticmethod
    def child(head: str, rest: list[str], loops: _Loops) -> None:
        """``loop_var.<field>`` (or ``loop_vars.<array>.<field>``): a child of the loop's tag."""
        loop, fields = _loop_of(head, rest, loops)
        if loop is None or not fields:
            return
        loop.children = loop.children if loop.children is not None else []
        if all(child.key != fields[0] for child in loop.children):
            loop.children.append(MergeTagChild(fields[0]))

    def expr(self, expr: Expr, required: bool, loops: _Loops) -> None:
        parts = _path(expr)
        if parts is not None:
            self.path(parts, required, loops)
            if isinstance(expr, Get):
                self.keys(expr, required, loops)
            return
        if isinstance(expr, Binary) and expr.op == "or":
            required = False
        for child in children(expr):
            self.expr(child, required, loops)

    def keys(self, expr: Expr, required: bool, loops: _Loops) -> None:
        """Variables used as keys inside a path (``address[part]`` uses ``part``)."""
        while isinstance(expr, Get):
            if not isinstance(expr.key, Lit):
                self.expr(expr.key, required, loops)
            expr = expr.target

    def nodes(self, nodes: list[Node], required: bool, loops: _Loops) -> None:
        for node in nodes:
            if isinstance(node, Output):
                self.expr(node.expr, required, loops)
            elif isinstance(node, If):
                for condition, body in node.branches:
                    self.expr(condition, False, loops)
                    self.nodes(body, False, loops)
                self.nodes(node.otherwise or [], False, loops)
            elif isinstance(node, Each):
                self.each(node, required, loops)

    def each(self, node: Each, required: bool, loops: _Loops) -> None:
        parts = _path(node.expr)
        tag = self.path(parts, required, loops) if parts is not None else None
        if parts is None:
            self.expr(node.expr, required, loops)
        if tag is not None and tag.children is None:
            tag.children = []
        self.nodes(node.body, required, [*loops, (node.name, tag)])


def merge_tags(source: str) -> list[MergeTag]:
    """The variables ``source`` uses, in order of first use (a broken template lists what it can)."""
    collector = _Collector()
    collector.nodes(parse(source).nodes, True, [])
    return list(collector.found.values())
