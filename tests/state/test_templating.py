"""state/templating.py: the substitution language, including how it forgives broken templates.

The parser never fails: a block tag that is unknown, misplaced or unbalanced stays in the output
as text, and an unclosed block runs to the end of the template. These pin that behaviour.
"""

from __future__ import annotations

from typing import Any

import pytest

from pytest_lettr.state.templating import MergeTagChild, merge_tags, render

DATA: dict[str, Any] = {
    "name": "<Ada>",
    "vip": True,
    "no": False,
    "zero": 0,
    "plan": "pro",
    "text": "s",
    "empty": [],
    "items": [{"t": "a", "n": [1, 2]}, {"t": "<b>"}],
    "user": {"first": "Ada", "tags": ["x", "y"]},
    "obj": {"a": 1, "b": [True, None]},
}


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        # values
        pytest.param("{{ name }}|{{{ name }}}", "<Ada>|<Ada>", id="plain-and-raw"),
        pytest.param("[{{missing}}]", "[]", id="missing-is-empty"),
        pytest.param("{{user.first}} {{user.tags.1}} [{{user.tags.5}}]", "Ada y []", id="dotted-paths"),
        pytest.param("{{vip}}{{no}}{{zero}}", "truefalse0", id="booleans-and-zero"),
        pytest.param("{{obj}}", '{"a":1,"b":[true,null]}', id="objects-as-compact-json"),
        pytest.param("{{_x-y}}", "", id="dashes-and-underscores-in-names"),
        # conditions
        pytest.param("{{if vip}}Y{{end}}{{if no}}N{{end}}", "Y", id="if"),
        pytest.param("{{if no}}Y{{else}}N{{end}}", "N", id="else"),
        pytest.param("{{if no}}A{{elseif zero}}B{{elseif plan}}C{{else}}D{{end}}", "C", id="first-true-elseif"),
        pytest.param("{{if not no}}Y{{end}}{{if not not vip}}Z{{end}}", "YZ", id="not"),
        pytest.param("{{if plan == \"pro\" }}P{{end}}{{if plan != 'pro'}}P{{else}}Q{{end}}", "PQ", id="compare"),
        pytest.param('{{if zero == "0"}}Z{{end}}', "Z", id="compare-as-text"),
        pytest.param("{{if text}}{{text}}{{end}}{{if empty}}E{{else}}-{{end}}", "s-", id="empty-list-is-false"),
        pytest.param("{{  if   vip  }}x{{ end }}", "x", id="spaces-inside-tags"),
        pytest.param("{{if vip}}{{if no}}a{{else}}b{{end}}c{{end}}d", "bcd", id="nested-if"),
        # loops
        pytest.param("{{each items}}[{{loop_var.t}}]{{end}}", "[a][<b>]", id="each"),
        pytest.param("{{if vip}}{{each items}}{{loop_var.t}}{{end}}{{end}}", "a<b>", id="each-inside-if"),
        pytest.param("{{each name}}x{{end}}{{each missing}}y{{end}}", "", id="each-over-no-list"),
        pytest.param("{{each user.tags}}<{{loop_var}}>{{end}}", "<{{loop_var}}><{{loop_var}}>",
                     id="bare-loop-var-is-text"),
        pytest.param("[{{loop_var.t}}]", "[]", id="loop-var-outside-a-loop"),
        # unclosed blocks run to the end
        pytest.param("{{if vip}}open", "open", id="unclosed-true-if"),
        pytest.param("{{if no}}open", "", id="unclosed-false-if"),
        # misplaced or malformed block tags stay as text
        pytest.param("a{{end}}b", "a{{end}}b", id="end-without-block"),
        pytest.param("{{else}}|{{ else }}", "{{else}}|{{ else }}", id="else-without-if"),
        pytest.param("{{elseif vip}}x", "{{elseif vip}}x", id="elseif-without-if"),
        pytest.param("{{if}}x{{end}}", "{{if}}x{{end}}", id="if-without-condition"),
        pytest.param("{{if vip}}a{{else}}b{{else}}c{{end}}", "a", id="second-else-in-the-else-branch"),
        pytest.param("{{if no}}a{{else}}b{{else}}c{{end}}", "b{{else}}c", id="second-else-is-text"),
        pytest.param("{{if no}}a{{else}}b{{elseif vip}}c{{end}}", "b{{elseif vip}}c", id="elseif-after-else-is-text"),
        pytest.param("{{each items}}x{{elseif vip}}y{{end}}", "x{{elseif vip}}yx{{elseif vip}}y", id="elseif-in-each"),
        pytest.param("{{each items}}x{{else}}y{{end}}", "x{{else}}yx{{else}}y", id="else-in-each"),
        pytest.param("{{each 1bad}}x{{end}}", "{{each 1bad}}x{{end}}", id="each-bad-path"),
        pytest.param("{{each items extra}}x{{end}}", "{{each items extra}}x{{end}}", id="each-two-words"),
        pytest.param("{{each}}x", "{{each}}x", id="each-without-path"),
        pytest.param("{{end x}}", "{{end x}}", id="end-with-words"),
        pytest.param("{{if\nvip}}x{{end}}", "{{if\nvip}}x{{end}}", id="if-then-new-line"),
        pytest.param("{{{if vip}}}x{{{end}}}", "{{{if vip}}}x{{{end}}}", id="raw-block-tags"),
        pytest.param("{{not}}{{{else}}}{{loop_var}}", "{{not}}{{{else}}}{{loop_var}}", id="keywords-as-values"),
        pytest.param("{{bad path!}}{{}}{{{}}}{{a..b}}{{-x}}", "{{bad path!}}{{}}{{{}}}{{a..b}}{{-x}}", id="not-paths"),
        pytest.param("{ {name} }|{{name}|{{{name}}|x{{|}}{{name", "{ {name} }|{{name}|{{{name}}|x{{|}}{{name",
                     id="no-tag"),
        pytest.param("{{name}}}", "<Ada>}", id="extra-closing-brace"),
    ],
)
def test_render(source: str, expected: str) -> None:
    assert render(source, DATA) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("{{name}}|{{{name}}}", "&lt;Ada&gt;|<Ada>"),
        ("{{obj}}", "{&quot;a&quot;:1,&quot;b&quot;:[true,null]}"),
        ("{{each items}}[{{loop_var.t}}]{{end}}", "[a][&lt;b&gt;]"),
        ("<p>{{end}}</p>", "<p>{{end}}</p>"),
    ],
)
def test_render_html_escapes_values_only(source: str, expected: str) -> None:
    assert render(source, DATA, html=True) == expected


