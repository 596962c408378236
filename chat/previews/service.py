"""Link previews (`GET /link-preview`) and their image proxy (`GET /link-preview/image`).

A page is fetched by the server through the one safe outbound client (chat/outbound.py: public addresses only,
checked after DNS and at each of at most 3 redirects; http or https), at most 1 MiB of it and within 5 s in
all, and read for its Open Graph and HTML metadata (chat/previews/page.py). The result is cached in MongoDB for
PREVIEW_CACHE_SECONDS (chat/previews/repository.py), a page that cannot be previewed too (all null fields), so a
URL is fetched at most once per period whoever asks. The image is never given out as the page names it:
`ImageUrl` points at this server's proxy, with an HMAC of the image URL (SECRET_KEY) so that the proxy fetches
only images that a preview named (it is no open proxy), through the same client, at most PREVIEW_IMAGE_MAX_BYTES,
and only PNG, JPEG, GIF or WebP whose bytes agree with their Content-Type (never SVG, which can carry script).
"""
import hashlib
import hmac
from datetime import timedelta
from http.client import HTTPException
from urllib.parse import urlencode

from .. import outbound
from ..kernel import errors
from ..kernel.clock import utcnow
from .page import charset_of, read_preview

PAGE_MAX_BYTES = 1024 * 1024
FETCH_SECONDS = 5.0
REDIRECTS = 3
IMAGE_TYPES = {"image/png": (b"\x89PNG\r\n\x1a\n",), "image/jpeg": (b"\xff\xd8\xff",),
               "image/gif": (b"GIF87a", b"GIF89a"), "image/webp": (b"RIFF",)}
HEADERS = {"User-Agent": "chat-link-preview/1 (+link previews)", "Accept-Encoding": "identity"}


def empty(url):
    """The answer for a URL that cannot be previewed."""
    return {"Url": url, "Title": None, "Description": None, "SiteName": None, "ImageUrl": None}


class PreviewService:
    """Previews of pages, and the images they name."""

    def __init__(self, cache, config):
        self.cache = cache
        self.public_url = config["PUBLIC_URL"]
        self.key = config["SECRET_KEY"].encode("utf-8")
        self.ttl = timedelta(seconds=config["PREVIEW_CACHE_SECONDS"])
        self.image_max = config["PREVIEW_IMAGE_MAX_BYTES"]
        self.allow_local = bool(config["WEBHOOK_ALLOW_INSECURE_LOCAL"])

    def preview(self, url):
        """{"Url", "Title", "Description", "SiteName", "ImageUrl"} of the page at url (an http(s) URL the schema
        accepted): from the cache, else fetched now; null fields when it cannot be previewed."""
        key = hashlib.sha256(url.encode("utf-8")).hexdigest()
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        found = self._fetch(url)
        answer = empty(url)
        if found is not None:
            image = found.pop("Image")
            answer.update(found, ImageUrl=self.image_url(image) if image else None)
        self.cache.put(key, url, answer, utcnow() + self.ttl)
        return answer

    def _fetch(self, url):
        try:
            page = outbound.request("GET", url, headers={**HEADERS, "Accept": "text/html,application/xhtml+xml"},
                                    timeout=FETCH_SECONDS, total=FETCH_SECONDS, max_bytes=PAGE_MAX_BYTES,
                                    redirects=REDIRECTS, allow_local=self.allow_local, plain_http=True)
        except (outbound.Refused, OSError, HTTPException, ValueError):
            return None
        content_type = page.headers.get("content-type", "")
        if page.status != 200 or "html" not in content_type.lower():
            return None
        try:
            html = page.body.decode(charset_of(content_type), errors="replace")
        except LookupError:  # an unknown charset
            html = page.body.decode("utf-8", errors="replace")
        return read_preview(html, page.url)

    def sign(self, image):
        return hmac.new(self.key, b"link-preview-image:" + image.encode("utf-8"), hashlib.sha256).hexdigest()

    def image_url(self, image):
        """The proxy URL of an image a preview named."""
        return f"{self.public_url}/link-preview/image?" + urlencode({"url": image, "sig": self.sign(image)})

    def image(self, url, sig):
        """(bytes, content type) of the image at url, when sig is its signature; not_found otherwise, and for
        anything that is not a PNG, JPEG, GIF or WebP of at most PREVIEW_IMAGE_MAX_BYTES."""
        if not hmac.compare_digest(self.sign(url).encode("ascii"), sig.encode("utf-8")):
            raise errors.not_found("No such image.")
        try:
            answer = outbound.request("GET", url, headers={**HEADERS, "Accept": ", ".join(IMAGE_TYPES)},
                                      timeout=FETCH_SECONDS, total=FETCH_SECONDS, max_bytes=self.image_max,
                                      truncate=False, redirects=REDIRECTS, allow_local=self.allow_local,
                                      plain_http=True)
        except (outbound.Refused, outbound.TooLarge, OSError, HTTPException, ValueError):
            raise errors.not_found("This image cannot be shown.") from None
        content_type = answer.headers.get("content-type", "").split(";")[0].strip().lower()
        magic = IMAGE_TYPES.get(content_type)
        if answer.status != 200 or magic is None or not answer.body.startswith(magic):
            raise errors.not_found("This image cannot be shown.")
        if content_type == "image/webp" and answer.body[8:12] != b"WEBP":
            raise errors.not_found("This image cannot be shown.")
        return answer.body, content_type
