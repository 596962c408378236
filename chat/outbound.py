"""The one safe outbound HTTP client, for every request to a URL someone else chose: Web Push endpoints
(chat/notify/endpoints.py), outgoing webhooks (chat/webhooks/delivery.py) and link previews (chat/previews/).

`is_public_address` is the rule: call it on every address a host resolves to. `request` applies it: the URL is
parsed (scheme, no credentials), its host resolved and every address checked, and the connection goes to the
very address that was accepted (no second DNS lookup that could answer differently); every redirect it follows
is checked the same way before it is followed. Each network step waits at most `timeout` seconds and the whole
exchange at most `total` (the socket is shut down under a slow reader), and at most `max_bytes` of the answer are
read. `allow_local` (tests only: PUSH_ALLOW_INSECURE_LOCAL, WEBHOOK_ALLOW_INSECURE_LOCAL) lets `http` and loopback
addresses through, nothing else.
"""
import http.client
import ipaddress
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

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


MAX_URL_CHARS = 2048
REDIRECTS = (301, 302, 303, 307, 308)


class Refused(Exception):
    """The URL breaks the rules (the message says which); nothing was sent to it."""


class TooLarge(Exception):
    """The answer is longer than the caller accepts."""


@dataclass
class Response:
    """An answer: its status, headers (names in lower case), the body read (at most max_bytes) and the URL that
    gave it (after redirects)."""

    status: int
    headers: dict
    body: bytes
    url: str


def parse(url, allow_local=False, what="the URL", plain_http=False):
    """(scheme, host, port, path) of a URL that may be used, or Refused (nothing is resolved): https (and http
    with allow_local or plain_http), a host, no credentials, no whitespace or control characters, at most
    MAX_URL_CHARS."""
    if not isinstance(url, str) or not url or len(url) > MAX_URL_CHARS:
        raise Refused(f"{what} must be a URL of at most {MAX_URL_CHARS} characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise Refused("not a URL") from exc
    if parts.scheme not in (("https", "http") if allow_local or plain_http else ("https",)):
        raise Refused(f"{what} must be an {'http or https' if plain_http else 'https'} URL")
    if not parts.hostname or parts.username is not None or parts.password is not None:
        raise Refused(f"{what} must name a host and carry no credentials")
    if any(ch.isspace() or ord(ch) < 32 for ch in url):
        raise Refused("not a URL")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80), path


def resolve(host, port, allow_local=False):
    """The addresses host resolves to, [(family, sockaddr)], every one of them public; Refused otherwise."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise Refused(f"the host {host!r} does not resolve") from exc
    if not found:
        raise Refused(f"the host {host!r} does not resolve")
    for _family, _type, _proto, _name, sockaddr in found:
        if not is_public_address(sockaddr[0], allow_local):
            raise Refused(f"the host {host!r} resolves to a non-public address")
    return [(family, sockaddr) for family, _type, _proto, _name, sockaddr in found]


def check(url, allow_local=False, what="the URL"):
    """Raise Refused unless the URL may be used now (parsed and resolved)."""
    _scheme, host, port, _path = parse(url, allow_local, what)
    resolve(host, port, allow_local)


def request(method, url, body=None, headers=None, timeout=5.0, total=None, max_bytes=4096, truncate=True,
            redirects=0, allow_local=False, plain_http=False):
    """Send one request under the rules above and return its Response. Up to `redirects` redirects are followed
    (each target checked first; 301-303 become a GET without a body). Past max_bytes the body is cut there
    (truncate) or TooLarge is raised. Raises Refused, TimeoutError (past `total`, default 3 × timeout), OSError
    or http.client.HTTPException when the other end cannot be reached or answers garbage. plain_http lets
    `http` URLs through (link previews), on public addresses only."""
    deadline = time.monotonic() + (total if total is not None else 3 * timeout)
    for _hop in range(redirects + 1):
        response = _one(method, url, body, headers or {}, timeout, deadline, max_bytes, truncate, allow_local,
                        plain_http)
        location = response.headers.get("location")
        if response.status not in REDIRECTS or not location or _hop == redirects:
            return response
        url = urljoin(url, location)
        if response.status in (301, 302, 303):
            method, body = "GET", None
    return response


def _one(method, url, body, headers, timeout, deadline, max_bytes, truncate, allow_local, plain_http):
    scheme, host, port, path = parse(url, allow_local, plain_http=plain_http)
    family, sockaddr = resolve(host, port, allow_local)[0]
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError("no full answer in time")
    kind = _PinnedHTTPS if scheme == "https" else _PinnedHTTP
    pinned = _Pinned(family, sockaddr, min(timeout, left))
    connection = kind(host, port, pinned)
    cut = threading.Event()  # past the deadline the socket is shut down under the reader, however slow it trickles
    watchdog = threading.Timer(left, _cut, (pinned, cut))
    watchdog.daemon = True
    watchdog.start()
    try:
        connection.request(method, path, body=body, headers=headers)
        answer = connection.getresponse()
        data = answer.read(max_bytes + 1)
        if cut.is_set():
            raise TimeoutError("no full answer in time")
        if len(data) > max_bytes and not truncate:
            raise TooLarge(f"the answer is longer than {max_bytes} bytes")
        return Response(answer.status, {k.lower(): v for k, v in answer.getheaders()}, data[:max_bytes], url)
    finally:
        watchdog.cancel()
        connection.close()


class _Pinned:
    """Opens sockets to an address already checked, not to a second lookup's answer."""

    def __init__(self, family, sockaddr, timeout):
        self.family, self.sockaddr, self.timeout = family, sockaddr, timeout
        self.sock = None  # kept here: http.client forgets it once a response that closes the connection begins

    def open(self):
        sock = self.sock = socket.socket(self.family, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self.sockaddr)
        except OSError:
            sock.close()
            raise
        return sock


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, host, port, pinned):
        super().__init__(host, port, timeout=pinned.timeout)
        self.pinned = pinned

    def connect(self):
        self.sock = self.pinned.open()


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, host, port, pinned):
        super().__init__(host, port, timeout=pinned.timeout, context=ssl.create_default_context())
        self.pinned = pinned

    def connect(self):
        self.sock = self._context.wrap_socket(self.pinned.open(), server_hostname=self.host)


def _cut(pinned, cut):
    cut.set()
    sock = pinned.sock
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
