"""The HTML an email is delivered with when tracking is on: links rewritten, an open pixel added.

Read with a real HTML parser (:class:`html.parser.HTMLParser`); everything but the rewritten
``<a>`` start tags and the inserted pixel is kept exactly as written::

    >>> def mint(kind, url):
    ...     return f"https://t.test/{kind}"
    >>> tracked = rewrite('<p><a href="https://app.example.com/x">Go</a> <a href="javascript:void(0)">No</a></p>',
    ...                   mint, opens=True, clicks=True)
    >>> print(tracked.html.replace("><", ">\\n<"))
    <p>
    <a href="https://t.test/click">Go</a> <a href="javascript:void(0)">No</a>
    </p>
    <img src="https://t.test/open" width="1" height="1" alt="" style="display:block;border:0;width:1px;height:1px">

Rules: only ``http`` / ``https`` links are rewritten (never ``javascript:``, ``mailto:``, ``tel:``
or ``#anchors``); ``data-msys-clicktrack="0"`` keeps a link as it is; a link carrying
``data-msys-unsubscribe`` (not ``"0"``) becomes an unsubscribe link. The pixel goes before the
last ``</body>`` (else ``</html>``, else at the end).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urlsplit

#: ``mint(kind, original_url)`` → the tracking URL to put in the email; kind is one of
#: ``"open"``, ``"click"``, ``"unsubscribe"``.
Mint = Callable[[str, str], str]
_Attrs = list[tuple[str, str | None]]


@dataclass(frozen=True)
class Tracked:
    """The delivered HTML, and whether it carries an unsubscribe link (List-Unsubscribe follows it)."""

    html: str
    has_unsubscribe: bool


class _Scan(HTMLParser):
    """Where each ``<a>`` start tag and the closing ``</body>`` / ``</html>`` are in the source."""

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self._line_starts = [0]
        newline = source.find("\n")
        while newline != -1:
            self._line_starts.append(newline + 1)
            newline = source.find("\n", newline + 1)
        self.anchors: list[tuple[int, str, _Attrs]] = []
        self.closing: dict[str, int] = {}

    def _offset(self) -> int:
        line, column = self.getpos()
        return self._line_starts[line - 1] + column

    def handle_starttag(self, tag: str, attrs: _Attrs) -> None:
        raw = self.get_starttag_text()
        if tag == "a" and raw is not None:
            self.anchors.append((self._offset(), raw, attrs))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("body", "html"):
            self.closing[tag] = self._offset()


#: What the parser would have to find (an ``<a`` start tag, a ``</body>`` or ``</html>`` end tag,
#: which may have blanks after ``</``), in the lowered HTML; HTML with none of them gets the pixel
#: at its end.
_PARSE_NEEDED = re.compile(r"<a|</\s*(?:body|html)")


def _kind(attrs: _Attrs) -> str | None:
    """``"click"``, ``"unsubscribe"`` or ``None`` (the link stays as it is)."""
    values = dict(attrs)
    href = (values.get("href") or "").strip()
    if urlsplit(href).scheme.lower() not in ("http", "https") or values.get("data-msys-clicktrack") == "0":
        return None
    if "data-msys-unsubscribe" in values and values["data-msys-unsubscribe"] != "0":
        return "unsubscribe"
    return "click"


def _start_tag(attrs: _Attrs, href: str) -> str:
    parts = ["<a"]
    for name, value in attrs:
        value = href if name == "href" else value
        parts.append(f" {name}" if value is None else f' {name}="{html.escape(value, quote=True)}"')
    return "".join(parts) + ">"


def _pixel(url: str) -> str:
    return (f'<img src="{html.escape(url, quote=True)}" width="1" height="1" alt="" '
            'style="display:block;border:0;width:1px;height:1px">')


def rewrite(source: str, mint: Mint, *, opens: bool, clicks: bool) -> Tracked:
    """``source`` as delivered: tracked links (if ``clicks``) and the open pixel (if ``opens``)."""
    if _PARSE_NEEDED.search(source.lower()) is None:  # no link and no closing body/html: nothing to find
        return Tracked(source + _pixel(mint("open", "")) if opens else source, False)
    return _rewrite_parsed(source, mint, opens=opens, clicks=clicks)


def _rewrite_parsed(source: str, mint: Mint, *, opens: bool, clicks: bool) -> Tracked:
    scan = _Scan(source)
    scan.feed(source)
    scan.close()
    edits: list[tuple[int, int, str]] = []
    has_unsubscribe = False
    for start, raw, attrs in scan.anchors if clicks else ():
        kind = _kind(attrs)
        if kind is None:
            continue
        has_unsubscribe = has_unsubscribe or kind == "unsubscribe"
        original = (dict(attrs).get("href") or "").strip()
        edits.append((start, start + len(raw), _start_tag(attrs, mint(kind, original))))
    if opens:
        at = scan.closing.get("body", scan.closing.get("html", len(source)))
        edits.append((at, at, _pixel(mint("open", ""))))
    pieces: list[str] = []
    kept_to = 0
    for start, end, text in sorted(edits):  # one pass: the HTML is copied once, however many links
        pieces += (source[kept_to:start], text)
        kept_to = end
    pieces.append(source[kept_to:])
    return Tracked("".join(pieces), has_unsubscribe)


__all__ = ["Mint", "Tracked", "rewrite"]
