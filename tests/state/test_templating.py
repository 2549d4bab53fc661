"""state/templating: the edges the pages do not show — values, errors, merge tags, the parse cache.

The documented examples themselves are in ``test_templating_docs.py``.
"""

from __future__ import annotations

from typing import Any

import pytest

from pytest_lettr.state.templating import MergeTagChild, TemplateError, merge_tags, recipient_fields, render
from pytest_lettr.state.templating.parser import parse

DATA: dict[str, Any] = {
    "name": "<Ada>",
    "vip": True,
    "no": False,
    "zero": 0,
    "blank": "",
    "plan": "pro",
    "empty": [],
    "items": [{"t": "a", "n": [1, 2]}, {"t": "<b>"}],
    "user": {"first": "Ada", "tags": ["x", "y"]},
    "obj": {"a": 1, "b": [True, None]},
    "price": "12.50",
    "quote": "It's",
}


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        # values
        pytest.param("{{ name }}|{{{ name }}}", "<Ada>|<Ada>", id="plain-and-raw-in-text"),
        pytest.param("[{{missing}}][{{missing.deeper}}][{{user.first.x}}]", "[][][]", id="missing-is-empty"),
        pytest.param("{{user.tags[2]}} [{{user.tags[3]}}][{{user.tags[0]}}][{{user['tags'][1]}}]", "y [][][x]",
                     id="index-from-one"),
        pytest.param("{{vip}}{{no}}{{zero}}", "truefalse0", id="booleans-and-zero"),
        pytest.param("{{obj}}", '{"a":1,"b":[true,null]}', id="objects-as-compact-json"),
        pytest.param("{{price * 2}} {{price + 0.25}} {{-zero}} {{7 / 2}} {{6 / 3}}", "25 12.75 0 3.5 2",
                     id="numeric-strings-compute"),
        pytest.param("{{#user.tags}} {{#name}} {{#obj}}", "2 5 2", id="length-of-arrays-strings-objects"),
        pytest.param("{{missing or blank or 'x'}} {{vip and 'y'}} {{no and 'y'}}", "x y false", id="or-and-values"),
        pytest.param("{{'a \\' b'}} {{\"c\"}}", "a ' b c", id="string-literals"),
        pytest.param("{{true}} {{false}} [{{nil}}]", "true false []", id="literal-words"),
        # conditions
        pytest.param("{{if vip}}Y{{end}}{{if no}}N{{end}}{{if blank}}B{{end}}{{if missing}}M{{end}}", "Y",
                     id="false-null-and-empty-string-are-false"),
        pytest.param("{{if zero}}0{{end}}{{if empty}}[]{{end}}", "0[]", id="zero-and-empty-array-are-true"),
        pytest.param("{{if no}}A{{elseif blank}}B{{elseif plan}}C{{else}}D{{end}}", "C", id="first-true-elseif"),
        pytest.param("{{if not no}}Y{{end}}{{if not not vip}}Z{{end}}", "YZ", id="not"),
        pytest.param("{{if not plan == 'free'}}P{{end}}", "P", id="not-is-looser-than-a-comparison"),
        pytest.param("{{if plan == \"pro\" }}P{{end}}{{if plan != 'pro'}}P{{else}}Q{{end}}", "PQ", id="compare"),
        pytest.param("{{if zero == '0'}}Z{{end}}{{if price > 9}}G{{end}}{{if 'b' > 'a'}}S{{end}}", "ZGS",
                     id="numeric-strings-compare-as-numbers"),
        pytest.param("{{if vip == 'true'}}T{{end}}{{if vip == true}}B{{end}}{{if missing == nil}}N{{end}}", "BN",
                     id="booleans-equal-only-booleans"),
        pytest.param("{{if vip or 1 / 0}}short{{end}}", "short", id="or-short-circuits"),
        pytest.param("{{  if   vip  }}x{{ end }}", "x", id="spaces-inside-tags"),
        pytest.param("{{if vip}}{{if no}}a{{else}}b{{end}}c{{end}}d", "bcd", id="nested-if"),
        pytest.param("{{if\nvip\n}}x{{end}}", "x", id="new-lines-inside-a-statement"),
        # loops
        pytest.param("{{each items}}[{{loop_var.t}}]{{end}}", "[a][<b>]", id="each"),
        pytest.param("{{each items}}{{each loop_var.n}}{{loop_vars.items.t}}{{loop_var}}{{end}}{{end}}", "a1a2",
                     id="outer-item-through-loop-vars"),
        pytest.param("[{{loop_var}}][{{loop_index}}][{{loop_vars.items}}]", "[][][]", id="loop-names-outside-a-loop"),
        pytest.param("{{each user.tags}}{{loop_index}}{{end}}{{each user['tags']}}{{loop_var}}{{end}}", "12xy",
                     id="each-over-paths"),
        # statements take their line's indentation and the whitespace after them
        pytest.param("a\n  {{if vip}}\n  b\n  {{end}}\nc", "a\nb\nc", id="own-line-statements-leave-no-line"),
        pytest.param("Hi {{if vip}}VIP {{end}}friend", "Hi VIP friend", id="inline-statement"),
        pytest.param("x {{name}} \n", "x <Ada> \n", id="values-keep-their-whitespace"),
        # tags that are no expression stay as written
        pytest.param("{{not}}{{{else}}}{{bad path!}}{{}}{{{}}}{{a..b}}{{a.}}{{1x}}{{'open}}",
                     "{{not}}{{{else}}}{{bad path!}}{{}}{{{}}}{{a..b}}{{a.}}{{1x}}{{'open}}", id="not-expressions"),
        pytest.param("{ {name} }|{{name}|{{{name}}|x{{|}}{{name", "{ {name} }|{{name}|{{{name}}|x{{|}}{{name",
                     id="no-tag"),
        pytest.param("{{name}}}", "<Ada>}", id="extra-closing-brace"),
        pytest.param("{{{x}} y {{{name}}}", "{{{x}} y <Ada>", id="triple-open-double-close"),
        pytest.param("{{{if vip}}}x{{{end}}}", "{{{if vip}}}x{{{end}}}", id="triple-brace-statements-are-text"),
    ],
)
def test_render(source: str, expected: str) -> None:
    assert render(source, DATA) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("{{name}}|{{{name}}}|{{quote}}", "&lt;Ada&gt;|<Ada>|It&#x27;s"),
        ("{{obj}}", "{&quot;a&quot;:1,&quot;b&quot;:[true,null]}"),
        ("{{each items}}[{{loop_var.t}}]{{end}}", "[a][&lt;b&gt;]"),
        ('<a title="{{name}}" href="https://x.example/?n={{name}}&p={{{plan}}}">', '<a title="&lt;Ada&gt;" '
         'href="https://x.example/?n=%3CAda%3E&p=pro">'),
        ("<a href='http://x.example/{{user.first}}/{{name}}'>", "<a href='http://x.example/Ada/%3CAda%3E'>"),
        ('<a href=https://x.example/?q={{name}}>{{name}}</a>', "<a href=https://x.example/?q=%3CAda%3E>&lt;Ada&gt;</a>"),
        ('<a HREF = "https://x.example/?q={{name}}">', '<a HREF = "https://x.example/?q=%3CAda%3E">'),
        ('<a href="/local?q={{name}}">https://x.example/?q={{name}}', '<a href="/local?q=&lt;Ada&gt;">'
         "https://x.example/?q=&lt;Ada&gt;"),
        ('<img src="https://x.example/{{name}}">', '<img src="https://x.example/&lt;Ada&gt;">'),
    ],
)
def test_html_parts_escape_values_and_encode_them_in_link_urls(source: str, expected: str) -> None:
    assert render(source, DATA, html=True) == expected


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("a{{end}}b", "'{{end}}' has no open block to close"),
        ("{{else}}", "'{{else}}' is outside an '{{if}}' block"),
        ("{{each items}}x{{else}}y{{end}}", "'{{else}}' is outside an '{{if}}' block"),
        ("{{if no}}a{{else}}b{{else}}c{{end}}", "'{{else}}' comes after the '{{else}}' of its block"),
        ("{{if no}}a{{else}}b{{elseif vip}}c{{end}}", "'{{elseif vip}}' comes after the '{{else}}' of its block"),
        ("{{if vip}}open", "'{{if vip}}' is never closed with '{{end}}'"),
        ("{{each items}}{{if vip}}x{{end}}", "'{{each items}}' is never closed with '{{end}}'"),
        ("{{if}}x{{end}}", "'{{if}}' is not a valid statement: expected a value"),
        ("{{if a ==}}x{{end}}", "'{{if a ==}}' is not a valid statement: expected a value"),
        ("{{each}}x{{end}}", "'{{each}}' is not a valid statement: expected a value"),
        ("{{end x}}", "'{{end x}}' takes no condition"),
        ("{{missing - 1}}", "cannot compute nothing - 1"),
        ("{{plan * 2}}", "cannot compute str 'pro' * 2"),
        ("{{1 / zero}}", "division by zero"),
        ("{{if missing > 3}}x{{end}}", "cannot compare nothing > 3"),
        ("{{#missing}}", "'#' needs an array, got nothing"),
        ("{{each plan}}x{{end}}", "'each' needs an array, got str 'pro'"),
        ("{{shout(name)}}", "unknown macro shout() with 1 argument(s)"),
        ("{{empty()}}", "unknown macro empty() with 0 argument(s)"),
        ("{{render_dynamic_content(obj)}}",
         "render_dynamic_content() needs a string, got dict '{\"a\":1,\"b\":[true,null]}'"),
        ("{{render_dynamic_content(d)}}", "render_dynamic_content() cannot be used inside dynamic content"),
    ],
)
def test_what_cannot_be_generated_raises(source: str, message: str) -> None:
    with pytest.raises(TemplateError) as raised:
        render(source, {**DATA, "d": "{{render_dynamic_content(d)}}"})
    assert str(raised.value) == message