def test_a_source_without_tags_is_returned_as_is() -> None:
    source = "no tags }} here"
    assert render(source, DATA) is source


def test_loops_see_the_outer_values_and_the_data_is_not_changed() -> None:
    data = {"items": [1, 2], "sep": ",", "loop_var": "outer"}
    assert render("{{loop_var}}{{each items}}{{sep}}{{end}}", data) == "{{loop_var}},,"
    assert data == {"items": [1, 2], "sep": ",", "loop_var": "outer"}


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("{{a}}{{if a}}{{b}}{{end}}{{b}}", [("a", True, None), ("b", True, None)]),
        ("{{if not x.y == 'z'}}{{end}}{{if loop_var.q}}{{end}}", [("x.y", False, None)]),
        ("{{if a}}{{elseif b}}{{else}}{{c}}{{end}}", [("a", False, None), ("b", False, None), ("c", False, None)]),
        ("{{if not}}{{end}}{{if else}}{{end}}", []),
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
        ("{{each items}}{{each loop_var.n}}{{loop_var.k}}{{end}}{{end}}", [("items", True, [MergeTagChild("k")])]),
        ("{{each items}}{{end}}", [("items", True, [])]),
    ],
)
def test_merge_tags(source: str, expected: list[tuple[str, bool, list[MergeTagChild] | None]]) -> None:
    assert [(tag.key, tag.required, tag.children) for tag in merge_tags(source)] == expected
