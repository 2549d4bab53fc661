"""The delivered-HTML rewrite on awkward markup: everything but tracked ``<a>`` start tags and the
pixel is kept byte for byte, and only real links (not comments or script text) are tracked."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_lettr.state.tracked_html import Mint, _rewrite_parsed, rewrite

SOURCE = ('Caf&eacute; &amp; <b>x</b>\n<!-- <a href="https://no.example/"> -->\r\n<p>\n&#233; <a\n'
          ' href="https://a.example/x?y=1&amp;z=2"\n class=x>A</a><script>var s="<a href=\'https://s.example/\'>";'
          '</script>\n<A HREF="HTTPS://B.example/">B</A> <a href=" tel:+1">t</a> <a>no href</a></BODY>')


def minted() -> tuple[list[tuple[str, str]], Mint]:
    calls: list[tuple[str, str]] = []

    def mint(kind: str, url: str) -> str:
        calls.append((kind, url))
        return f"https://t.example/{len(calls)}"

    return calls, mint


def test_only_real_links_are_tracked_and_the_rest_is_kept() -> None:
    calls, mint = minted()
    tracked = rewrite(SOURCE, mint, opens=True, clicks=True)
    assert calls == [("click", "https://a.example/x?y=1&z=2"), ("click", "HTTPS://B.example/"), ("open", "")]
    expected = (SOURCE.replace('<a\n href="https://a.example/x?y=1&amp;z=2"\n class=x>',
                               '<a href="https://t.example/1" class="x">')
                .replace('<A HREF="HTTPS://B.example/">', '<a href="https://t.example/2">')
                .replace("</BODY>", '<img src="https://t.example/3" width="1" height="1" alt="" '
                                    'style="display:block;border:0;width:1px;height:1px"></BODY>'))
    assert tracked.html == expected and not tracked.has_unsubscribe


def test_nothing_changes_with_both_off_and_an_attribute_value_is_escaped() -> None:
    calls, mint = minted()
    assert rewrite(SOURCE, mint, opens=False, clicks=False).html == SOURCE
    assert calls == []
    quoted = rewrite('<a href="https://a.example/" title="say &quot;hi&quot;" data-msys-unsubscribe="1">u</a>',
                     lambda kind, url: 'https://t.example/"x', opens=False, clicks=True)
    assert quoted.html == ('<a href="https://t.example/&quot;x" title="say &quot;hi&quot;" '
                           'data-msys-unsubscribe="1">u</a>')
    assert quoted.has_unsubscribe


FRAGMENTS = ["<p>", "</p>", "Hi ", "<A HREF='https://x.example/a'>", "</a>", "<a href=\"mailto:a@b.c\">", "</ body>",
             "</BODY>", "</html >", "<body>", "<!-- <a href='https://y.example'> -->", "<", "/", "a", " ", ">",
             "&amp;", "\n", "<b>", "<abbr>", "</\tbody>"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=12), st.booleans(), st.booleans())
def test_the_shortcut_for_html_without_links_gives_what_the_parser_gives(
        parts: list[str], opens: bool, clicks: bool) -> None:
    source = "".join(parts)

    def mint(kind: str, url: str) -> str:
        return f"https://t.test/{kind}?u={url}"

    assert rewrite(source, mint, opens=opens, clicks=clicks) == \
        _rewrite_parsed(source, mint, opens=opens, clicks=clicks)
