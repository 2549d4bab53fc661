"""The template language through the wire: the official SDK sends, the fake renders as Lettr does.

A template stored with ``POST /api/templates`` (or inline content) and ``substitution_data``; a
generation failure (a missing snippet, a broken block) is accepted and then reported as the
``generation_failure`` event; ``options.inline_css`` inlines ``<style>`` rules.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import lettr
import pytest
from support import Receiver

from pytest_lettr import LettrServer

SHOP = "shop@example.com"
ORDER_HTML = """<h1>Hello {{ first_name or 'there' }}</h1>
{{if not empty(items)}}
<ul>
  {{each items}}
  <li>{{loop_index}}. {{loop_var.name}} x{{loop_var.qty}} = ${{loop_var.price * loop_var.qty}}</li>
  {{end}}
</ul>
{{else}}
<p>No items.</p>
{{end}}
<p>{{#items}} item(s); first: {{items[1].name}}; city: {{address['city']}}</p>
<a href="https://shop.example/track?order={{order_id}}">Track</a>
{{ render_snippet("footer") }}"""


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as running:
        yield running


def send(client: lettr.Lettr, **fields: Any) -> Any:
    fields.setdefault("from_email", SHOP)
    fields.setdefault("to", ["ada@example.com"])
    fields.setdefault("subject", "Order {{order_id}}")
    return client.emails.send(**fields)


def test_a_stored_template_renders_the_documented_language(lettr_server: LettrServer, client: lettr.Lettr) -> None:
    lettr_server.templates.add_snippet("footer", html="<footer>Thanks, {{first_name}}</footer>", text="Thanks")
    client.templates.create(name="Order", html=ORDER_HTML)
    sent = send(client, template_slug="order", substitution_data={
        "first_name": "Ada", "order_id": "A 1/2", "address": {"city": "Leith"},
        "items": [{"name": "Pen", "qty": 2, "price": "1.5"}, {"name": "Ink & Nib", "qty": 1, "price": 4}]})
    assert (sent.accepted, sent.rejected) == (1, 0)
    email = lettr_server.assert_sent(to="ada@example.com")
    assert email.subject == "Order A 1/2"
    assert email.html == (
        "<h1>Hello Ada</h1>\n<ul>\n"
        "<li>1. Pen x2 = $3</li>\n"
        "<li>2. Ink &amp; Nib x1 = $4</li>\n"
        "</ul>\n"
        "<p>2 item(s); first: Pen; city: Leith</p>\n"
        '<a href="https://shop.example/track?order=A%201%2F2">Track</a>\n'
        "<footer>Thanks, Ada</footer>")
    assert email.status == "sent"


def test_the_merge_tags_of_the_template(client: lettr.Lettr) -> None:
    client.templates.create(name="Order", html=ORDER_HTML)
    tags = {tag.key: tag for tag in client.templates.get_merge_tags("order").merge_tags}
    assert list(tags) == ["first_name", "items", "address.city", "order_id"]
    assert not tags["first_name"].required and tags["items"].required
    assert [child.key for child in tags["items"].children or []] == ["name", "qty", "price"]


def test_recipient_fields_and_plain_text(lettr_server: LettrServer, client: lettr.Lettr) -> None:
    send(client, to=["noor@example.com"], text="To {{address.email}} ({{email}}), bounces to {{env_from}}: {{note}}",
         substitution_data={"note": "<b>as is</b>"})
    assert lettr_server.emails[-1].text == ("To noor@example.com (noor@example.com), bounces to "
                                            "bounces@example.com: <b>as is</b>")


def test_dynamic_content_and_literal_braces(lettr_server: LettrServer, client: lettr.Lettr) -> None:
    send(client, html="{{each offers}}<p>{{render_dynamic_content(dynamic_html[loop_var])}}</p>{{end}}"
                      "{{opening_double_curly()}}raw{{closing_double_curly()}}",
         substitution_data={"offers": ["a", "b"], "who": "<Mo>",
                            "dynamic_html": {"a": "<b>{{who}}</b>", "b": "<i>two</i>"}})
    assert lettr_server.emails[-1].html == "<p><b>&lt;Mo&gt;</b></p><p><i>two</i></p>{{raw}}"


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        pytest.param({"html": '<p>{{ render_snippet("nope") }}</p>'}, "snippet 'nope' does not exist",
                     id="missing-snippet"),
        pytest.param({"html": "<p>{{if vip}}open</p>"}, "'{{if vip}}' is never closed with '{{end}}'",
                     id="unclosed-block"),
        pytest.param({"text": "Total {{price - 5}}"}, "cannot compute nothing - 5", id="arithmetic-on-nothing"),
    ],
)
def test_content_that_cannot_be_generated_fails_with_a_generation_failure(
        lettr_server: LettrServer, client: lettr.Lettr, receiver: Receiver, fields: dict[str, Any],
        reason: str) -> None:
    client.webhooks.create(name="Failures", url=receiver.url + "/hooks", auth_type="none", events_mode="selected",
                           events=["generation.generation_failure"])
    sent = send(client, **fields, metadata={"order": "7"})
    assert (sent.accepted, sent.rejected) == (1, 0)  # accepted: generation comes after
    email = lettr_server.emails[-1]
    assert email.status == "failed" and email.sent_at is None
    (received,) = receiver.requests
    assert received.headers["Lettr-Event-Type"] == "generation.generation_failure"
    (element,) = received.json()
    event = element["msys"]["gen_event"]
    assert (event["type"], event["reason"], event["rcpt_to"]) == ("generation_failure", reason, "ada@example.com")
    assert event["rcpt_meta"] == {"order": "7"}
    listed = client.emails.list_events(events=["generation_failure"])
    assert [(e.type, e.request_id) for e in listed.results] == [("generation_failure", sent.request_id)]
    assert client.emails.list_events(events=["injection"]).results == []
    assert client.emails.get(sent.request_id).state == "failed"


def test_a_broken_template_is_stored_and_its_tags_listed(client: lettr.Lettr, lettr_server: LettrServer) -> None:
    """The docs define no template-language validation on create: the failure comes on send."""
    created = client.templates.create(name="Broken", html="<p>{{if vip}}{{code}}</p>{{end}}{{end}}")
    assert [tag.key for tag in created.merge_tags or []] == ["vip", "code"]
    send(client, template_slug="broken", substitution_data={"vip": True})
    assert lettr_server.emails[-1].extra["generation_failure"] == "'{{end}}' has no open block to close"


def test_perform_substitutions_off_sends_the_source(lettr_server: LettrServer, client: lettr.Lettr) -> None:
    send(client, html="<p>{{ render_snippet('nope') }}</p>",
         options=lettr.EmailOptions(perform_substitutions=False))
    email = lettr_server.emails[-1]
    assert (email.status, email.html) == ("sent", "<p>{{ render_snippet('nope') }}</p>")


STYLED = "<style>.header { color: #333; font-size: 24px; } .content { color: #666; }</style>" \
         '<h1 class="header">Welcome {{name}}</h1><p class="content">Hello</p>'


def test_inline_css_moves_style_rules_into_the_elements(lettr_server: LettrServer, client: lettr.Lettr) -> None:
    send(client, html=STYLED, substitution_data={"name": "Ada"}, options=lettr.EmailOptions(inline_css=True))
    assert lettr_server.emails[-1].html == ('<h1 class="header" style="color: #333;font-size: 24px;">Welcome Ada</h1>'
                                            '<p class="content" style="color: #666;">Hello</p>')


def test_inline_css_keeps_a_whole_document_whole(lettr_server: LettrServer, client: lettr.Lettr) -> None:
    send(client, html="<html><head><style>p { margin: 0 }</style></head><body><p>x</p></body></html>",
         options=lettr.EmailOptions(inline_css=True))
    assert lettr_server.emails[-1].html == '<html><head></head><body><p style="margin: 0;">x</p></body></html>'


def test_without_inline_css_the_style_block_stays(lettr_server: LettrServer, client: lettr.Lettr) -> None:
    send(client, html=STYLED, substitution_data={"name": "Ada"})
    assert lettr_server.emails[-1].html == STYLED.replace("{{name}}", "Ada")


# -- docs/templates.md: every recipe runs as written --------------------------------------------
DOC = Path(__file__).resolve().parents[3] / "docs" / "templates.md"
RECIPES = re.findall(r"^```python\n(.*?)^```", DOC.read_text(encoding="utf-8"), flags=re.MULTILINE | re.DOTALL)


def test_the_templates_page_has_recipes() -> None:
    assert len(RECIPES) == 5


@pytest.mark.parametrize("index", range(len(RECIPES)))
def test_templates_page_recipe_passes(pytester: pytest.Pytester, index: int) -> None:
    pytester.makepyfile(**{f"test_templates_doc_{index}": RECIPES[index]})
    result = pytester.runpytest_inprocess("-p", "no:randomly", "-q")
    result.assert_outcomes(passed=RECIPES[index].count("\ndef test_"))
