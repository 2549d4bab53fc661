"""The inbox's paths, and :func:`owns`: whether a path is one of them (cheap; no templates loaded).

>>> owns("/"), owns("/emails/em_1"), owns("/clock/advance"), owns("/v1/emails"), owns("/api"), owns("/nope")
(True, True, True, False, False, False)
"""

from __future__ import annotations

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule

#: Every path the inbox answers; none starts with ``/v1`` or ``/api`` (the dialects' prefixes).
ROUTES = Map([
    Rule("/", endpoint="emails", methods=["GET"]),
    Rule("/inbox.json", endpoint="version", methods=["GET"]),
    Rule("/emails/<email_id>", endpoint="email", methods=["GET"]),
    Rule("/emails/<email_id>/html", endpoint="email_html", methods=["GET"]),
    Rule("/emails/<email_id>/source", endpoint="email_source", methods=["GET"]),
    Rule("/emails/<email_id>/attachments/<int:index>", endpoint="attachment", methods=["GET"]),
    Rule("/emails/<email_id>/events", endpoint="simulate", methods=["POST"]),
    Rule("/emails/<email_id>/delete", endpoint="delete_email", methods=["POST"]),
    Rule("/outbox/clear", endpoint="clear_outbox", methods=["POST"]),
    Rule("/deliveries", endpoint="deliveries", methods=["GET"]),
    Rule("/deliveries/<delivery_id>/retry", endpoint="retry", methods=["POST"]),
    Rule("/audit", endpoint="audit", methods=["GET"]),
    Rule("/keys", endpoint="keys", methods=["GET"]),
    Rule("/domains", endpoint="domains", methods=["GET"]),
    Rule("/domains/<domain_id>/verify", endpoint="verify_domain", methods=["POST"]),
    Rule("/domains/<domain_id>/fail", endpoint="fail_record", methods=["POST"]),
    Rule("/clock", endpoint="clock", methods=["GET"]),
    Rule("/clock/advance", endpoint="advance_clock", methods=["POST"]),
    Rule("/static/<name>", endpoint="static", methods=["GET"]),
], strict_slashes=False)


def owns(path: str) -> bool:
    """Whether ``path`` is one of the inbox's pages (for any method)."""
    try:
        ROUTES.bind("localhost").match(path, method="GET")
    except HTTPException as refused:
        return refused.code == 405  # the path exists, for POST only
    return True