def test_a_missing_dynamic_block_renders_nothing() -> None:
    assert render("[{{render_dynamic_content(dynamic_html.none)}}]", {}, html=True) == "[]"


def test_an_unknown_part_is_a_usage_error() -> None:
    with pytest.raises(ValueError, match="part must be one of"):
        render("{{x}}", {}, part="subject")


def test_a_source_without_tags_is_returned_as_is() -> None:
    source = "no tags }} here"
    assert render(source, DATA) is source


def test_loops_see_the_outer_values_and_the_data_is_not_changed() -> None:
    data = {"items": [1, 2], "sep": ",", "loop_var": "outer"}
    assert render("[{{loop_var}}]{{each items}}{{sep}}{{loop_var}}{{end}}", data) == "[],1,2"
    assert data == {"items": [1, 2], "sep": ",", "loop_var": "outer"}


def test_a_template_is_parsed_once() -> None:
    source = "{{each items}}{{loop_var.t}}{{end}} parsed once"
    assert parse(source) is parse(source)
    render(source, DATA)
    assert parse.cache_info().hits >= 1


def test_recipient_fields_and_the_data_that_overrides_them() -> None:
    fields = recipient_fields("ada@example.com", "Ada L", sender="app@mail.example.org")
    source = "{{address.name}} <{{address.email}}> {{email}} {{email_id}} {{env_from}}"
    assert render(source, fields) == "Ada L <ada@example.com> ada@example.com ada@example.com bounces@mail.example.org"
    assert render("{{address.city}}", {**fields, "address": {"city": "Leith"}}) == "Leith"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("{{a}}{{if a}}{{b}}{{end}}{{b}}", [("a", True, None), ("b", True, None)]),
        ("{{if not x.y == 'z'}}{{end}}{{if loop_var.q}}{{end}}", [("x.y", False, None)]),
        ("{{if a}}{{elseif b}}{{else}}{{c}}{{end}}", [("a", False, None), ("b", False, None), ("c", False, None)]),
        ("{{ first or 'there' }}{{ a['b'] }}{{ c[d] }}{{ e[1].f }}{{#g}}{{h - 1}}",
         [("first", False, None), ("a.b", True, None), ("c", True, None), ("d", True, None), ("e", True, None),
          ("g", True, None), ("h", True, None)]),
        ("{{address.email}}{{address.name}}{{email}}{{email_id}}{{env_from}}{{address.city}}{{loop_index}}",
         [("address.city", True, None)]),
        ("{{render_dynamic_content(dynamic_html.block)}}{{render_snippet(banner)}}{{render_snippet('x')}}",
         [("dynamic_html.block", True, None), ("banner", True, None)]),
        (
            "{{each items}}{{loop_var.t}}{{loop_var.t}}{{loop_var.p}}{{loop_var}}{{end}}"
            "{{each items}}{{loop_var.z}}{{end}}",
            [("items", True, [MergeTagChild("t"), MergeTagChild("p"), MergeTagChild("z")])],
        ),
        (
            "{{if c}}{{each items}}{{loop_var.t}}{{end}}{{end}}{{each items}}{{end}}",
            [("c", False, None), ("items", True, [MergeTagChild("t")])],
        ),
        ("{{each loop_var.x}}{{loop_var.y}}{{end}}", []),
        ("{{each items}}{{each loop_var.n}}{{loop_var.k}}{{loop_vars.items.q}}{{end}}{{end}}",
         [("items", True, [MergeTagChild("n"), MergeTagChild("q")])]),
        ("{{each items}}{{end}}", [("items", True, [])]),
        ("{{each lists[1]}}{{loop_var.a}}{{end}}", [("lists", True, [MergeTagChild("a")])]),
        ("{{if a}}{{b}}", [("a", False, None), ("b", False, None)]),
        ("{{end}}{{c}}{{bad tag!}}", [("c", True, None)]),
    ],
)
def test_merge_tags(source: str, expected: list[tuple[str, bool, list[MergeTagChild] | None]]) -> None:
    assert [(tag.key, tag.required, tag.children) for tag in merge_tags(source)] == expected
