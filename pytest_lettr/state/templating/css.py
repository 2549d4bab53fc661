"""``options.inline_css``: ``<style>`` rules moved into each element's ``style`` attribute.

It uses the ``css-inline`` library (a maintained CSS inliner, fast enough to run on every send);
remote stylesheets are never fetched, since the fake connects only to loopback.

>>> inline_css('<style>.x { color: red; }</style><p class="x">Hi</p>')
'<p class="x" style="color: red;">Hi</p>'
"""

from __future__ import annotations

import css_inline

from .evaluator import TemplateError

__all__ = ["inline_css"]

_INLINER = css_inline.CSSInliner(load_remote_stylesheets=False)


def inline_css(html: str) -> str:
    """``html`` with its ``<style>`` rules inlined; a whole document stays a whole document."""
    if "<style" not in html.lower():
        return html
    try:
        if "<html" in html.lower():
            return _INLINER.inline(html)
        return _INLINER.inline_fragment(html, "")
    except (css_inline.InlineError, ValueError) as error:
        raise TemplateError(f"the CSS could not be inlined: {error}") from None
