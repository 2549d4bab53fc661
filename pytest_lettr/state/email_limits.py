"""The documented limits of one email, the same whichever intake it came through.

An intake checks its own wire format first (and may report every problem at once, as the current
API's 422 does, with :func:`problems`); :func:`pytest_lettr.state.sending.send` checks again with
:func:`check`, so no intake can store an email Lettr would refuse::

    problems(Draft(sender="a@example.com", to=["b@example.com"], metadata={"k" * 41: "v"}))
    # [('metadata.kkkk…', 'A metadata key may be at most 40 characters')]

The current API (and SMTP) adds limits ``/v1``'s own contract does not have:
:func:`current_api_problems` (metadata size in all, attachments in all) and :func:`tag_problem`
(one tag of letters, digits, ``-`` and ``_``; ``/v1`` takes a list of free-form tags).

Recipient domains: no DNS is reachable from the fake, so a domain "has no mail records" when it
is under RFC 2606's ``.invalid`` top-level domain, or when a test declares it with
``lettr_server.add_unroutable_domain(name)``; sending to it is refused like an invalid address.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from ..errors import InvalidParameter, InvalidRecipient
from .emails import Attachment, address_of

if TYPE_CHECKING:
    from .account import Account
    from .sending import Draft

#: ``to`` + ``cc`` + ``bcc`` of one email.
MAX_RECIPIENTS = 50
METADATA_MAX_KEYS = 50
METADATA_KEY_MAX = 40
METADATA_VALUE_MAX = 500
#: All of an email's metadata as JSON (UTF-8).
METADATA_MAX_BYTES = 8 * 1024
#: All of an email's attachments, base64-encoded (5 MiB).
ATTACHMENTS_MAX_BYTES = 5 * 1024 * 1024
TAG_MAX = 64
TAG_RE = re.compile(r"^[A-Za-z0-9_-]+$")


def problems(draft: Draft) -> list[tuple[str, str]]:
    """Every limit of every intake ``draft`` breaks, as ``(param, message)`` pairs (empty if none)."""
    return [*recipient_count_problems(draft), *metadata_problems(draft.metadata)]


def current_api_problems(draft: Draft) -> list[tuple[str, str]]:
    """The current API's own limits ``draft`` breaks (metadata size, attachments in all)."""
    found = attachments_problems(draft.attachments)
    if not metadata_problems(draft.metadata):
        found += metadata_size_problems(draft.metadata)
    return found


def check(account: Account, draft: Draft) -> None:
    """Raise for the first limit ``draft`` breaks, then for a recipient domain with no mail records."""
    for param, message in problems(draft):
        raise InvalidParameter(message, param=param)
    for param, message in unroutable_recipients(account, draft):
        raise InvalidRecipient(message, param=param)


def tag_problem(tag: str) -> str | None:
    """Why ``tag`` is not a valid tag, or ``None``."""
    if len(tag) > TAG_MAX:
        return f"A tag may be at most {TAG_MAX} characters"
    if not TAG_RE.match(tag):
        return "A tag may contain only letters, digits, hyphens and underscores"
    return None


def is_routable(account: Account, domain: str) -> bool:
    """Whether mail for ``domain`` has somewhere to go (see the module's note on DNS)."""
    name = domain.lower().rstrip(".")
    return not (name == "invalid" or name.endswith(".invalid") or name in account.unroutable_domains)


def unroutable_recipients(account: Account, draft: Draft) -> list[tuple[str, str]]:
    """``(param, message)`` for every recipient whose domain has no mail records."""
    found: list[tuple[str, str]] = []
    for field in ("to", "cc", "bcc"):
        for i, recipient in enumerate(getattr(draft, field)):
            domain = address_of(recipient).rpartition("@")[2]
            if not is_routable(account, domain):
                found.append((f"{field}.{i}", f"The recipient domain '{domain[:253]}' has no mail records"))
    return found


def recipient_count_problems(draft: Draft) -> list[tuple[str, str]]:
    if len(draft.to) + len(draft.cc) + len(draft.bcc) > MAX_RECIPIENTS:
        return [("to", f"An email may have at most {MAX_RECIPIENTS} recipients in to, cc and bcc together")]
    return []


def metadata_problems(metadata: Mapping[str, object]) -> list[tuple[str, str]]:
    if len(metadata) > METADATA_MAX_KEYS:
        return [("metadata", f"Metadata may have at most {METADATA_MAX_KEYS} keys")]
    found: list[tuple[str, str]] = []
    for name, value in metadata.items():
        if len(name) > METADATA_KEY_MAX:
            found.append((f"metadata.{name[:64]}", f"A metadata key may be at most {METADATA_KEY_MAX} characters"))
        elif len(value if isinstance(value, str) else str(value)) > METADATA_VALUE_MAX:
            found.append((f"metadata.{name}", f"A metadata value may be at most {METADATA_VALUE_MAX} characters"))
    return found


def metadata_size_problems(metadata: Mapping[str, object]) -> list[tuple[str, str]]:
    if len(json.dumps(metadata, ensure_ascii=False).encode()) > METADATA_MAX_BYTES:
        return [("metadata", f"Metadata may be at most {METADATA_MAX_BYTES // 1024} KB in all")]
    return []


def attachments_problems(attachments: Sequence[Attachment]) -> list[tuple[str, str]]:
    encoded = sum(4 * ((len(a.content or b"") + 2) // 3) for a in attachments)
    if encoded > ATTACHMENTS_MAX_BYTES:
        return [("attachments", f"Attachments may be at most {ATTACHMENTS_MAX_BYTES // (1024 * 1024)} MB "
                                "in all (base64-encoded)")]
    return []
