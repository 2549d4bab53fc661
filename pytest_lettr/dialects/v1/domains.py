"""v1 domains: ``/v1/domains`` create, list, get, verify, delete (§8)."""

from __future__ import annotations

from typing import Any

from ... import errors
from ...clock import isoformat_or_none as ts
from ...state.domains import REGIONS, STATUSES, Domain, Domains, Verification
from ..base import Call, Reply, Route
from .listing import list_reply, query_choice
from .validation import check_choice, require_string


def render_domain(domain: Domain) -> dict[str, Any]:
    return {
        "id": domain.id,
        "object": "domain",
        "name": domain.name,
        "status": domain.status,
        "region": domain.region,
        "dnsRecords": [
            {"type": r.type, "host": r.host, "value": r.value, "purpose": r.purpose, "verified": r.verified}
            for r in domain.dns_records
        ],
        "spfStatus": domain.record_state("spf"),
        "dkimStatus": domain.record_state("dkim"),
        "dmarcStatus": domain.record_state("dmarc"),
        "createdAt": ts(domain.created_at),
        "verifiedAt": ts(domain.verified_at),
    }


def render_verification(result: Verification) -> dict[str, Any]:
    body = render_domain(result.domain)
    if result.missing:
        body["missingRecords"] = list(result.missing)
    return body


def _domains(call: Call) -> Domains:
    return call.account.domains


def create_domain(call: Call) -> Reply:
    body = call.json()
    for name in body:
        if name not in ("name", "region"):
            raise errors.InvalidParameter(f"Unknown field '{name[:64]}'", param=name[:64])
    name = require_string(body, "name", max_length=253)
    region = check_choice(body["region"], "region", REGIONS) if body.get("region") is not None else "us"
    domain = _domains(call).create(name, region, actor=call.actor)
    return Reply(201, render_domain(domain))


def list_domains(call: Call) -> Reply:
    status = query_choice(call, "status", STATUSES)
    store = _domains(call)
    return list_reply(call, store.all(status), render_domain, all_ids=[d.id for d in store.all()])


def get_domain(call: Call) -> Reply:
    return Reply(200, render_domain(_domains(call).get(call.args["domain_id"])))


def verify_domain(call: Call) -> Reply:
    result = _domains(call).verify(call.args["domain_id"], call.actor)
    return Reply(200, render_verification(result))


def delete_domain(call: Call) -> Reply:
    domain = _domains(call).delete(call.args["domain_id"], call.actor)
    return Reply(200, {"id": domain.id, "object": "domain", "deleted": True})


ROUTES = [
    Route("POST", "/domains", create_domain, "domains:create"),
    Route("GET", "/domains", list_domains, "domains:read"),
    Route("GET", "/domains/<domain_id>", get_domain, "domains:read"),
    Route("POST", "/domains/<domain_id>/verify", verify_domain, "domains:update"),
    Route("DELETE", "/domains/<domain_id>", delete_domain, "domains:delete"),
]
