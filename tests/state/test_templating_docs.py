"""Every example of Lettr's template-language pages, with its documented output.

Sources (lettr-com/docs): ``learn/templates/template-language.mdx`` (TL), ``learn/templates/loop-blocks.mdx``
(LB) and ``knowledge-base/best-practices/personalization-dynamic-content.mdx`` (KB). The examples
keep each page's template structure with values of our own. Where a page re-indents its result
(the ``empty()`` table), the comparison strips each line, and says so.
"""

from __future__ import annotations

from typing import Any

import pytest

from pytest_lettr.state.templating import Snippet, TemplateError, render

CART = [{"name": "Parka", "price": 49.5}, {"name": "Mittens", "price": 7}]

#: (id, template, data, part, documented result)
EXAMPLES: list[tuple[str, str, dict[str, Any], str, str]] = [
    # TL "Basic Variable Output"; "Whitespace inside the braces is ignored"
    ("TL-variable", "<p>Hello, {{first_name}}!</p>", {"first_name": "Noor"}, "html", "<p>Hello, Noor!</p>"),
    ("TL-spaces-in-braces", "{{ first_name }}|{{first_name}}", {"first_name": "Noor"}, "text", "Noor|Noor"),
    # TL "Missing Variables Become Empty Strings"
    ("TL-missing-and-null", "Name: {{name}}\nAge: {{age}}\nTitle: {{job}}",
     {"name": "Ines", "age": None, "job": "Pilot"}, "text", "Name: Ines\nAge: \nTitle: Pilot"),
    # TL "Default Values with or"; KB "Default Values"
    ("TL-or-default", "<p>Hello {{ first_name or 'Customer' }},</p>", {"first_name": None}, "html",
     "<p>Hello Customer,</p>"),
    ("KB-or-defaults", "Hi {{ name or 'there' }}, your {{ plan_name or 'current' }} plan: {{ limit or '1,000' }}",
     {"plan_name": "Team"}, "text", "Hi there, your Team plan: 1,000"),
    ("KB-empty-string-falls-back", "Hi {{ name or 'there' }}", {"name": ""}, "text", "Hi there"),
    # TL "Nested Object Paths": dot, ['key'] and [variable]
    ("TL-nested-paths", "Street: {{address.street}}\nCity: {{address['city']}}\nDynamic: {{address[part]}}",
     {"address": {"street": "Elm Row", "city": "Leith"}, "part": "street"}, "text",
     "Street: Elm Row\nCity: Leith\nDynamic: Elm Row"),
    # TL "Array Indexing" (from 1)
    ("TL-array-index", "First item: {{items[1]}}\nSecond item name: {{shopping_cart[2].name}}",
     {"items": ["pear", "fig"], "shopping_cart": CART}, "text", "First item: pear\nSecond item name: Mittens"),
    # TL "Escaping: Double vs Triple Braces"
    ("TL-escaping-html", "Escaped: {{custom_html}}\nUnescaped: {{{custom_html}}}", {"custom_html": "<i>Hey</i>"},
     "html", "Escaped: &lt;i&gt;Hey&lt;/i&gt;\nUnescaped: <i>Hey</i>"),
    ("TL-escaping-text", "Plain: {{custom_html}}", {"custom_html": "<i>Hey</i>"}, "text", "Plain: <i>Hey</i>"),
    ("TL-escaping-amp", "{{custom_html}}", {"custom_html": "<i>"}, "amp_html", "&lt;i&gt;"),
    # TL "Conditional Blocks" (statements on their own line leave no blank line)
    ("TL-if-elseif-else",
     "{{if signed_up}}\n  <p>Back again!</p>\n{{elseif rejected_sign_up}}\n  <p>No more mail.</p>\n"
     "{{else}}\n  <p>Join us.</p>\n{{end}}",
     {"signed_up": False, "rejected_sign_up": False}, "html", "<p>Join us.</p>\n"),
    ("TL-if-elseif-taken",
     "{{if signed_up}}\n  <p>Back again!</p>\n{{elseif rejected_sign_up}}\n  <p>No more mail.</p>\n"
     "{{else}}\n  <p>Join us.</p>\n{{end}}",
     {"signed_up": False, "rejected_sign_up": True}, "html", "<p>No more mail.</p>\n"),
    # TL "optional then keyword"
    ("TL-if-then", "{{if signed_up then}}\n  <p>Hi</p>\n{{end}}", {"signed_up": True}, "html", "<p>Hi</p>\n"),
    # TL "Operators in Conditions"
    ("TL-and-compare", '{{if age > 30 and address.state == "MD"}}\n  Regional offer.\n{{end}}',
     {"age": 52, "address": {"state": "MD"}}, "text", "Regional offer.\n"),
    ("TL-and-compare-false", '{{if age > 30 and address.state == "MD"}}\n  Regional offer.\n{{end}}',
     {"age": 29, "address": {"state": "MD"}}, "text", ""),
    ("TL-every-operator",
     "{{if a == 1}}={{end}}{{if a != 2}}!{{end}}{{if a < 2}}<{{end}}{{if a > 0}}>{{end}}"
     "{{if a <= 1}}l{{end}}{{if a >= 1}}g{{end}}{{if a == 1 or no}}o{{end}}{{if not no}}n{{end}}",
     {"a": 1, "no": False}, "text", "=!<>lgon"),
    # TL "Array Length with #"
    ("TL-length", "Items in cart: {{#shopping_cart}}", {"shopping_cart": CART}, "text", "Items in cart: 2"),
    # TL "Arithmetic in Expressions"
    ("TL-arithmetic", "Discounted price: ${{price - 5}}", {"price": 25}, "text", "Discounted price: $20"),
    ("TL-arithmetic-all", "{{a + b}} {{a - b}} {{a * b}} {{a / b}} {{(a + b) * 2}}", {"a": 9, "b": 2}, "text",
     "11 7 18 4.5 22"),
    # TL "Array of Strings", "Array of Objects"
    ("TL-each-strings", "{{each children}}\nYou have a child named {{loop_var}}.\n{{end}}",
     {"children": ["Mira", "Otto"]}, "text", "You have a child named Mira.\nYou have a child named Otto.\n"),
    ("TL-each-objects", "{{each shopping_cart}}\nItem: {{loop_var.name}}, Price: {{loop_var.price}}\n{{end}}",
     {"shopping_cart": CART}, "text", "Item: Parka, Price: 49.5\nItem: Mittens, Price: 7\n"),
    ("TL-each-empty-or-null", "[{{each a}}x{{end}}{{each b}}y{{end}}{{each c}}z{{end}}]",
     {"a": [], "b": None}, "text", "[]"),
    # TL "loop_index holds the current index"; LB "alternating row colors"
    ("TL-loop-index", "{{each rows}}{{loop_index}}={{loop_var}} {{end}}", {"rows": ["a", "b", "c"]}, "text",
     "1=a 2=b 3=c "),
    ("LB-loop-index-in-markup", '{{each rows}}<tr class="row-{{loop_index}}"/>{{end}}', {"rows": [1, 2]}, "html",
     '<tr class="row-1"/><tr class="row-2"/>'),
    # TL "Nested Loops with loop_vars"
    ("TL-nested-loop-vars",
     "{{each shopping_cart}}\nItem: {{loop_vars.shopping_cart.name}}\n"
     "  {{each loop_vars.shopping_cart.a_nested_array}}\n    Nested value: {{loop_vars.a_nested_array.key}}\n"
     "  {{end}}\n{{end}}",
     {"shopping_cart": [{"name": "Kit", "a_nested_array": [{"key": "k1"}, {"key": "k2"}]},
                        {"name": "Box", "a_nested_array": []}]},
     "text", "Item: Kit\nNested value: k1\nNested value: k2\nItem: Box\n"),
    # TL "Query Strings and Encoding"
    ("TL-url-encoding", '<a href="https://shop.example/deals?user={{user}}&code={{offercode}}">Go</a>',
     {"user": "mo", "offercode": "Big Sale!"}, "html",
     '<a href="https://shop.example/deals?user=mo&code=Big%20Sale%21">Go</a>'),
    # TL "Disabling URL Encoding"
    ("TL-url-triple-braces", '<a href="https://{{{link}}}">Open</a>', {"link": "www.shop.example/join?user=lee"},
     "html", '<a href="https://www.shop.example/join?user=lee">Open</a>'),
    # TL "Links Inside Statements"
    ("TL-links-in-statements", "{{if host}}\nhttps://{{{host}}}/\n{{else}}\nhttps://www.example.com/\n{{end}}",
     {"host": "docs.example.org"}, "text", "https://docs.example.org/\n"),
    ("TL-links-in-statements-else", "{{if host}}\nhttps://{{{host}}}/\n{{else}}\nhttps://www.example.com/\n{{end}}",
     {}, "text", "https://www.example.com/\n"),
    # TL link attributes pass through generation untouched
    ("TL-link-attributes",
     '<a href="http://www.example.com" data-msys-linkname="banner" data-msys-clicktrack="0">x</a>', {}, "html",
     '<a href="http://www.example.com" data-msys-linkname="banner" data-msys-clicktrack="0">x</a>'),
    # LB: a URL entirely from a variable is no link the template writes: escaped, not URL-encoded
    ("LB-each-with-empty",
     '{{if not empty(PRODUCTS)}}\n<table>\n  {{each PRODUCTS}}\n  <tr><td><img src="{{loop_var.PRODUCT_IMAGE}}" '
     'alt="{{loop_var.PRODUCT_NAME}}"></td><td><a href="{{loop_var.PRODUCT_URL}}">{{loop_var.PRODUCT_PRICE}}</a>'
     '</td></tr>\n  {{end}}\n</table>\n{{end}}',
     {"PRODUCTS": [{"PRODUCT_NAME": "Lamp & Shade", "PRODUCT_IMAGE": "https://cdn.example/l.jpg",
                    "PRODUCT_PRICE": "$12", "PRODUCT_URL": "https://shop.example/p/lamp?ref=mail"}]},
     "html",
     '<table>\n<tr><td><img src="https://cdn.example/l.jpg" alt="Lamp &amp; Shade"></td>'
     '<td><a href="https://shop.example/p/lamp?ref=mail">$12</a></td></tr>\n</table>\n'),
    # TL "empty(array)": the else branch
    ("TL-empty-else",
     "{{if not empty(shopping_cart)}}\n  <table></table>\n{{else}}\n  <p><b>Your cart is empty.</b></p>\n{{end}}",
     {"shopping_cart": []}, "html", "<p><b>Your cart is empty.</b></p>\n"),
    # TL "HTML Dynamic Content"
    ("TL-dynamic-html", "<p>Picked for you:</p>\n{{ render_dynamic_content(dynamic_html.reco_block) }}",
     {"username": "zed", "dynamic_html": {"reco_block": '<p><a href="http://www.example.com?q={{username}}">Go</a></p>'}},
     "html", '<p>Picked for you:</p>\n<p><a href="http://www.example.com?q=zed">Go</a></p>'),
    # TL "AMP HTML Dynamic Content"
    ("TL-dynamic-amp", "{{render_dynamic_content(dynamic_amp_html.my_amp_chunk)}}",
     {"username": "zed", "dynamic_amp_html": {"my_amp_chunk": '<amp-img src="https://www.example.com?u={{username}}">'}},
     "amp_html", '<amp-img src="https://www.example.com?u=zed">'),
    ("TL-dynamic-plain", "{{render_dynamic_content(dynamic_plain.note)}}",
     {"who": "<Kai>", "dynamic_plain": {"note": "For {{who}}"}}, "text", "For <Kai>"),
    # TL "Dynamic Content with Loops"
    ("TL-dynamic-in-loop",
     "<ul>\n{{each offers}}\n<li>{{render_dynamic_content(dynamic_html[loop_var])}}</li>\n{{end}}\n</ul>",
     {"offers": ["o1", "o2"], "dynamic_html": {"o1": "<strong>Two for one</strong>", "o2": "<em>Free returns</em>"}},
     "html", "<ul>\n<li><strong>Two for one</strong></li>\n<li><em>Free returns</em></li>\n</ul>"),
    # TL "render_snippet()": by id and by variable, content picked by the part
    ("TL-snippet", '<html>\n<p>Body</p>\n{{ render_snippet("ourfooter") }}\n</html>', {"co": "Acme"}, "html",
     "<html>\n<p>Body</p>\n<footer>&copy; Acme</footer>\n</html>"),
    ("TL-snippet-by-variable", "{{ render_snippet(banner_id) }}", {"banner_id": "ourfooter", "co": "Acme"}, "text",
     "(c) Acme"),
    # TL "Outputting Literal Braces"
    ("TL-literal-braces",
     "{{opening_single_curly()}} {{closing_single_curly()}} {{opening_double_curly()}} {{closing_double_curly()}} "
     "{{opening_triple_curly()}} {{closing_triple_curly()}}", {}, "html", "{ } {{ }} {{{ }}}"),
    # KB "Multi-Branch Conditionals", "Practical Use Cases"
    ("KB-plan-branches",
     "{{if plan == 'enterprise'}}\nE\n{{elseif plan == 'pro'}}\nP\n{{elseif plan == 'free'}}\nF\n{{else}}\nX\n{{end}}",
     {"plan": "free"}, "text", "F\n"),
    ("KB-days-remaining", "{{if days_remaining <= 3}}Renew now{{end}}", {"days_remaining": 2}, "text", "Renew now"),
    ("KB-numeric-equals", "{{if items_count == 0}}No activity{{end}}", {"items_count": 0}, "text", "No activity"),
    ("KB-numeric-string", "{{if items_count == 0}}No activity{{end}}", {"items_count": "0"}, "text", "No activity"),
    ("KB-loop-with-conditions",
     "{{each notifications}}\n{{if loop_var.type == 'alert'}}\n! {{loop_var.message}}\n{{else}}\n{{loop_var.message}}\n"
     "{{end}}\n{{end}}",
     {"notifications": [{"type": "alert", "message": "Disk"}, {"type": "info", "message": "Hi"}]}, "text",
     "! Disk\nHi\n"),
]

