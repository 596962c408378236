"""Where the server may POST a push: the SSRF rules for a subscription's `endpoint`, a URL a client chose.

Only `https`, no credentials in the URL, and a host whose every address is public: no loopback, private,
shared (100.64/10), link-local (169.254/16, where cloud metadata services live), multicast, reserved or
unspecified range, nor 6to4, Teredo, NAT64 or site-local. The rules and the client that applies them are
chat/outbound.py's (the one safe outbound client, shared with webhooks and link previews). They are checked when
a subscription is stored and again at every send, where the connection goes to the very address that was
checked, with a short timeout for each step and TOTAL_STEPS of them for the whole exchange.

PUSH_ALLOW_INSECURE_LOCAL (tests only; production refuses to start with it) also lets `http` and loopback
addresses through, so that a test can run its own push endpoint; every other private range is still refused.
"""
from .. import outbound

MAX_ENDPOINT_CHARS = outbound.MAX_URL_CHARS
TOTAL_STEPS = 3  # one push: at most this many timeouts in all

EndpointRefused = outbound.Refused  # the endpoint breaks the rules (the message says which)


def parse(endpoint, allow_local=False):
    """(scheme, host, port, path) of an endpoint URL that may be used, or EndpointRefused (nothing is resolved)."""
    return outbound.parse(endpoint, allow_local, what="the endpoint")


def check(endpoint, allow_local=False):
    """Raise EndpointRefused unless the endpoint may be used now (parsed and resolved)."""
    outbound.check(endpoint, allow_local, what="the endpoint")


def post(endpoint, body, headers, timeout, allow_local=False):
    """POST body to the endpoint through the safe client (no redirect followed), every step within timeout
    seconds and the whole exchange within TOTAL_STEPS of them. Returns the HTTP status; raises EndpointRefused,
    TimeoutError, or OSError / HTTPException when the push service cannot be reached or answers garbage."""
    return outbound.request("POST", endpoint, body, headers, timeout=timeout, total=TOTAL_STEPS * timeout,
                            allow_local=allow_local).status
