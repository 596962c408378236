"""The refusals of an OpenID Connect sign-in, and its ID token check (OpenID Connect Core 1.0, 3.1.3.7) with
joserfc (authlib's JOSE library): the signature by one of the provider's published keys (an asymmetric algorithm
only), `iss`, `aud` (and `azp`), `exp`, `iat`, `sub` and the flow's `nonce`. No Flask here.
"""
import base64
import hmac
import json

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwt import JWTClaimsRegistry

from ..kernel.errors import ApiError

# Signatures by the provider's public keys only: never "none", never HS* (a secret shared with the client).
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]
LEEWAY = 60  # seconds of clock skew allowed for exp and iat
MAX_TOKEN_CHARS = 16 * 1024


def provider_unavailable():
    """502: the provider could not be reached, or answered something unusable; nothing was created."""
    return ApiError("provider_unavailable", "The identity provider could not be reached; try again.", 502)


def oidc_refused(why):
    """400: the provider refused the sign-in or the code; nothing was created."""
    return ApiError("oidc_refused", f"The identity provider refused the sign-in: {why}.", 400)


def invalid_state():
    """400: the callback's state is unknown, expired, used, or was started in another browser."""
    return ApiError("invalid_state", "This sign-in is unknown, has expired, was used already, or was "
                           "started in another browser. Start again.", 400)


def invalid_id_token(why):
    """401 invalid_id_token: the provider's answer did not prove who signed in; nothing was created."""
    return ApiError("invalid_id_token", f"The identity provider's ID token was refused: {why}.", 401)


def _header(token):
    try:
        segment = token.split(".", 1)[0]
        header = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (ValueError, UnicodeDecodeError):
        raise invalid_id_token("it is not a signed JWT") from None
    if not isinstance(header, dict):
        raise invalid_id_token("it is not a signed JWT")
    return header


def check_id_token(id_token, provider, directory, nonce):
    """The claims of id_token when it is the provider's, for this client and this flow; raises invalid_id_token
    (or ProviderError when the provider's keys cannot be fetched)."""
    if not isinstance(id_token, str) or not id_token or len(id_token) > MAX_TOKEN_CHARS:
        raise invalid_id_token("the provider sent none")
    header = _header(id_token)
    if header.get("alg") not in ALGORITHMS:
        raise invalid_id_token(f"algorithm {header.get('alg')!r} is not accepted")
    kid = header.get("kid") if isinstance(header.get("kid"), str) else None
    keys = directory.key_set(provider, kid)  # an unknown key id fetches the provider's keys again (rotation)
    try:
        claims = jwt.decode(id_token, keys, algorithms=ALGORITHMS).claims
    except (JoseError, ValueError, TypeError) as exc:
        raise invalid_id_token(f"bad signature ({exc.__class__.__name__})") from None
    registry = JWTClaimsRegistry(leeway=LEEWAY, exp={"essential": True}, iat={"essential": True},
                                 sub={"essential": True}, aud={"essential": True, "value": provider.client_id})
    try:
        registry.validate(claims)
    except (JoseError, ValueError, TypeError) as exc:
        raise invalid_id_token(f"{exc.__class__.__name__}: {exc}") from None
    if not isinstance(claims.get("iss"), str) or claims["iss"].rstrip("/") != provider.issuer:
        raise invalid_id_token("it was issued by someone else")
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audiences) > 1 and claims.get("azp") != provider.client_id:
        raise invalid_id_token("it was issued to another party")
    if not isinstance(claims.get("sub"), str) or not claims["sub"] or len(claims["sub"]) > 255:
        raise invalid_id_token("it names no subject")
    if not isinstance(claims.get("nonce"), str) or not hmac.compare_digest(claims["nonce"].encode(), nonce.encode()):
        raise invalid_id_token("its nonce is not this sign-in's (a replayed token?)")
    return claims
