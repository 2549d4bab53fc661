"""Sending domains of an account: DNS records to publish, verification, and failing DNS on purpose.

The account's :class:`Domains` store (``account.domains``) holds them::

    domains = account.domains
    domain = domains.create("mail.example.com")            # pending, three records to publish
    domains.fail_dns("mail.example.com", "dkim")           # the DKIM CNAME "is not published"
    result = domains.verify(domain.id)
    result.missing                                         # ['dkim']; domain.status == 'pending'

Verification checks every record; a record the test made fail is missing, the others are found.
A domain with a missing record stays ``pending``; checked more than :data:`VERIFICATION_WINDOW`
after it was added, it is ``failed`` (verifying again once DNS is fixed still works).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from ..errors import Conflict, InvalidParameter, NotFound

if TYPE_CHECKING:
    from .account import Account
    from .audit import Actor

STATUSES = ("pending", "verified", "failed")
REGIONS = ("us", "eu")
RECORDS = ("spf", "dkim", "dmarc")
VERIFICATION_WINDOW = timedelta(hours=72)

_LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
DOMAIN_RE = re.compile(rf"^(?:{_LABEL}\.)+(?!\d+$)[a-z0-9-]{{2,63}}(?<!-)$")


@dataclass(frozen=True)
class DnsRecord:
    """One record the customer publishes: ``type`` ``host`` ``value``, for ``purpose``."""

    purpose: str  # spf | dkim | dmarc
    type: str
    host: str
    value: str
    verified: bool


@dataclass(eq=False)
class Domain:
    id: str
    name: str
    status: str
    created_at: datetime
    region: str = "us"
    verified_at: datetime | None = None
    #: Per record: found at the last check.
    record_status: dict[str, bool] = field(default_factory=lambda: {"spf": False, "dkim": False,
                                                                     "dmarc": False})
    #: Records checked at least once (a record never checked is ``pending``).
    checked: bool = False
    #: The DKIM CNAME target (unique per domain).
    dkim_target: str = ""
    last_checked_at: datetime | None = None

    def record_state(self, record: str) -> str:
        """``verified``, ``failed`` (checked and not found) or ``pending`` (not checked yet)."""
        if self.record_status.get(record):
            return "verified"
        return "failed" if self.checked else "pending"

    @property
    def missing_records(self) -> list[str]:
        return [r for r in RECORDS if not self.record_status.get(r)]

    @property
    def dns_records(self) -> list[DnsRecord]:
        region = "" if self.region == "us" else f"{self.region}."
        target = self.dkim_target or f"lettr.{self.name}.dkim.{region}lettr.dev"
        return [
            DnsRecord("spf", "TXT", "@", f"v=spf1 include:_spf.{region}lettr.dev ~all",
                      bool(self.record_status.get("spf"))),
            DnsRecord("dkim", "CNAME", "lettr._domainkey", target, bool(self.record_status.get("dkim"))),
            DnsRecord("dmarc", "TXT", "_dmarc", f"v=DMARC1; p=none; rua=mailto:dmarc@{region}lettr.dev",
                      bool(self.record_status.get("dmarc"))),
        ]


@dataclass(frozen=True)
class Verification:
    """What one verification found: the domain, and the records that were missing."""

    domain: Domain
    missing: list[str]
    became_verified: bool


#: The domains RFC 2606 reserves for documentation: they, and their subdomains, may send from
#: every new account, so the examples people write work with verification on.
RESERVED_DOMAINS = ("example.com", "example.net", "example.org")


def is_domain_name(value: str) -> bool:
    """Whether ``value`` is a domain name with a top-level domain (not an address literal).

    Internationalised names count by their ASCII (IDNA) form::

    >>> is_domain_name("mail.example.com"), is_domain_name("café.example"), is_domain_name("localhost")
    (True, True, False)
    """
    try:
        ascii_name = value.lower().encode("idna").decode("ascii")
    except UnicodeError:
        return False
    return bool(DOMAIN_RE.match(ascii_name))


def is_reserved(name: str) -> bool:
    """Whether ``name`` is one of :data:`RESERVED_DOMAINS` or a subdomain of one."""
    name = name.lower()
    return any(name == reserved or name.endswith("." + reserved) for reserved in RESERVED_DOMAINS)


def check_name(value: str, param: str = "name") -> str:
    """A fully qualified domain name, lower-cased (a trailing dot is dropped)."""
    name = value.strip().lower().rstrip(".")
    try:
        ascii_name = name.encode("idna").decode("ascii")
    except UnicodeError:
        raise InvalidParameter(f"'{value[:253]}' is not a valid domain name", param=param) from None
    if len(ascii_name) > 253 or not DOMAIN_RE.match(ascii_name):
        raise InvalidParameter(f"'{value[:253]}' is not a valid domain name", param=param)
    return ascii_name


def check_record(record: str) -> str:
    name = record.strip().lower()
    if name not in RECORDS:
        raise ValueError(f"unknown DNS record {record!r}; one of: {', '.join(RECORDS)}")
    return name


class Domains:
    """The account's domains plus the DNS records a test has made fail."""

    def __init__(self, account: Account) -> None:
        self.account = account
        self._by_id: dict[str, Domain] = {}
        #: Records a test made fail, by domain name (a name may be set before it is added).
        self._failing: dict[str, set[str]] = {}

    def __iter__(self) -> Iterator[Domain]:
        return iter(list(self._by_id.values()))

    def __len__(self) -> int:
        return len(self._by_id)

    def __contains__(self, domain_id: object) -> bool:
        return domain_id in self._by_id

    def is_verified(self, name: str) -> bool:
        """Whether ``name`` may send: a verified domain of the account; a reserved example domain
        the account has not added itself (one it added goes by its own status)."""
        wanted = name.lower()
        own = [d for d in self._by_id.values() if d.name == wanted]
        if not own:
            return is_reserved(wanted)
        return any(d.status == "verified" for d in own)

    def all(self, status: str | None = None) -> list[Domain]:
        """Oldest first, optionally only those with ``status``."""
        return [d for d in self._by_id.values() if status is None or d.status == status]

    def get(self, domain_id: str) -> Domain:
        domain = self._by_id.get(domain_id)
        if domain is None:
            raise NotFound(f"Domain '{domain_id}' not found")
        return domain

    def find(self, name_or_id: str) -> Domain:
        """A domain by id or by name (a test helper)."""
        if name_or_id in self._by_id:
            return self._by_id[name_or_id]
        wanted = name_or_id.strip().lower().rstrip(".")
        for domain in self._by_id.values():
            if domain.name == wanted:
                return domain
        raise NotFound(f"Domain '{name_or_id}' not found")

    def create(self, name: str, region: str = "us", *, verified: bool = False, actor: Actor | None = None) -> Domain:
        """Add a domain (``pending``; ``verified=True`` for a test's ready-made one); with an
        ``actor``, audited as ``domain.created``."""
        name = check_name(name)
        if region not in REGIONS:
            raise InvalidParameter(f"The 'region' field must be one of: {', '.join(REGIONS)}", param="region")
        account = self.account
        now = account.clock.now()
        with account.lock:
            if any(d.name == name for d in self._by_id.values()):
                raise Conflict(f"Domain '{name}' is already added to this account", param="name")
            domain = Domain(id=account.entropy.new_id("dom_"), name=name, status="pending", created_at=now,
                            region=region)
            suffix = "" if region == "us" else f".{region}"
            token = account.entropy.stream("dkim").token(12).lower()
            domain.dkim_target = f"lettr{token}.dkim{suffix}.lettr.dev"
            if verified:
                domain.status, domain.verified_at, domain.checked = "verified", now, True
                domain.last_checked_at = now
                domain.record_status = dict.fromkeys(RECORDS, True)
            self._by_id[domain.id] = domain
        if actor is not None:
            account.record("domain.created", actor, "domain", domain.id, {"name": domain.name, "region": region})
        return domain

    def verify(self, domain_id: str, actor: Actor | None = None) -> Verification:
        """Check the records now: all found → ``verified``; else ``pending`` (``failed`` after the window).

        With an ``actor``, the outcome is audited: ``domain.verified`` when the domain became
        verified, ``domain.verification_failed`` (with ``missing_records``) when a record is missing.
        """
        account = self.account
        now = account.clock.now()
        with account.lock:
            domain = self.get(domain_id)
            failing = self._failing.get(domain.name, set())
            domain.record_status = {r: r not in failing for r in RECORDS}
            domain.checked, domain.last_checked_at = True, now
            missing = domain.missing_records
            was_verified = domain.status == "verified"
            if not missing:
                domain.status = "verified"
                if not was_verified:
                    domain.verified_at = now
            else:
                domain.verified_at = None
                domain.status = "failed" if now - domain.created_at > VERIFICATION_WINDOW else "pending"
        result = Verification(domain, missing, became_verified=not missing and not was_verified)
        if actor is not None:
            if missing:
                account.record("domain.verification_failed", actor, "domain", domain.id,
                               {"name": domain.name, "status": domain.status, "missing_records": missing})
            elif result.became_verified:
                account.record("domain.verified", actor, "domain", domain.id, {"name": domain.name})
        return result

    def delete(self, domain_id: str, actor: Actor | None = None) -> Domain:
        """Remove a domain; with an ``actor``, audited as ``domain.deleted``."""
        with self.account.lock:
            domain = self.get(domain_id)
            del self._by_id[domain_id]
            self._failing.pop(domain.name, None)
        if actor is not None:
            self.account.record("domain.deleted", actor, "domain", domain.id, {"name": domain.name})
        return domain

    def fail_dns(self, domain: str, record: str) -> None:
        """Make ``record`` (``spf``, ``dkim`` or ``dmarc``) of ``domain`` (name or id) missing from DNS.

        Takes effect at the next verification. A name not added yet is remembered for when it is.
        """
        name = self.find(domain).name if domain in self._by_id else check_name(domain, "domain")
        self._failing.setdefault(name, set()).add(check_record(record))

    def fix_dns(self, domain: str, record: str | None = None) -> None:
        """Publish ``record`` again (every record if ``None``); takes effect at the next verification."""
        name = self.find(domain).name if domain in self._by_id else check_name(domain, "domain")
        if record is None:
            self._failing.pop(name, None)
        else:
            self._failing.get(name, set()).discard(check_record(record))
