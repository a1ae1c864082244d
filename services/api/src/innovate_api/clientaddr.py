"""The client's address, worked out from the configured trusted proxies only.

``X-Forwarded-For`` is a list each proxy appends its peer to. Only the entries added by
proxies we trust mean anything: starting from the TCP peer (``REMOTE_ADDR``), walk the
list from the right while the address is a trusted proxy; the first address that is not
is the client. A peer that is not a trusted proxy is the client itself, whatever
headers it sends, so a spoofed ``X-Forwarded-For`` from an untrusted peer changes
nothing. (In AWS: API Gateway appends the caller's address, the ALB appends API
Gateway's VPC-link address; both ALB and VPC link sit in the VPC, so
``TRUSTED_PROXIES`` is the VPC CIDR. See docs/api.md.)
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

MAX_HOPS = 20


def parse_networks(text: str) -> tuple[Network, ...]:
    """``"10.0.0.0/16, 127.0.0.1"`` -> networks (``ValueError`` naming a bad entry)."""
    networks = []
    for item in text.split(","):
        item = item.strip()
        if item:
            try:
                networks.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                raise ValueError(f"{item!r} is not an IP address or CIDR") from None
    return tuple(networks)


def _address(text: str) -> Address | None:
    try:
        found = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    if isinstance(found, ipaddress.IPv6Address) and found.ipv4_mapped is not None:
        return found.ipv4_mapped
    return found


def _trusted(address: Address, trusted: Sequence[Network]) -> bool:
    return any(address.version == net.version and address in net for net in trusted)


def client_address(
    remote_addr: str | None, forwarded_for: str | None, trusted: Sequence[Network]
) -> str:
    peer = _address(remote_addr or "")
    if peer is None:
        return remote_addr or "unknown"
    if not trusted or not _trusted(peer, trusted) or not forwarded_for:
        return str(peer)
    nearest = peer
    for hop in reversed(forwarded_for.split(",")[-MAX_HOPS:]):
        address = _address(hop)
        if address is None:
            # Not what a trusted proxy writes: count it against the nearest trusted hop.
            return str(nearest)
        if not _trusted(address, trusted):
            return str(address)
        nearest = address
    return str(nearest)  # every hop is a proxy we trust: the leftmost one is the client
