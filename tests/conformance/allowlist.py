"""The schemathesis findings the fake keeps on purpose: spec quirks, each with its reason.

Keys are ``(operation, failure code)``; an operation is schemathesis's label (``POST /emails``),
``*`` any operation. Every other finding of ``test_schemathesis.py`` fails the suite, and becomes
a fix in the fake or a new entry here, with its reason.
"""

from __future__ import annotations

#: Schema-valid requests the fake refuses: rules the spec states only in prose (or not at all),
#: answered 422 as Lettr does.
_PROSE_RULES = {
    "POST /emails": "reply_to, from/to and the recipient rules (valid addresses, 50 at most) are prose",
    "GET /emails/{requestId}": "from must be before to: prose only",
    "POST /domains": "a domain name's syntax is prose (the schema says string)",
    "DELETE /domains/{domain}": "a domain name's syntax is prose",
    "POST /domains/{domain}/verify": "a domain name's syntax is prose",
    "POST /webhooks": "an OAuth token URL needs a real host: prose",
    "POST /templates": "html and json are mutually exclusive: prose",
    "PUT /templates/{slug}": "html and json are mutually exclusive: prose",
    "POST /audience/lists": "list names are unique in a team: prose",
    "POST /audience/topics": "topic names are unique in a team: prose",
    "GET /audience/contacts": "list_id and segment_id must name existing records",
    "POST /audience/contacts": "list_id must name an existing list",
    "POST /audience/contacts/lists/bulk": "contact_ids must name existing contacts",
    "DELETE /audience/contacts/lists/bulk": "contact_ids must name existing contacts",
    "GET /audience/segments": "list_id must name an existing list",
    "POST /audience/segments": "list_id must name an existing list",
    "GET /campaigns/{campaignId}/events": "a cursor must be one the API handed out",
    "GET /emails": "from must be before to: prose only",
    "GET /emails/events": "a cursor must be one the API handed out",
    "GET /templates/html": "project_id is a positive id: prose",
    "DELETE /audience/lists/bulk": "list_ids must name existing lists",
    "POST /audience/contacts/bulk": "list_id must name an existing list",
    "POST /emails/scheduled": "scheduled_at at least 5 minutes ahead: prose only",
    "GET /templates": "project_id is an int64 id (the schema's integer has no maximum)",
    "DELETE /templates/{slug}": "project_id is an int64 id (the schema's integer has no maximum)",
}

#: A literal path that is also a parameter path (``/templates/html`` and ``/templates/{slug}``):
#: a method the literal path lacks is served, or advertised in ``Allow``, by the other one.
_SHARED_PATH = "the path is also {other}, whose methods it answers and advertises"
_SHARED_PATHS = {
    "GET /templates/html": "/templates/{slug}",
    "DELETE /audience/lists/bulk": "/audience/lists/{listId}",
    "POST /audience/contacts/bulk": "/audience/contacts/{contactId}",
}

ALLOWED: dict[tuple[str, str], str] = {
    **{(operation, "ST202"): reason for operation, reason in _PROSE_RULES.items()},
    # Schema-violating requests the fake accepts.
    ("*", "ST201"): "an empty query value (?to=) counts as absent, and unknown query parameters are "
                    "ignored, as on Lettr's Laravel stack; the spec forbids neither in words",
    # Responses whose schema is a oneOf of overlapping variants: a body can match two of them.
    ("GET /emails/events", "ST108"): "the EmailEvent oneOf variants overlap (a delivery is also a valid "
                                     "generic event); tests/dialects/api/conformance.py validates each event "
                                     "against its own type's schema instead",
    ("POST /campaigns/{campaignId}/schedule", "ST108"): "the 422 is a oneOf of ValidationErrorResponse and "
                                                        "ErrorResponse, and every validation error also "
                                                        "matches ErrorResponse",
    # Undocumented answers.
    ("DELETE /emails/scheduled/{transmissionId}", "ST103"): "404 for an unknown id: the Python SDK documents "
                                                            "NotFoundError; the spec folds it into 409",
    ("GET /templates/html", "ST103"): "422 for a project_id that is no id (0): the operation documents no 422",
    ("POST /audience/contacts", "ST103"): "409 resource_already_exists for an email already in the audience: "
                                          "prose (and the SDK's ConflictError), not in the operation's responses",
    ("POST /emails/scheduled", "ST205"): "Allow lists GET too: GET /emails/scheduled, the list the Python "
                                         "SDK calls, is not in the spec",
    **{(operation, code): _SHARED_PATH.format(other=other)
       for operation, other in _SHARED_PATHS.items() for code in ("ST204", "ST205")},
}


def allowed(operation: str, code: str | None) -> bool:
    """Whether a finding of ``code`` on ``operation`` is a listed spec quirk."""
    return code is not None and ((operation, code) in ALLOWED or ("*", code) in ALLOWED)
