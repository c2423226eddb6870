"""Where Towers may send outbound calls (webhooks, partner tools): a guard against server-side request forgery.

A subscriber chooses the URL and can read the first part of a failed call's answer, so an unguarded URL could
probe the cloud metadata service or other hosts only the server can reach. Suppliers' tools often live on
private networks, so private ranges are allowed by default; the operator lists what must never be called in
`TOWERS_OUTBOUND_DENIED_NETWORKS` (link-local — where cloud metadata answers — and unspecified addresses by
default). The check resolves the host at send time; the name is resolved again by the HTTP client, so a DNS
answer that changes in between is not caught (documented in the README).
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings

DEFAULT_DENIED = ("169.254.0.0/16", "fe80::/10", "0.0.0.0/8", "::/128", "fd00:ec2::254/128")


def _denied_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    names = getattr(settings, "TOWERS_OUTBOUND_DENIED_NETWORKS", DEFAULT_DENIED)
    return [ipaddress.ip_network(name, strict=False) for name in names]


def target_refusal(url: str) -> str:
    """Why `url` must not be called ("" when it may): not http(s), no host, or an address in a denied network."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"{url[:80]!r} is not an http or https URL"
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
    except (socket.gaierror, UnicodeError):
        return ""  # nothing to judge: the call itself fails, with the resolver's own error
    denied = _denied_networks()
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        for network in denied:
            if address.version == network.version and address in network:
                return f"{parts.hostname} is {address}, in {network}, which Towers does not call"
    return ""
