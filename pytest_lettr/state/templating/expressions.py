"""Expressions inside ``{{ }}``: a tokenizer and a recursive-descent parser into a small tree.

Precedence, loosest first: ``or`` · ``and`` · ``not`` · comparisons (``== != < > <= >=``) ·
``+ -`` · ``* /`` · unary ``-`` and ``#`` · access (``a.b``, ``a['b']``, ``a[i]``) and macro calls.
``not`` binds looser than a comparison, so ``not plan == 'free'`` reads as ``not (plan == 'free')``.

>>> parse("first_name or 'Customer'")
Binary(op='or', left=Var(name='first_name'), right=Lit(value='Customer'))
>>> parse("#cart > 1 and not empty(cart)")  # doctest: +ELLIPSIS
Binary(op='and', left=Binary(op='>', left=Unary(op='#', operand=Var(name='cart')), right=Lit(value=1)), ...)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["Binary", "Call", "Expr", "ExpressionError", "Get", "Lit", "Unary", "Var", "children", "parse",
           "tokenize"]

#: Reserved words: no variable may be named so (a tag that uses one as a value stays text).
WORDS = frozenset({"and", "or", "not", "true", "false", "nil", "then", "if", "elseif", "else", "end", "each",
                   "break", "do", "for", "function", "in", "local", "repeat", "return", "until", "while"})
_SYMBOLS = ("==", "!=", "<=", ">=", "<", ">", "+", "-", "*", "/", "#", "(", ")", "[", "]", ".", ",")
_COMPARISONS = frozenset({"==", "!=", "<", ">", "<=", ">="})


class ExpressionError(ValueError):
    """The text inside the braces is not an expression."""


@dataclass(frozen=True)
class Lit:
    value: Any


@dataclass(frozen=True)
class Var:
    name: str


@dataclass(frozen=True)
class Get:
    """``target.key`` or ``target[key]``."""

    target: Expr
    key: Expr


@dataclass(frozen=True)
class Unary:
    """``not x``, ``-x`` or ``#x``."""

    op: str
    operand: Expr


@dataclass(frozen=True)
class Binary:
    """``left op right``: ``or``, ``and``, a comparison or arithmetic."""

    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Call:
    """A macro: ``empty(x)``, ``render_snippet("id")``, ``opening_double_curly()``, ..."""

    name: str
    args: tuple[Expr, ...]


Expr = Lit | Var | Get | Unary | Binary | Call


def children(expr: Expr) -> tuple[Expr, ...]:
    """The sub-expressions of ``expr``."""
    if isinstance(expr, Binary):
        return (expr.left, expr.right)
    if isinstance(expr, Unary):
        return (expr.operand,)
    if isinstance(expr, Call):
        return expr.args
    if isinstance(expr, Get):
        return (expr.target, expr.key)
    return ()


@dataclass(frozen=True)
class Token:
    kind: str  # "name", "number", "string", "symbol" or "word"
    text: str
    value: Any = None


def _scan_string(source: str, start: int) -> tuple[Token, int]:
    quote, index, chars = source[start], start + 1, []
    while index < len(source):
        char = source[index]
        if char == "\\" and index + 1 < len(source):
            chars.append(source[index + 1])
            index += 2
        elif char == quote:
            return Token("string", source[start:index + 1], "".join(chars)), index + 1
        else:
            chars.append(char)
            index += 1
    raise ExpressionError("unterminated string")


def _scan_number(source: str, start: int) -> tuple[Token, int]:
    index = start
    while index < len(source) and (source[index].isdigit() or source[index] == "."):
        index += 1
    text = source[start:index]
    try:
        value: int | float = int(text) if text.isdigit() else float(text)
    except ValueError:
        raise ExpressionError(f"bad number {text!r}") from None
    return Token("number", text, value), index


def _scan_name(source: str, start: int) -> tuple[Token, int]:
    index = start
    while index < len(source) and (source[index].isascii() and (source[index].isalnum() or source[index] == "_")):
        index += 1
    text = source[start:index]
    return Token("word" if text in WORDS else "name", text), index


