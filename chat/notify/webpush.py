"""Web Push as browsers expect it: the server's VAPID key (RFC 8292), payloads encrypted for one subscription
(RFC 8291, `aes128gcm` of RFC 8188), and the request a push service accepts (RFC 8030).

The cryptography is web-push-libs' (`http_ece`, `py_vapid`); what goes over the wire is endpoints.post's.
"""
import base64
import json
import os
import time
from urllib.parse import urlsplit

import http_ece
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid02

from . import endpoints

TTL_SECONDS = 24 * 3600  # how long a push service keeps a push for a browser that is offline
MAX_PAYLOAD = 3000  # bytes of JSON before encryption (push services take 4096 after it)


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64url(text):
    """Bytes of a base64url string (padding optional); ValueError when it is not one."""
    if not isinstance(text, str) or not text or len(text) > 200:
        raise ValueError("not base64url")
    text = text.strip()
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError) as exc:
        raise ValueError("not base64url") from exc


def check_keys(p256dh, auth):
    """Raise ValueError unless p256dh is an uncompressed P-256 public key and auth a 16-byte secret (base64url)."""
    raw = unb64url(p256dh)
    if len(raw) != 65 or raw[0] != 4:
        raise ValueError("keys.p256dh must be an uncompressed P-256 public key")
    ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)  # ValueError when not on the curve
    if len(unb64url(auth)) != 16:
        raise ValueError("keys.auth must be 16 bytes")


def new_private_pem():
    """A new VAPID private key, PEM (PKCS#8)."""
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode("ascii")


def load_vapid(private_key):
    """A Vapid02 from a PEM or a base64url raw/DER private key (VAPID_PRIVATE_KEY takes either)."""
    text = private_key.strip()
    if text.startswith("-----BEGIN"):
        return Vapid02.from_pem(text.encode("ascii"))
    return Vapid02.from_string(text)


def public_key(vapid):
    """The application server key browsers subscribe with: the uncompressed public point, base64url."""
    return b64url(vapid.public_key.public_bytes(serialization.Encoding.X962,
                                                serialization.PublicFormat.UncompressedPoint))


def encrypt(payload, p256dh, auth):
    """The RFC 8291 body for one subscription (a fresh sender key and salt each time)."""
    return http_ece.encrypt(payload, salt=os.urandom(16), private_key=ec.generate_private_key(ec.SECP256R1()),
                            dh=unb64url(p256dh), auth_secret=unb64url(auth), version="aes128gcm")


def send(vapid, subject, subscription, data, timeout, allow_local=False):
    """Encrypt data (a dict, as JSON) for the subscription and POST it to its endpoint. Returns the push
    service's status; raises endpoints.EndpointRefused, OSError or http.client.HTTPException."""
    payload = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    endpoint = subscription["endpoint"]
    parts = urlsplit(endpoint)
    claims = {"aud": f"{parts.scheme}://{parts.netloc}", "sub": subject, "exp": int(time.time()) + 12 * 3600}
    headers = {**vapid.sign(claims), "TTL": str(TTL_SECONDS), "Content-Encoding": "aes128gcm",
               "Content-Type": "application/octet-stream", "Urgency": "normal"}
    body = encrypt(payload, subscription["p256dh"], subscription["auth"])
    return endpoints.post(endpoint, body, headers, timeout, allow_local)
