"""Splitting a template into literal text and ``{{ }}`` / ``{{{ }}}`` tags, and where a tag sits in HTML.

>>> scan("Hi {{ name }}, {{{html}}}!")
['Hi ', Tag(body='name', raw=False, source='{{ name }}'), ', ', Tag(body='html', raw=True, source='{{{html}}}'), '!']
>>> context = LinkContext()
>>> context.feed('<a class="x" href="https://example.com/?u=')
>>> context.in_link
True
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["LinkContext", "Tag", "scan"]


@dataclass(frozen=True)
class Tag:
    """One tag: its inner text (stripped), whether it had triple braces, and its text as written."""

    body: str
    raw: bool
    source: str


def scan(source: str) -> list[str | Tag]:
    """Text and tags in order; a ``{{`` with no closing ``}}`` is text."""
    parts: list[str | Tag] = []
    position = 0
    while True:
        start = source.find("{{", position)
        if start < 0:
            break
        tag, end = _tag_at(source, start)
        if tag is None:
            break
        if start > position:
            parts.append(source[position:start])
        parts.append(tag)
        position = end
    if position < len(source):
        parts.append(source[position:])
    return parts


def _tag_at(source: str, start: int) -> tuple[Tag | None, int]:
    """The tag opening at ``start``: a triple one only if its first ``}}`` is a ``}}}``."""
    close = source.find("}}", start + 2)
    if close < 0:
        return None, start
    if source.startswith("{{{", start) and source.startswith("}}}", close) and close >= start + 3 \
            and "{{" not in source[start + 3:close]:
        return Tag(source[start + 3:close].strip(), True, source[start:close + 3]), close + 3
    return Tag(source[start + 2:close].strip(), False, source[start:close + 2]), close + 2


class LinkContext:
    """Follows the template's literal HTML to tell whether the next tag is inside a link's URL.

    A link is an ``href`` attribute whose value, as written in the template, starts with ``http://``
    or ``https://``; what tags insert counts as unknown text.
    """

    def __init__(self) -> None:
        self._state = "data"  # data · tag · value (quoted) · bare (unquoted value)
        self._quote = ""
        self._name: list[str] = []
        self._name_ended = False
        self._attribute = ""
        self._value: list[str] = []

    @property
    def in_link(self) -> bool:
        if self._state not in ("value", "bare") or self._attribute != "href":
            return False
        value = "".join(self._value[:8]).lower()
        return value.startswith(("http://", "https://"))

    def feed(self, text: str) -> None:
        for char in text:
            self._step(char)

    def feed_unknown(self) -> None:
        """A tag's output: unknown text inside an attribute value, nothing elsewhere."""
        if self._state == "equals":
            self._state, self._value = "bare", []
        if self._state in ("value", "bare"):
            self._value.append("\0")

    def _step(self, char: str) -> None:
        state = self._state
        if state == "data":
            if char == "<":
                self._state, self._name, self._name_ended = "tag", [], False
        elif state == "tag":
            self._in_tag(char)
        elif state == "equals":
            self._after_equals(char)
        elif state == "value":
            if char == self._quote:
                self._state, self._name_ended = "tag", True
            else:
                self._value.append(char)
        elif char.isspace() or char == ">":  # the end of an unquoted value
            self._state, self._name_ended = ("data" if char == ">" else "tag"), True
        else:
            self._value.append(char)

    def _in_tag(self, char: str) -> None:
        if char == ">":
            self._state = "data"
        elif char == "=":
            self._attribute, self._state = "".join(self._name).lower(), "equals"
        elif char.isspace() or char == "/":
            self._name_ended = True
        else:
            if self._name_ended:
                self._name, self._name_ended = [], False
            self._name.append(char)

    def _after_equals(self, char: str) -> None:
        if char.isspace():
            return
        self._value = []
        if char in "'\"":
            self._state, self._quote = "value", char
        elif char == ">":
            self._state = "data"
        else:
            self._state = "bare"
            self._value.append(char)
