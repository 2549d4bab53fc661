"""``/api/domains``: the account's sending domains (the same ones ``/v1/domains`` shows), by name.

The operations are the shared ones of :class:`~pytest_lettr.state.domains.Domains`, so a record a
test made fail (``lettr_server.fail_dns("mail.example.com", "dkim")``) fails here too. How a
domain looks here: ``approved`` once its DNS is verified (then ``can_send``), ``pending`` before;
the record statuses stay ``null`` until the domain has been verified once. DKIM selector and key
are fixed per domain (derived from its id), so they never change between calls.
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

from ... import errors
from ...clock import isoformat_or_none as ts
from ...errors import ValidationFailed
from ...state.domains import Domain
from ..base import Call, Reply, Route
from .validation import Fields
from .wire import ok

DOMAIN_RE = re.compile(r"^([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z]{2,}$")
INVALID_DOMAIN = "The domain must be a valid domain name (e.g., example.com)."
DKIM_HEADERS = "from:to:subject:date"
_SECOND_LEVEL = frozenset({"co", "com", "org", "net", "ac", "gov", "edu"})
_LABELS = {"approved": "Approved", "pending": "Pending Review", "blocked": "Blocked"}


def is_primary(name: str) -> bool:
    """An apex domain (``example.com``, ``example.co.uk``), not a subdomain."""
    labels = name.split(".")
    return len(labels) <= 2 or (len(labels) == 3 and labels[1] in _SECOND_LEVEL and len(labels[2]) == 2)


def dkim(domain: Domain) -> dict[str, str]:
    digest = hashlib.sha256(domain.id.encode()).digest()
    selector = "scph" + str(int.from_bytes(digest[:2], "big") % 10000).zfill(4)
    public = "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQ" + base64.b64encode(digest * 3).decode()
    return {"public": public, "selector": selector, "headers": DKIM_HEADERS, "signing_domain": domain.name}


def api_status(domain: Domain) -> str:
    if domain.status == "verified":
        return "approved"
    return "blocked" if domain.status == "blocked" else "pending"


def _record(domain: Domain, name: str, *, missing: str = "invalid") -> str | None:
    if not domain.checked:
        return None
    return "valid" if domain.record_status.get(name) else missing


#: The target of a subdomain's bounce CNAME (``learn/domains/sending-domains.mdx``).
CNAME_TARGET = "sparkpostmail.com"


def cname_status(domain: Domain) -> str | None:
    """One value for list, get and verify: ``not_applicable`` for a top-level (apex) domain, which
    needs SPF instead; a subdomain's CNAME goes with its DKIM record (``None`` until checked)."""
    return "not_applicable" if is_primary(domain.name) else _record(domain, "dkim")


def list_view(domain: Domain) -> dict[str, Any]:
    status = api_status(domain)
    return {
        "domain": domain.name,
        "status": status,
        "status_label": _LABELS[status],
        "can_send": domain.status == "verified",
        "cname_status": cname_status(domain),
        "dkim_status": _record(domain, "dkim"),
        "created_at": ts(domain.created_at),
        "updated_at": ts(domain.last_checked_at or domain.verified_at or domain.created_at),
    }


def detail_view(domain: Domain) -> dict[str, Any]:
    key = dkim(domain)
    view = list_view(domain)
    view.update(
        dmarc_status=_record(domain, "dmarc", missing="missing"),
        spf_status=_record(domain, "spf", missing="missing"),
        is_primary_domain=is_primary(domain.name),
        tracking_domain=None,
        dns={"dkim": {"selector": key["selector"], "public": key["public"], "headers": key["headers"]}},
        dns_provider=None,
    )
    return view


SPF_RECORD = "v=spf1 include:_spf.sparkpostmail.com ~all"
DMARC_RECORD = "v=DMARC1; p=none;"


def _if(found: bool, value: Any, otherwise: Any = None) -> Any:
    """``value`` when the record was found, else ``otherwise``."""
    return value if found else otherwise


def _dmarc_check(domain: Domain, found: bool) -> dict[str, Any]:
    return {"is_valid": found, "status": _if(found, "valid", "missing"),
            "found_at_domain": _if(found, domain.name), "record": _if(found, DMARC_RECORD),
            "policy": _if(found, "none"), "subdomain_policy": None,
            "error": _if(not found, f"No DMARC record found for {domain.name} or its parent domain."),
            "covered_by_parent_policy": False}


