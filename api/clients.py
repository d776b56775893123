"""Who is at the other end of a request: the client's address, and whether it used HTTPS.

The server sees its peer. Behind a reverse proxy that is the proxy; only the proxy knows the
client's address and scheme, and says so in `X-Forwarded-For`, `X-Forwarded-Proto` and
`X-Forwarded-Host`. Anyone can send those headers, so they are believed only when the peer is
one of the trusted proxies (`LEDGER_TRUSTED_PROXIES`: addresses or networks; default none).
`ledger serve` runs uvicorn without its own proxy-header handling, so these are the only rules.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from starlette.requests import HTTPConnection

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=16)
def _networks(proxies: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(proxy, strict=False) for proxy in proxies)


def _trusted(request: HTTPConnection, address: str) -> bool:
    proxies: tuple[str, ...] = request.app.state.settings.trusted_proxies
    if not proxies:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in _networks(proxies))


def peer(request: HTTPConnection) -> str:
    """The address of the other end of the connection (a proxy, if there is one)."""
    return request.client.host if request.client is not None else "unknown"


def _forwarded(request: HTTPConnection, header: str) -> str | None:
    """The first value of a forwarded header, if the peer is a trusted proxy."""
    value = request.headers.get(header)
    if value is None or not _trusted(request, peer(request)):
        return None
    return value.split(",")[0].strip() or None


def client_address(request: HTTPConnection) -> str:
    """The client's address: the peer's; from a trusted proxy, the nearest address in
    `X-Forwarded-For` that is not itself a trusted proxy (the ones before it are the client's
    own say, and could be anything)."""
    address = peer(request)
    if not _trusted(request, address):
        return address
    hops = ",".join(request.headers.getlist("x-forwarded-for")).split(",")
    for hop in reversed([h.strip() for h in hops if h.strip()]):
        address = hop
        if not _trusted(request, hop):
            break
    return address


def is_https(request: HTTPConnection) -> bool:
    """Whether the client used HTTPS: to this server, or to a trusted proxy that says so."""
    if request.url.scheme == "https":
        return True
    return (_forwarded(request, "x-forwarded-proto") or "").lower() == "https"


def host(request: HTTPConnection) -> str:
    """The host (and port) the client asked for."""
    return _forwarded(request, "x-forwarded-host") or request.headers.get("host", "")
