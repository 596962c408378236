"""Signed `Url`s: `/files/<id>?expires=<unix time>&signature=<HMAC>` (and `/files/<id>/thumbnail?...`), so that
`<img src>` and download links work without a Bearer header.

The signature is an HMAC-SHA256, under a key derived from SECRET_KEY, of the file id, the variant (full or
thumbnail) and the expiry together: changing any of them (another file, the full image from a thumbnail's
link, a later expiry) makes it wrong. URLs are minted only into messages shown to the chat's members, and
live FILE_URL_TTL seconds, rounded up to the next whole minute so that a link stays the same for a minute
(browser caches keep working across pages).
"""
import base64
import hashlib
import hmac
import time

FULL, THUMBNAIL = "full", "thumbnail"
ROUND_TO = 60


class UrlSigner:
    """Mints and checks the signed URLs of files."""

    def __init__(self, secret, ttl, clock=time.time):
        self._key = hashlib.sha256(b"chat-files-url:" + secret.encode()).digest()
        self.ttl = ttl
        self.clock = clock

    @classmethod
    def from_config(cls, config):
        """The app's signer: keyed by SECRET_KEY, URLs valid FILE_URL_TTL seconds."""
        return cls(config["SECRET_KEY"], config["FILE_URL_TTL"])

    def _signature(self, file_id, variant, expires):
        mac = hmac.new(self._key, f"{file_id}|{variant}|{expires}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()

    def url(self, file_id, variant=FULL):
        """The signed path of the file's variant, valid for about `ttl` seconds."""
        expires = -(-int(self.clock() + self.ttl) // ROUND_TO) * ROUND_TO
        path = f"/files/{file_id}" + ("/thumbnail" if variant == THUMBNAIL else "")
        return f"{path}?expires={expires}&signature={self._signature(file_id, variant, expires)}"

    def valid(self, file_id, variant, expires, signature):
        """Whether (expires, signature) is a signature of this file's variant that has not expired yet."""
        if not isinstance(expires, str) or not expires.isdigit() or len(expires) > 12 or not isinstance(signature, str):
            return False
        if int(expires) <= self.clock():
            return False
        return hmac.compare_digest(self._signature(file_id, variant, int(expires)), signature)