SNIPPETS = {"ourfooter": Snippet("ourfooter", html="<footer>&copy; {{co}}</footer>", text="(c) {{co}}")}


@pytest.mark.parametrize(("source", "data", "part", "expected"),
                         [pytest.param(*example[1:], id=example[0]) for example in EXAMPLES])
def test_documented_example(source: str, data: dict[str, Any], part: str, expected: str) -> None:
    assert render(source, data, part=part, snippets=SNIPPETS) == expected


def test_the_empty_macro_table_renders_as_documented_up_to_indentation() -> None:
    """TL "empty(array)": the page's result is re-indented, so compare line by line, stripped."""
    source = ("{{if not empty(shopping_cart)}}\n  <table>\n    <tr><th>Name</th><th>Price</th></tr>\n"
              "    {{each shopping_cart}}\n      <tr>\n        <td>{{loop_var.name}}</td>\n"
              "        <td>${{loop_var.price}}</td>\n      </tr>\n    {{end}}\n  </table>\n{{else}}\n"
              "  <p><b>Your cart is empty.</b></p>\n{{end}}")
    lines = [line.strip() for line in render(source, {"shopping_cart": CART}, html=True).splitlines()]
    assert lines == ["<table>", "<tr><th>Name</th><th>Price</th></tr>", "<tr>", "<td>Parka</td>", "<td>$49.5</td>",
                     "</tr>", "<tr>", "<td>Mittens</td>", "<td>$7</td>", "</tr>", "</table>"]


