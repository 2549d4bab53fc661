"""Path routing for the dialects: which route serves ``METHOD /path``, and with which arguments.

A route's path is made of static segments and ``<name>`` segments (one non-empty segment, any
character but ``/``). Matching works as werkzeug's ``Map(strict_slashes=False, merge_slashes=False)``
does for such paths, without compiling a URL builder per rule (which made a server cost tens of
milliseconds to construct)::

    router = Router([("GET", "/emails"), ("GET", "/emails/<request_id>")])
    router.match("/emails/abc", "GET")   # (1, {"request_id": "abc"})

- one trailing slash is ignored (``/emails/`` is ``/emails``); empty segments match nothing;
- where several paths match, the one with a static segment earliest wins (``/emails/scheduled``
  before ``/emails/<request_id>``), but only among those that allow the method;
- a ``GET`` route also answers ``HEAD``;
- no path matches: :class:`NoRoute`; paths match but no method does: :class:`MethodNotAllowed`
  with the methods that would (``allowed``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["MethodNotAllowed", "NoRoute", "Router"]


class NoRoute(LookupError):
    """No route has this path."""


class MethodNotAllowed(LookupError):
    """Routes have this path, none with this method; ``allowed`` lists the methods they take."""

    def __init__(self, allowed: list[str]) -> None:
        super().__init__(", ".join(allowed))
        self.allowed = allowed


@dataclass(frozen=True)
class _Pattern:
    index: int
    methods: frozenset[str]
    #: ``(text, is_variable)`` per segment; a variable's text is its name.
    segments: tuple[tuple[str, bool], ...]

    @property
    def order(self) -> tuple[int, ...]:
        return tuple(int(variable) for _, variable in self.segments)

    def bind(self, parts: list[str]) -> dict[str, str] | None:
        args: dict[str, str] = {}
        for (text, variable), part in zip(self.segments, parts, strict=True):
            if variable:
                if not part:
                    return None
                args[text] = part
            elif part != text:
                return None
        return args


def _segments(path: str) -> list[str]:
    if path.endswith("/") and path != "/":
        path = path[:-1]
    return path.split("/")[1:]


class Router:
    """Routes by ``(method, path)``; :meth:`match` gives the index of the route in the given order."""

    def __init__(self, routes: Iterable[tuple[str, str]]) -> None:
        by_length: dict[int, list[_Pattern]] = {}
        for index, (method, path) in enumerate(routes):
            methods = {method, "HEAD"} if method == "GET" else {method}
            segments = tuple((part[1:-1], True) if part.startswith("<") and part.endswith(">") else (part, False)
                             for part in _segments(path))
            by_length.setdefault(len(segments), []).append(_Pattern(index, frozenset(methods), segments))
        #: Per segment count, the patterns with their static segments earliest first.
        self._patterns = {length: sorted(found, key=lambda p: (p.order, p.index))
                          for length, found in by_length.items()}

    def match(self, path: str, method: str) -> tuple[int, dict[str, str]]:
        """The route serving ``method path`` and its arguments; raises :class:`NoRoute` or
        :class:`MethodNotAllowed`."""
        parts = _segments(path)
        allowed: set[str] = set()
        for pattern in self._patterns.get(len(parts), ()):
            args = pattern.bind(parts)
            if args is None:
                continue
            if method in pattern.methods:
                return pattern.index, args
            allowed |= pattern.methods
        if not allowed:
            raise NoRoute(path)
        raise MethodNotAllowed(sorted(allowed))