def _spf_check(domain: Domain, found: bool) -> dict[str, Any]:
    return {"is_valid": found, "status": _if(found, "valid", "missing"), "record": _if(found, SPF_RECORD),
            "error": _if(not found, f"No SPF record found for {domain.name}."), "includes_sparkpost": found}


def verification_view(domain: Domain) -> dict[str, Any]:
    found = {record: bool(domain.record_status.get(record)) for record in ("dkim", "spf", "dmarc")}
    primary = is_primary(domain.name)
    dkim_record = f"v=DKIM1; k=rsa; h=sha256; p={dkim(domain)['public']}"
    dmarc, spf = _dmarc_check(domain, found["dmarc"]), _spf_check(domain, found["spf"])
    return {
        "domain": domain.name,
        "dkim_status": _if(found["dkim"], "valid", "invalid"),
        "cname_status": cname_status(domain),
        "dmarc_status": dmarc["status"],
        "spf_status": spf["status"],
        "is_primary_domain": primary,
        "ownership_verified": _if(domain.status == "verified", "true"),
        "dns": {
            "dkim_record": _if(found["dkim"], dkim_record),
            "cname_record": _if(not primary and found["dkim"], CNAME_TARGET),
            "dkim_error": _if(not found["dkim"], "DKIM record not found"),
            "cname_error": _if(not (primary or found["dkim"]), "CNAME record not found"),
            "dmarc_record": dmarc["record"],
            "dmarc_error": dmarc["error"],
            "spf_record": spf["record"],
            "spf_error": spf["error"],
        },
        "dmarc": dmarc,
        "spf": spf,
    }


def find(call: Call, *, validate: bool = False) -> Domain:
    name = call.args["domain"].strip().lower()
    if validate and (len(name) > 255 or not DOMAIN_RE.match(name)):
        raise ValidationFailed({"domain": [INVALID_DOMAIN]})
    for domain in list(call.account.domains):
        if domain.name == name:
            return domain
    raise errors.NotFound("Domain not found.")


def list_domains(call: Call) -> Reply:
    domains = sorted(call.account.domains, key=lambda d: d.created_at)
    return ok("Domains retrieved successfully.", {"domains": [list_view(d) for d in domains]})


def create_domain(call: Call) -> Reply:
    fields = Fields(call.json())
    name = fields.string("domain", required=True, max_length=255)
    if name is not None and not DOMAIN_RE.match(name.strip()):
        fields.add("domain", INVALID_DOMAIN)
    fields.check()
    assert name is not None
    try:
        domain = call.account.domains.create(name.strip(), actor=call.actor)
    except errors.Conflict:
        raise errors.Conflict("This domain is already registered.", param="domain") from None
    except errors.InvalidParameter:
        raise ValidationFailed({"domain": [INVALID_DOMAIN]}) from None
    status = api_status(domain)
    return ok("Domain created successfully.",
              {"domain": domain.name, "status": status, "status_label": _LABELS[status], "dkim": dkim(domain)},
              status=201)


def get_domain(call: Call) -> Reply:
    return ok("Domain retrieved successfully.", detail_view(find(call)))


def verify_domain(call: Call) -> Reply:
    """Check the DNS records now; a missing record leaves the domain pending (200 either way)."""
    result = call.account.domains.verify(find(call, validate=True).id, call.actor)
    return ok("Domain verification completed.", verification_view(result.domain))


def delete_domain(call: Call) -> Reply:
    call.account.domains.delete(find(call, validate=True).id, call.actor)
    return Reply(204, None)


ROUTES = [
    Route("GET", "/domains", list_domains, "domains:read", scope="domains:read"),
    Route("POST", "/domains", create_domain, "domains:create", scope="domains:write", write=True),
    Route("GET", "/domains/<domain>", get_domain, "domains:read", scope="domains:read"),
    Route("DELETE", "/domains/<domain>", delete_domain, "domains:delete", scope="domains:write", write=True),
    Route("POST", "/domains/<domain>/verify", verify_domain, "domains:update", scope="domains:write", write=True),
]