def _scan_symbol(source: str, start: int) -> tuple[Token, int]:
    symbol = next((s for s in _SYMBOLS if source.startswith(s, start)), None)
    if symbol is None:
        raise ExpressionError(f"unexpected {source[start]!r}")
    return Token("symbol", symbol), start + len(symbol)


def _scanner(char: str) -> Callable[[str, int], tuple[Token, int]]:
    if char in "'\"":
        return _scan_string
    if char.isascii() and char.isdigit():
        return _scan_number
    if char.isascii() and (char.isalpha() or char == "_"):
        return _scan_name
    return _scan_symbol


def tokenize(source: str) -> list[Token]:
    """The tokens of one expression (``ExpressionError`` on a character that starts none)."""
    tokens: list[Token] = []
    index = 0
    while index < len(source):
        if source[index].isspace():
            index += 1
            continue
        token, index = _scanner(source[index])(source, index)
        tokens.append(token)
    return tokens


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.index = 0

    def peek(self) -> Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def accept(self, *texts: str) -> Token | None:
        token = self.peek()
        if token is not None and token.kind in ("symbol", "word") and token.text in texts:
            self.index += 1
            return token
        return None

    def expect(self, text: str) -> None:
        if self.accept(text) is None:
            raise ExpressionError(f"expected {text!r}")

    def or_expr(self) -> Expr:
        node = self.and_expr()
        while self.accept("or"):
            node = Binary("or", node, self.and_expr())
        return node

    def and_expr(self) -> Expr:
        node = self.not_expr()
        while self.accept("and"):
            node = Binary("and", node, self.not_expr())
        return node

    def not_expr(self) -> Expr:
        if self.accept("not"):
            return Unary("not", self.not_expr())
        return self.comparison()

    def comparison(self) -> Expr:
        node = self.sum()
        token = self.accept(*_COMPARISONS)
        return Binary(token.text, node, self.sum()) if token else node

    def sum(self) -> Expr:
        node = self.product()
        while (token := self.accept("+", "-")) is not None:
            node = Binary(token.text, node, self.product())
        return node

    def product(self) -> Expr:
        node = self.unary()
        while (token := self.accept("*", "/")) is not None:
            node = Binary(token.text, node, self.unary())
        return node

    def unary(self) -> Expr:
        token = self.accept("-", "#")
        return Unary(token.text, self.unary()) if token else self.postfix()

    def postfix(self) -> Expr:
        node = self.primary()
        while True:
            if self.accept("."):
                token = self.peek()
                if token is None or token.kind not in ("name", "word"):
                    raise ExpressionError("expected a name after '.'")
                self.index += 1
                node = Get(node, Lit(token.text))
            elif self.accept("["):
                node = Get(node, self.or_expr())
                self.expect("]")
            else:
                return node

    def primary(self) -> Expr:
        token = self.peek()
        if token is None:
            raise ExpressionError("expected a value")
        self.index += 1
        if token.kind in ("number", "string"):
            return Lit(token.value)
        if token.kind == "word" and token.text in ("true", "false", "nil"):
            return Lit({"true": True, "false": False, "nil": None}[token.text])
        if token.kind == "name":
            return self.call(token.text) if self.accept("(") else Var(token.text)
        if token.text == "(":
            node = self.or_expr()
            self.expect(")")
            return node
        raise ExpressionError(f"unexpected {token.text!r}")

    def call(self, name: str) -> Call:
        args: list[Expr] = []
        if not self.accept(")"):
            args.append(self.or_expr())
            while self.accept(","):
                args.append(self.or_expr())
            self.expect(")")
        return Call(name, tuple(args))


def parse(source: str, *, then: bool = False) -> Expr:
    """One expression; with ``then``, a trailing ``then`` keyword (``{{if x then}}``) is allowed."""
    parser = _Parser(tokenize(source))
    node = parser.or_expr()
    if then:
        parser.accept("then")
    if parser.peek() is not None:
        raise ExpressionError(f"unexpected {parser.peek().text!r}")  # type: ignore[union-attr]
    return node
