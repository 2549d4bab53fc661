"""A template's tags into a tree of text, outputs, ``if`` blocks and ``each`` loops.

- A value tag whose text is not an expression stays in the output as it was written (Lettr's
  troubleshooting: a typo or a reserved word shows the tag literally).
- Statements (``if``/``elseif``/``else``/``end``/``each``) that do not fit — an ``end`` with no open
  block, an ``else`` outside an ``if``, a block left open, a condition that is not an expression —
  are *problems*: rendering fails with them (a generation failure), listing merge tags does not.
- A statement at the start of its line takes the line's indentation with it, and the whitespace
  after every statement is dropped, so statements on their own line leave no blank line.

Parsing is cached by source, so a template version is parsed once however often it is sent.

>>> parse("{{if a}}x{{end}}").nodes
[If(branches=[(Var(name='a'), ['x'])], otherwise=None)]
>>> parse("{{if a}}x").problems
["'{{if a}}' is never closed with '{{end}}'"]
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from .expressions import Call, Expr, ExpressionError, Get, Lit, Var, children
from .expressions import parse as parse_expression
from .lexer import LinkContext, Tag, scan

__all__ = ["Each", "If", "Node", "Output", "Parsed", "parse", "walk_expressions"]

STATEMENTS = frozenset({"if", "elseif", "else", "end", "each"})


@dataclass(frozen=True)
class Output:
    """A value to insert; ``in_link`` when it sits inside a link's URL in the template's HTML."""

    expr: Expr
    raw: bool
    in_link: bool = False


@dataclass
class If:
    branches: list[tuple[Expr, list[Node]]] = field(default_factory=list)
    otherwise: list[Node] | None = None


@dataclass
class Each:
    """``{{each expr}}``; ``name`` is the array's own name, for ``loop_vars.<name>``."""

    expr: Expr
    name: str | None
    body: list[Node] = field(default_factory=list)


Node = str | Output | If | Each


@dataclass(frozen=True)
class _Statement:
    word: str
    expr: Expr | None
    source: str


@dataclass
class Parsed:
    nodes: list[Node]
    problems: list[str]
    calls: list[str]  # the macro names used, in order


def _statement(tag: Tag) -> tuple[_Statement | None, str | None]:
    """``(statement, None)``, ``(None, problem)``, or ``(None, None)`` for a tag that is no statement."""
    if tag.raw:
        return None, None
    words = tag.body.split(None, 1)
    word = words[0] if words else ""
    if word not in STATEMENTS:
        return None, None
    rest = words[1].strip() if len(words) > 1 else ""
    if word in ("else", "end"):
        return (_Statement(word, None, tag.source), None) if not rest else (None, f"'{tag.source}' takes no condition")
    try:
        return _Statement(word, parse_expression(rest, then=word != "each"), tag.source), None
    except ExpressionError as error:
        return None, f"'{tag.source}' is not a valid statement: {error}"


def _flat(source: str, problems: list[str]) -> list[str | Output | _Statement]:
    """Text, outputs and statements in order (tags that are neither become text)."""
    items: list[str | Output | _Statement] = []
    links = LinkContext()
    for part in scan(source):
        if isinstance(part, str):
            links.feed(part)
            items.append(part)
            continue
        statement, problem = _statement(part)
        if problem is not None:
            problems.append(problem)
            items.append(part.source)
        elif statement is not None:
            items.append(statement)
        else:
            items.append(_output(part, links))
    return items


def _output(tag: Tag, links: LinkContext) -> Output | str:
    try:
        expr = parse_expression(tag.body)
    except ExpressionError:
        links.feed(tag.source)
        return tag.source
    output = Output(expr, tag.raw, links.in_link)
    links.feed_unknown()
    return output


def _trim(items: list[str | Output | _Statement]) -> None:
    """Drop the indentation before a statement that starts its line and all whitespace after it."""
    for index, item in enumerate(items):
        if not isinstance(item, _Statement):
            continue
        before = items[index - 1] if index > 0 else None
        if isinstance(before, str):
            head, newline, last_line = before.rpartition("\n")
            if (newline or index == 1) and not last_line.strip(" \t"):
                items[index - 1] = head + newline
        after = items[index + 1] if index + 1 < len(items) else None
        if isinstance(after, str):
            items[index + 1] = after.lstrip()


