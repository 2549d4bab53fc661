"""The permission model shared by both dialects, and IP / sender-domain restrictions.

A key holds permission strings. They may be v1 permissions (``api-keys:create``), current-API
scopes (``domains:write``) or wildcards (``*``, ``emails:*``). Every check expands the held
strings into *atomic* permissions and looks the required one up:

>>> allows(["emails:*"], "emails:send")
True
>>> allows(["domains:write"], "domains:delete")   # X:write covers create, update, delete
True
>>> allows(["emails:read"], "emails:list")        # emails:read covers listing
True
>>> allows(["emails:send"], "api-keys:create")
False
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from functools import lru_cache

from .errors import InvalidParameter

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

#: Atomic permissions, grouped by resource.
RESOURCES: dict[str, tuple[str, ...]] = {
    "emails": ("send", "read", "list", "delete"),
    "domains": ("create", "read", "update", "delete"),
    "api-keys": ("create", "read", "update", "delete"),
    "webhooks": ("create", "read", "update", "delete"),
    "analytics": ("read",),
    "team": ("read", "write"),
    "audit-logs": ("read",),
    "templates": ("create", "read", "update", "delete"),
    "projects": ("read",),
    "audience": ("create", "read", "update", "delete"),
    "campaigns": ("read", "write"),
    "sms": ("send",),
    "whatsapp": ("send",),
}

ATOMIC: frozenset[str] = frozenset(f"{res}:{act}" for res, acts in RESOURCES.items() for act in acts)

#: Shorthands that stand for several atomic permissions.
ALIASES: dict[str, frozenset[str]] = {
    **{
        f"{res}:write": frozenset(f"{res}:{a}" for a in ("create", "update", "delete"))
        for res, acts in RESOURCES.items()
        if "create" in acts
    },
    "emails:read": frozenset({"emails:read", "emails:list"}),
    "*": ATOMIC,
    **{f"{res}:*": frozenset(f"{res}:{a}" for a in acts) for res, acts in RESOURCES.items()},
}

#: The current API's scopes (``GET /api/auth/check`` reports them).
API_SCOPES: tuple[str, ...] = (
    "emails:send",
    "emails:read",
    "templates:read",
    "templates:write",
    "domains:read",
    "domains:write",
    "webhooks:read",
    "webhooks:write",
    "projects:read",
    "audience:read",
    "audience:write",
    "campaigns:read",
    "campaigns:write",
    "sms:send",
    "whatsapp:send",
)

#: "Full access" and "sending only", as the Lettr dashboard offers them.
FULL_ACCESS: tuple[str, ...] = ("*",)
SENDING_ONLY: tuple[str, ...] = ("emails:send", "sms:send", "whatsapp:send")

KNOWN: frozenset[str] = ATOMIC | frozenset(ALIASES)


@lru_cache(maxsize=4096)
def _expand_tuple(granted: tuple[str, ...]) -> frozenset[str]:
    atoms: set[str] = set()
    for permission in granted:
        atoms |= ALIASES.get(permission, frozenset({permission}) & ATOMIC)
    return frozenset(atoms)


def expand(granted: Iterable[str]) -> frozenset[str]:
    """The atomic permissions a list of held permission strings grants."""
    return _expand_tuple(tuple(granted))


def allows(granted: Iterable[str], required: str) -> bool:
    """Whether ``granted`` covers ``required`` (an atomic permission or an alias)."""
    need = ALIASES.get(required, frozenset({required}))
    return need <= expand(granted)


def covers(held: Iterable[str], requested: Iterable[str]) -> bool:
    """Whether a key holding ``held`` may grant ``requested`` (no privilege escalation)."""
    return expand(requested) <= expand(held)


def validate_permissions(value: object, param: str = "permissions") -> list[str]:
    """Check a wire value is a list of known permission strings; return it de-duplicated."""
    if not isinstance(value, list) or not all(isinstance(p, str) for p in value):
        raise InvalidParameter(f"The '{param}' field must be an array of strings", param=param)
    if not value:
        raise InvalidParameter(f"The '{param}' field must list at least one permission", param=param)
    for index, permission in enumerate(value):
        if permission not in KNOWN:
            raise InvalidParameter(f"Unknown permission '{permission}'", param=f"{param}.{index}")
    return list(dict.fromkeys(value))


def minimal_permissions(used: Iterable[str]) -> list[str]:
    """The shortest permission list that grants exactly the atomic permissions in ``used``.

    >>> minimal_permissions(["emails:send"])
    ['emails:send']
    >>> minimal_permissions(["domains:create", "domains:read", "domains:update", "domains:delete"])
    ['domains:*']
    """
    atoms = set(used) & ATOMIC
    result: list[str] = []
    for res, acts in RESOURCES.items():
        mine = {f"{res}:{a}" for a in acts} & atoms
        if not mine:
            continue
        if len(mine) == len(acts) and len(acts) > 1:
            result.append(f"{res}:*")
        else:
            result.extend(sorted(mine))
    return result


def parse_ip_restrictions(value: object, param: str = "ipRestrictions") -> list[str]:
    """Check a list of IPv4/IPv6 addresses or CIDR ranges; return them normalised."""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidParameter(f"The '{param}' field must be an array of IP addresses or CIDR ranges",
                               param=param)
    normalised: list[str] = []
    for index, entry in enumerate(value):
        try:
            network = ipaddress.ip_network(entry.strip(), strict=True)
        except ValueError:
            raise InvalidParameter(
                f"'{entry}' is not a valid IP address or CIDR range", param=f"{param}.{index}"
            ) from None
        normalised.append(str(network) if "/" in entry else str(network.network_address))
    return normalised


@lru_cache(maxsize=1024)
def _networks(restrictions: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    return tuple(ipaddress.ip_network(r) for r in restrictions)


#: A zone id (RFC 6874: unreserved characters), as in ``fe80::1%eth0``.
_ZONE_ID = re.compile(r"[A-Za-z0-9._~-]{1,64}")


def parse_ip(text: str) -> IPAddress | None:
    """``text`` as one IP address, whole, or ``None``: a zone id is allowed only on an IPv6
    link-local address, and nothing else may follow the address.

    >>> parse_ip("FE80::1%eth0"), parse_ip("203.0.113.5%eth0"), parse_ip("2001:db8::1%eth0")
    (IPv6Address('fe80::1%eth0'), None, None)
    """
    address, sep, zone = text.partition("%")
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None
    if not sep:
        return ip
    if isinstance(ip, ipaddress.IPv6Address) and ip.is_link_local and _ZONE_ID.fullmatch(zone):
        return ipaddress.IPv6Address(f"{ip}%{zone}")
    return None


def normalise_ip(text: str) -> str | None:
    """The canonical form of an address (RFC 5952; IPv4-mapped in mixed notation), or ``None``.

    >>> normalise_ip("2001:DB8:0::0005"), normalise_ip("::FFFF:10.0.0.1"), normalise_ip("10.0.0.1%x")
    ('2001:db8::5', '::ffff:10.0.0.1', None)
    """
    ip = parse_ip(text)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return f"::ffff:{ip.ipv4_mapped}"
    return None if ip is None else str(ip)


def ip_allowed(restrictions: Iterable[str], address: str | None) -> bool:
    """Whether ``address`` falls inside the restrictions (an empty list allows everyone).

    ``address`` must be one whole address (:func:`parse_ip`). IPv4-mapped IPv6 peers
    (``::ffff:10.0.0.1``) are matched as their IPv4 address; a link-local zone id is ignored.
    """
    nets = _networks(tuple(restrictions))
    if not nets:
        return True
    ip = parse_ip(address) if address else None
    if ip is None:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        ip = ip.ipv4_mapped or ipaddress.IPv6Address(int(ip))  # int() drops the zone id
    return any(ip.version == net.version and ip in net for net in nets)


def ip_restrictions_within(held: Iterable[str], requested: Iterable[str]) -> bool:
    """Whether IP restrictions ``requested`` are no wider than ``held`` (no lifting restrictions).

    An empty list means "from anywhere", so only an unrestricted key may grant it.

    >>> ip_restrictions_within(["10.0.0.0/8"], ["10.1.0.0/16", "10.2.3.4"])
    True
    >>> ip_restrictions_within(["10.0.0.0/8"], []), ip_restrictions_within([], [])
    (False, True)
    """
    held_nets = _networks(tuple(held))
    if not held_nets:
        return True
    wanted = _networks(tuple(requested))
    return bool(wanted) and all(
        any(net.version == mine.version and net.subnet_of(mine) for mine in held_nets)  # type: ignore[arg-type]
        for net in wanted)


def domain_restrictions_within(held: Iterable[str], requested: Iterable[str]) -> bool:
    """Whether sender-domain restrictions ``requested`` are no wider than ``held``.

    >>> domain_restrictions_within(["example.com"], ["example.com"]), domain_restrictions_within(["a.io"], [])
    (True, False)
    """
    mine = {d.lower() for d in held}
    wanted = {d.lower() for d in requested}
    return not mine or (bool(wanted) and wanted <= mine)


def sender_domain_allowed(restrictions: Iterable[str], domain: str) -> bool:
    """Whether a key restricted to ``restrictions`` may send from ``domain`` (subdomains excluded)."""
    allowed = [d.lower() for d in restrictions]
    return not allowed or domain.lower() in allowed
