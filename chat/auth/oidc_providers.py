"""OpenID Connect providers: the operator's list (`OIDC_PROVIDERS`), their discovery documents and their keys.

The providers are trusted configuration chosen by the operator, not URLs a user picked, so the public-address rule
of chat/outbound.py does not apply to them; every fetch still has a timeout and a size limit, and every endpoint
must be https (plain http only on a loopback host: a provider on the same machine, as in the tests).
No Flask here.
"""
import ipaddress
import json
import re
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from joserfc.jwk import KeySet

FETCH_TIMEOUT = 10  # seconds for each request to a provider (connect and each read)
FETCH_MAX_BYTES = 256 * 1024  # a discovery document or a key set larger than this is refused
DISCOVERY_TTL = 3600  # seconds a discovery document is kept per process
JWKS_TTL = 24 * 3600  # seconds a key set is kept per process (an unknown key id fetches it at once)
NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")
LOOPBACK_NAMES = {"localhost"}


class ProviderError(Exception):
    """A provider could not be reached or answered something unusable."""


@dataclass(frozen=True)
class Provider:
    """One configured provider: `name` (in URLs), `issuer`, the client's id and secret, the button's `label`,
    the scopes asked for, how the client authenticates at the token endpoint, and `trust_email` (the operator
    vouches that the provider's addresses are verified although it sends no `email_verified`)."""

    name: str
    issuer: str
    client_id: str
    client_secret: str
    label: str
    scope: str = "openid email profile"
    token_auth: str = "client_secret_basic"
    trust_email: bool = False


def parse_providers(value):
    """The providers of an OIDC_PROVIDERS value (a JSON list, or a list already): {name: Provider}.
    Raises ValueError saying what is wrong, so that a server with a bad setting refuses to start."""
    if not value:
        return {}
    items = json.loads(value) if isinstance(value, str) else value
    if not isinstance(items, list):
        raise ValueError("OIDC_PROVIDERS must be a JSON list of objects")
    providers = {}
    for item in items:
        if not isinstance(item, dict) or not all(isinstance(item.get(k), str) and item.get(k)
                                                 for k in ("name", "issuer", "client_id", "client_secret")):
            raise ValueError("each OIDC provider needs string name, issuer, client_id and client_secret")
        unknown = set(item) - {"name", "issuer", "client_id", "client_secret", "label", "scope", "token_auth",
                               "trust_email"}
        if unknown or not NAME.fullmatch(item["name"]) or item["name"] in providers:
            raise ValueError(f"OIDC provider {item['name']!r}: a unique name of a-z, 0-9, _ or - (at most 32), "
                             f"and no unknown keys ({sorted(unknown)})")
        if item.get("token_auth", "client_secret_basic") not in ("client_secret_basic", "client_secret_post"):
            raise ValueError(f"OIDC provider {item['name']!r}: token_auth is client_secret_basic or _post")
        check_url(item["issuer"])
        providers[item["name"]] = Provider(
            item["name"], item["issuer"].rstrip("/"), item["client_id"], item["client_secret"],
            str(item.get("label") or item["name"]), str(item.get("scope") or Provider.scope),
            item.get("token_auth", "client_secret_basic"), item.get("trust_email") is True)
    return providers


def check_url(url):
    """Raise ProviderError (a ValueError) unless url is https, or http to a loopback host."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return url
    if parts.scheme == "http" and parts.hostname and _is_loopback(parts.hostname):
        return url
    raise InsecureUrl(f"{url!r}: a provider's URLs must be https (http only on a loopback host)")


class InsecureUrl(ProviderError, ValueError):
    """A provider URL that is neither https nor loopback http."""


def _is_loopback(host):
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def fetch_json(url):
    """GET url as JSON within FETCH_TIMEOUT and FETCH_MAX_BYTES; raises ProviderError."""
    check_url(url)
    try:
        with requests.get(url, timeout=FETCH_TIMEOUT, stream=True, allow_redirects=False,
                          headers={"Accept": "application/json"}) as response:
            body = response.raw.read(FETCH_MAX_BYTES + 1, decode_content=True)
            if response.status_code != 200 or len(body) > FETCH_MAX_BYTES:
                raise ProviderError(f"{url}: status {response.status_code}, {len(body)} bytes")
        data = json.loads(body)
    except (requests.RequestException, ValueError) as exc:
        raise ProviderError(f"{url}: {exc}") from None
    if not isinstance(data, dict):
        raise ProviderError(f"{url}: not a JSON object")
    return data


class ProviderDirectory:
    """Each provider's discovery document and key set, fetched when first needed and kept per process."""

    def __init__(self, providers):
        self.providers = providers
        self._discovery, self._keys = {}, {}
        self._lock = threading.Lock()

    def get(self, name):
        """The Provider named name, or None."""
        return self.providers.get(name) if isinstance(name, str) else None

    def metadata(self, provider):
        """The provider's discovery document (its `issuer` must be the configured one, its endpoints https)."""
        kept = self._discovery.get(provider.name)
        if kept and kept[0] > time.monotonic():
            return kept[1]
        data = fetch_json(provider.issuer + "/.well-known/openid-configuration")
        if data.get("issuer", "").rstrip("/") != provider.issuer:
            raise ProviderError(f"{provider.name}: the discovery document names issuer {data.get('issuer')!r}")
        for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            if not isinstance(data.get(key), str):
                raise ProviderError(f"{provider.name}: the discovery document has no {key}")
            check_url(data[key])
        with self._lock:
            self._discovery[provider.name] = (time.monotonic() + DISCOVERY_TTL, data)
        return data

    def key_set(self, provider, kid=None):
        """The provider's signing keys. A key id that the kept set lacks fetches the set again: the provider
        rotated its keys. (An ID token comes only from the provider's token endpoint, over a request this server
        makes, so nobody else can make it fetch the set by naming unknown key ids.)"""
        kept = self._keys.get(provider.name)
        if kept and kept[0] > time.monotonic() and (kid is None or kid in kept[1]):
            return kept[2]
        data = fetch_json(self.metadata(provider)["jwks_uri"])
        try:
            keys = KeySet.import_key_set(data)
        except (ValueError, TypeError, KeyError) as exc:
            raise ProviderError(f"{provider.name}: unusable key set: {exc}") from None
        kids = {key.kid for key in keys.keys}
        with self._lock:
            self._keys[provider.name] = (time.monotonic() + JWKS_TTL, kids, keys)
        return keys