def _last_name(expr: Expr) -> str | None:
    if isinstance(expr, Var):
        return expr.name
    if isinstance(expr, Get) and isinstance(expr.key, Lit) and isinstance(expr.key.value, str):
        return expr.key.value
    return None


class _Builder:
    def __init__(self, problems: list[str]) -> None:
        self.root: list[Node] = []
        self.current = self.root
        self.open: list[tuple[If | Each, list[Node], str]] = []  # block, the list it sits in, its tag
        self.problems = problems

    def add(self, item: str | Output) -> None:
        if isinstance(item, str) and self.current and isinstance(self.current[-1], str):
            self.current[-1] += item
        elif item != "":
            self.current.append(item)

    def statement(self, statement: _Statement) -> None:
        handler = getattr(self, "_" + statement.word)
        handler(statement)

    def _push(self, block: If | Each, body: list[Node], source: str) -> None:
        self.current.append(block)
        self.open.append((block, self.current, source))
        self.current = body

    def _if(self, statement: _Statement) -> None:
        assert statement.expr is not None
        block = If([(statement.expr, [])])
        self._push(block, block.branches[0][1], statement.source)

    def _each(self, statement: _Statement) -> None:
        assert statement.expr is not None
        loop = Each(statement.expr, _last_name(statement.expr))
        self._push(loop, loop.body, statement.source)

    def _open_if(self, statement: _Statement) -> If | None:
        block = self.open[-1][0] if self.open else None
        if not isinstance(block, If):
            self.problems.append(f"'{statement.source}' is outside an '{{{{if}}}}' block")
            return None
        if block.otherwise is not None:
            self.problems.append(f"'{statement.source}' comes after the '{{{{else}}}}' of its block")
            return None
        return block

    def _elseif(self, statement: _Statement) -> None:
        block = self._open_if(statement)
        if block is not None and statement.expr is not None:
            block.branches.append((statement.expr, []))
            self.current = block.branches[-1][1]

    def _else(self, statement: _Statement) -> None:
        block = self._open_if(statement)
        if block is not None:
            block.otherwise = []
            self.current = block.otherwise

    def _end(self, statement: _Statement) -> None:
        if not self.open:
            self.problems.append(f"'{statement.source}' has no open block to close")
            return
        _, self.current, _ = self.open.pop()

    def finish(self) -> list[Node]:
        for _, _, source in reversed(self.open):
            self.problems.append(f"'{source}' is never closed with '{{{{end}}}}'")
        return self.root


def walk_expressions(nodes: list[Node]) -> list[Expr]:
    """Every expression of the tree (outputs, conditions, loop arrays), in source order."""
    found: list[Expr] = []
    for node in nodes:
        if isinstance(node, Output):
            found.append(node.expr)
        elif isinstance(node, If):
            for condition, body in node.branches:
                found.append(condition)
                found.extend(walk_expressions(body))
            found.extend(walk_expressions(node.otherwise or []))
        elif isinstance(node, Each):
            found.append(node.expr)
            found.extend(walk_expressions(node.body))
    return found


def _calls(expr: Expr) -> list[str]:
    names = [expr.name] if isinstance(expr, Call) else []
    for child in children(expr):
        names.extend(_calls(child))
    return names


@functools.lru_cache(maxsize=512)
def parse(source: str) -> Parsed:
    """The tree of ``source`` and its problems (cached: treat the result as read-only)."""
    problems: list[str] = []
    items = _flat(source, problems)
    _trim(items)
    builder = _Builder(problems)
    for item in items:
        if isinstance(item, _Statement):
            builder.statement(item)
        else:
            builder.add(item)
    nodes = builder.finish()
    calls = [name for expr in walk_expressions(nodes) for name in _calls(expr)]
    return Parsed(nodes, problems, calls)
