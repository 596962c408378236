"""Which IP addresses the server may connect to when it fetches or posts to a URL someone else chose.

`is_public_address` is the one rule for every outbound HTTP request whose destination a user picked: Web Push
endpoints today (chat/notify/endpoints.py), webhooks and link previews when they come. Call it on every address
a host resolves to, and connect to the very address it accepted (no second DNS lookup).
"""
import ipaddress

# Ranges refused although Python's `is_global` accepts them (or accepts them in some Python versions), because
# they reach private networks or embed an IPv4 address that is not judged on its own.
REFUSED = tuple(ipaddress.ip_network(net) for net in (
    "192.0.0.0/24",     # IETF protocol assignments (DS-Lite, NAT64 discovery, dummy addresses)
    "192.88.99.0/24",   # the deprecated 6to4 relay anycast
    "::/96",            # IPv4-compatible IPv6 (deprecated; embeds an IPv4 address)
    "64:ff9b::/96",     # NAT64, well-known prefix: embeds any IPv4 address, private ones included
    "64:ff9b:1::/48",   # NAT64, local use
    "2001::/32",        # Teredo: embeds an IPv4 server and client
    "2002::/16",        # 6to4: embeds an IPv4 address
    "fec0::/10",        # site-local (deprecated, still routed inside some networks)
))


def is_public_address(address, allow_loopback=False):
    """True when an outbound request may connect to this IP address (a string; an IPv6 zone `%eth0` is ignored).

    The one check for all outbound HTTP to user-chosen URLs (push, webhooks, link previews). Refused: loopback,
    private, shared (100.64/10), link-local (169.254/16, where cloud metadata services live), multicast, reserved,
    unspecified, and the REFUSED ranges (6to4, Teredo, NAT64, IPv4-compatible, site-local, ...). An IPv4-mapped
    IPv6 address (::ffff:a.b.c.d) is judged as its IPv4 address. allow_loopback (tests only) lets loopback
    addresses through, nothing else. Raises ValueError when address is not an IP address."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if allow_loopback and ip.is_loopback:
        return True
    if any(ip in net for net in REFUSED if net.version == ip.version):
        return False
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_unspecified or ip.is_link_local
                                 or ip.is_private or ip.is_loopback)
