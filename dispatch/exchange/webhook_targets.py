"""Where a webhook may be delivered: outside addresses only, checked at subscription and at every delivery.

A receiver's host is resolved (``getaddrinfo``: names through DNS, numbers in every notation the system
accepts: ``2852039166``, ``0xa9fea9fe``, ``0251.0376.0251.0376``, ``127.1``, ``[::ffff:169.254.169.254]``)
and **every** address it gives must be a global unicast one: loopback, private, shared (CGNAT),
link-local (cloud metadata at 169.254.169.254), multicast, unspecified, reserved and documentation
ranges are refused, and so are the IPv6 forms that carry an IPv4 address (IPv4-mapped ``::ffff:a.b.c.d``,
IPv4-compatible, 6to4 ``2002::/16``, NAT64 ``64:ff9b::/96``, Teredo) when the address they carry is.
Names that only exist inside (``localhost``, ``*.localhost``, ``*.internal`` like
``metadata.google.internal``, ``*.local``, ``*.home.arpa``) are refused before any lookup.

An allow-list names what an organisation does deliver inside: ``DISPATCH_WEBHOOK_ALLOW_HOSTS`` (exact host
names) and ``DISPATCH_WEBHOOK_ALLOW_NETWORKS`` (CIDR ranges, e.g. ``10.20.0.0/16`` for an internal
receiver, ``127.0.0.1/32`` for a test receiver on this machine).

:func:`pinned_post` connects to the very address that was checked (no second lookup that a rebinding DNS
could answer differently), while the request keeps the URL's host in ``Host`` and, for https, in the TLS
SNI and certificate check. Redirects are never followed.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

#: Host names that only exist inside a network: never looked up.
INTERNAL_NAMES = ("localhost",)
INTERNAL_SUFFIXES = (".localhost", ".internal", ".local", ".localdomain", ".home.arpa", ".lan", ".intranet")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")
#: Read from a receiver's answer at most (its body is not used).
_MAX_ANSWER_BYTES = 64 * 1024


class TargetRefused(Exception):
    """The receiver's host is, or resolves to, an address webhooks may not reach."""


class TargetUnresolved(Exception):
    """The receiver's host name does not resolve now."""


@dataclass(frozen=True)
class TargetPolicy:
    """What may be reached besides global unicast addresses (from the settings, see module docstring)."""

    allow_hosts: frozenset[str] = frozenset()
    allow_networks: tuple[Network, ...] = field(default_factory=tuple)

    @classmethod
    def build(cls, hosts: Iterable[str] = (), networks: Iterable[str] = ()) -> TargetPolicy:
        return cls(frozenset(_normal_name(h) for h in hosts if h.strip()),
                   tuple(ipaddress.ip_network(n.strip(), strict=False) for n in networks if n.strip()))

    @classmethod
    def from_settings(cls, settings) -> TargetPolicy:  # noqa: ANN001 - dispatch.settings.Settings
        return cls.build((settings.webhook_allow_hosts or "").split(","),
                         (settings.webhook_allow_networks or "").split(","))

    def allows_address(self, address: Address) -> bool:
        return any(address in net for net in self.allow_networks if net.version == address.version)


def _normal_name(host: str) -> str:
    return host.strip().strip("[]").rstrip(".").lower()


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 transition form carries, if any."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if int(address) >> 32 == 0:  # IPv4-compatible ::a.b.c.d (deprecated) and :: / ::1
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _single_label(name: str) -> bool:
    """A name without a dot (completed by the local search domains), other than a number like 2852039166."""
    if "." in name or ":" in name:
        return False
    try:
        socket.inet_aton(name)
    except OSError:
        return True
    return False


def is_outside(address: Address) -> bool:
    """A global unicast address that is not a transition form of an inside one."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id or address in _NAT64_LOCAL:
            return False
        inner = _embedded_ipv4(address)
        if inner is not None:
            return is_outside(inner)
    if isinstance(address, ipaddress.IPv6Address) and address.is_site_local:
        return False
    if (address.is_multicast or address.is_reserved or address.is_unspecified or address.is_loopback
            or address.is_link_local or address.is_private):
        return False
    return address.is_global


def resolve(host: str, port: int) -> list[Address]:
    """Every address ``host`` resolves to (numbers in any notation need no DNS)."""
    try:
        infos = socket.getaddrinfo(_normal_name(host), port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError, OSError) as exc:
        raise TargetUnresolved(f"{host} does not resolve") from exc
    addresses: list[Address] = []
    for info in infos:
        text = str(info[4][0]).split("%", 1)[0]
        address = ipaddress.ip_address(text)
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise TargetUnresolved(f"{host} does not resolve")
    return addresses


def _default_port(scheme: str) -> int:
    return 443 if scheme == "https" else 80


def check_host(host: str, port: int, policy: TargetPolicy, *, require_resolved: bool) -> list[Address]:
    """The addresses to deliver to; raises :class:`TargetRefused` (or :class:`TargetUnresolved` when a name
    does not resolve and ``require_resolved``; at subscription a name may not resolve yet: it is checked
    again at each delivery)."""
    name = _normal_name(host)
    if name in policy.allow_hosts:
        try:
            return resolve(name, port)
        except TargetUnresolved:
            if require_resolved:
                raise
            return []
    if name in INTERNAL_NAMES or name.endswith(INTERNAL_SUFFIXES) or _single_label(name):
        raise TargetRefused(f"{host} is an internal host name")
    try:
        addresses = resolve(name, port)
    except TargetUnresolved:
        if require_resolved:
            raise
        return []
    for address in addresses:
        if not is_outside(address) and not policy.allows_address(address):
            raise TargetRefused(f"{host} is or resolves to an internal address")
    return addresses


def check_url_target(url: str, policy: TargetPolicy, *, require_resolved: bool) -> list[Address]:
    parts = urlsplit(url)
    return check_host(parts.hostname or "", parts.port or _default_port(parts.scheme), policy,
                      require_resolved=require_resolved)


def _pinned(create_connection, address: Address):  # noqa: ANN001, ANN202
    def connect(where, timeout=None, source_address=None):  # noqa: ANN001, ANN202
        return create_connection((str(address), where[1]), timeout, source_address)
    return connect


def pinned_post(url: str, body: bytes, headers: dict[str, str], timeout: float, *,
                policy: TargetPolicy) -> int:
    """POST ``body`` to ``url`` after checking where its host resolves now, connecting to that address.

    Returns the HTTP status; raises :class:`TargetRefused`, :class:`TargetUnresolved` or ``OSError``."""
    parts = urlsplit(url)
    port = parts.port or _default_port(parts.scheme)
    address = check_url_target(url, policy, require_resolved=True)[0]
    if parts.scheme == "https":
        conn: http.client.HTTPConnection = http.client.HTTPSConnection(
            parts.hostname, port, timeout=timeout, context=ssl.create_default_context())
    else:
        conn = http.client.HTTPConnection(parts.hostname, port, timeout=timeout)
    conn._create_connection = _pinned(socket.create_connection, address)  # type: ignore[attr-defined]
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        response.read(_MAX_ANSWER_BYTES)
        return response.status
    finally:
        conn.close()
