"""Where the server may POST a push: the SSRF rules for a subscription's `endpoint`, a URL a client chose.

Only `https`, no credentials in the URL, and a host whose every address is public: no loopback, private,
shared (100.64/10), link-local (169.254/16, where cloud metadata services live), multicast, reserved or
unspecified range, nor 6to4, Teredo, NAT64 or site-local (chat/outbound.py: the one rule for all outbound HTTP).
The rules are checked when a subscription is stored and again at every send, where the connection goes to the
very address that was checked (no second DNS lookup that could answer differently), with a short timeout for
each step and TOTAL_STEPS of them for the whole exchange.

PUSH_ALLOW_INSECURE_LOCAL (tests only; production refuses to start with it) also lets `http` and loopback
addresses through, so that a test can run its own push endpoint; every other private range is still refused.
"""
import http.client
import socket
import ssl
import threading
from urllib.parse import urlsplit

from ..outbound import is_public_address

MAX_ENDPOINT_CHARS = 2048
TOTAL_STEPS = 3  # one push: at most this many timeouts in all


class EndpointRefused(Exception):
    """The endpoint breaks the rules (the message says which)."""


def parse(endpoint, allow_local=False):
    """(scheme, host, port, path) of an endpoint URL that may be used, or EndpointRefused (nothing is resolved)."""
    if not isinstance(endpoint, str) or not endpoint or len(endpoint) > MAX_ENDPOINT_CHARS:
        raise EndpointRefused(f"an endpoint is a URL of at most {MAX_ENDPOINT_CHARS} characters")
    try:
        parts = urlsplit(endpoint)
        port = parts.port
    except ValueError as exc:
        raise EndpointRefused("not a URL") from exc
    allowed = ("https", "http") if allow_local else ("https",)
    if parts.scheme not in allowed:
        raise EndpointRefused("the endpoint must be an https URL")
    if not parts.hostname or parts.username is not None or parts.password is not None:
        raise EndpointRefused("the endpoint must name a host and carry no credentials")
    if any(ch.isspace() or ord(ch) < 32 for ch in endpoint):
        raise EndpointRefused("not a URL")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80), path


def resolve(host, port, allow_local=False):
    """The addresses host resolves to, [(family, sockaddr)], every one of them public; EndpointRefused otherwise."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise EndpointRefused(f"the host {host!r} does not resolve") from exc
    if not found:
        raise EndpointRefused(f"the host {host!r} does not resolve")
    for _family, _type, _proto, _name, sockaddr in found:
        if not is_public_address(sockaddr[0], allow_local):
            raise EndpointRefused(f"the host {host!r} resolves to a non-public address")
    return [(family, sockaddr) for family, _type, _proto, _name, sockaddr in found]


def check(endpoint, allow_local=False):
    """Raise EndpointRefused unless the endpoint may be used now (parsed and resolved)."""
    _scheme, host, port, _path = parse(endpoint, allow_local)
    resolve(host, port, allow_local)


class _Pinned:
    """http.client connections that connect to an address already checked, not to a second lookup's answer."""

    def __init__(self, family, sockaddr, timeout):
        self.family, self.sockaddr, self.timeout = family, sockaddr, timeout

    def open(self):
        sock = socket.socket(self.family, socket.SOCK_STREAM)
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


def post(endpoint, body, headers, timeout, allow_local=False):
    """POST body to the endpoint, checking the rules again and connecting to the checked address, every step
    within timeout seconds. Returns the HTTP status; raises EndpointRefused, or OSError / HTTPException when the
    push service cannot be reached or answers garbage."""
    scheme, host, port, path = parse(endpoint, allow_local)
    family, sockaddr = resolve(host, port, allow_local)[0]
    kind = _PinnedHTTPS if scheme == "https" else _PinnedHTTP
    connection = kind(host, port, _Pinned(family, sockaddr, timeout))
    # Each step waits at most timeout; the whole exchange at most TOTAL_STEPS of them, however slowly an
    # endpoint trickles its answer: then the socket is shut down under the reader.
    cut = threading.Event()
    watchdog = threading.Timer(TOTAL_STEPS * timeout, _cut, (connection, cut))
    watchdog.daemon = True
    watchdog.start()
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(4096)
        if cut.is_set():
            raise TimeoutError(f"no full answer within {TOTAL_STEPS * timeout:g} s")
        return response.status
    finally:
        watchdog.cancel()
        connection.close()


def _cut(connection, cut):
    cut.set()
    sock = connection.sock
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
