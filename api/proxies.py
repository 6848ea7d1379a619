"""Who the client is: the TCP peer, unless it is a trusted proxy (``DISPATCH_TRUSTED_PROXIES``).

Trusted proxies are an explicit setting, none by default: ``X-Forwarded-For`` is ignored unless the peer is
one of them (comma-separated addresses or CIDR networks, e.g. ``127.0.0.1`` for a reverse proxy on the same
machine). From a trusted peer, the client is the right-most address of ``X-Forwarded-For`` that is not itself
a trusted proxy (the left-most entries are whatever the client wrote). The rate limits
(api/ratelimit.py) and the audit log count this address.

uvicorn's own proxy-header handling is switched off wherever this project starts uvicorn
(:func:`server_config`; ``dispatch serve``, scripts/load_test.py): uvicorn trusts ``X-Forwarded-For`` from
127.0.0.1 by default, which let any local client (or one behind a local proxy) choose its address.
"""

from __future__ import annotations

import ipaddress
from typing import Any

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(text: str) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(item.strip(), strict=False) for item in (text or "").split(",")
                 if item.strip())


def _trusted(host: str, networks: tuple[Network, ...]) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return any(address in net for net in networks if net.version == address.version)


class TrustedProxies:
    """ASGI middleware: rewrite ``scope["client"]`` from ``X-Forwarded-For`` only for a trusted peer."""

    def __init__(self, app: Any, trusted: str = "") -> None:
        self.app, self.networks = app, parse_networks(trusted)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] in ("http", "websocket") and self.networks:
            client = scope.get("client")
            if client and _trusted(client[0], self.networks):
                forwarded = [v.decode("latin-1") for k, v in scope.get("headers", ()) if k == b"x-forwarded-for"]
                hops = [h.strip() for h in ",".join(forwarded).split(",") if h.strip()]
                for hop in reversed(hops):
                    if not _trusted(hop, self.networks):
                        try:
                            ipaddress.ip_address(hop)
                        except ValueError:
                            break  # garbage: keep the proxy's own address
                        scope = dict(scope, client=(hop, 0))
                        break
        await self.app(scope, receive, send)


def server_config(app: Any, **options: Any):  # noqa: ANN201 - uvicorn.Config
    """A uvicorn configuration that leaves the client address to :class:`TrustedProxies`."""
    import uvicorn

    return uvicorn.Config(app, proxy_headers=False, forwarded_allow_ips="", **options)