@pytest.mark.parametrize(
    ("source", "snippets", "message"),
    [
        pytest.param('{{render_snippet("gone")}}', {}, "snippet 'gone' does not exist", id="missing-snippet"),
        pytest.param('{{render_snippet("a")}}', {"a": Snippet("a", text='{{render_snippet("b")}}'),
                                                  "b": Snippet("b", text="b")},
                     "a snippet cannot render another snippet", id="nested-snippet"),
        pytest.param('{{render_snippet("a")}}', {"a": Snippet("a", text="{{render_dynamic_content(x)}}")},
                     "render_dynamic_content() cannot be used inside a snippet", id="dynamic-in-snippet"),
        pytest.param('{{render_snippet("a")}}' * 6, {"a": Snippet("a", text="a")},
                     "render_snippet() is used 6 times; at most 5 are allowed", id="more-than-five-snippets"),
    ],
)
def test_documented_snippet_limits_fail_generation(source: str, snippets: dict[str, Snippet], message: str) -> None:
    """TL "Snippet Limitations": each breach is a generation failure."""
    with pytest.raises(TemplateError) as raised:
        render(source, {}, snippets=snippets)
    assert str(raised.value) == message


def test_five_snippets_are_allowed() -> None:
    assert render('{{render_snippet("a")}}' * 5, {}, snippets={"a": Snippet("a", text="a")}) == "aaaaa"


def test_a_snippet_without_content_for_the_part_renders_nothing() -> None:
    assert render('[{{render_snippet("ourfooter")}}]', {}, part="amp_html", snippets=SNIPPETS) == "[]"
