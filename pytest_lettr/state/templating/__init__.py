"""The template language of the current API: ``{{merge tags}}`` in subjects, HTML, AMP and text.

It is Lettr's SparkPost-style language, as its template-language pages describe it:

- ``{{name}}`` inserts a value (HTML-escaped in HTML parts, URL-encoded inside a link's URL),
  ``{{{name}}}`` inserts it as it is; ``{{name or 'there'}}`` gives a default; paths reach into
  objects and arrays (``{{user.city}}``, ``{{user['city']}}``, ``{{user[field]}}``, ``{{items[1]}}``
  — arrays count from 1); ``{{#items}}`` is a length; ``+ - * /`` compute.
- ``{{if cond [then]}} ... {{elseif cond}} ... {{else}} ... {{end}}`` with ``== != < > <= >=``,
  ``and``, ``or``, ``not``; ``{{each items}} ... {{loop_var}} {{loop_index}} ... {{end}}``, and
  ``loop_vars.<array>`` for the item of an outer loop.
- Macros: ``empty(x)``, ``render_dynamic_content(dynamic_html.block)``, ``render_snippet("id")``
  and the literal braces ``opening_double_curly()`` & co.

A statement on its own line leaves no blank line. What cannot be generated raises
:class:`TemplateError` (the send records a generation failure).

>>> render("Hi {{ name or 'there' }}!", {"name": "<Ada>"}, html=True)
'Hi &lt;Ada&gt;!'
>>> render("{{each items}}{{loop_index}}:{{loop_var.sku}} {{end}}", {"items": [{"sku": "a"}, {"sku": "b"}]})
'1:a 2:b '
>>> [(t.key, t.required) for t in merge_tags("{{NAME}} {{if vip}}{{code}}{{end}}")]
[('NAME', True), ('vip', False), ('code', False)]
"""

from __future__ import annotations

from typing import Any

from .css import inline_css
from .evaluator import LOOP_VAR, MAX_SNIPPETS, PARTS, Snippet, TemplateError, render
from .merge_tags import BUILT_IN_FIELDS, MergeTag, MergeTagChild, merge_tags

__all__ = ["BUILT_IN_FIELDS", "LOOP_VAR", "MAX_SNIPPETS", "PARTS", "MergeTag", "MergeTagChild", "Snippet",
           "TemplateError", "inline_css", "merge_tags", "recipient_fields", "render"]


def recipient_fields(address: str, name: str | None = None, sender: str | None = None) -> dict[str, Any]:
    """The recipient fields a send provides besides its own data (the data's own keys win).

    >>> recipient_fields("ada@example.com", "Ada", sender="app@mail.example.com")["env_from"]
    'bounces@mail.example.com'
    """
    fields: dict[str, Any] = {"address": {"email": address, "name": name}, "email": address,
                              "email_id": address}
    if sender:
        fields["env_from"] = "bounces@" + sender.rpartition("@")[2]
    return fields
