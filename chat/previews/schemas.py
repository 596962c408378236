"""marshmallow schemas of the link-preview routes: the query strings they load, and what they answer."""
from urllib.parse import urlsplit

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates

from ..kernel.fields import Text

URL_MAX = 2048
# A URL is ASCII (RFC 3986; browsers percent-encode the rest), which also keeps a request line of the longest
# URL percent-encoded under the 8 KiB that WSGI servers accept.
ASCII_URL = validate.Regexp(r"^[!-~]+$", error="A URL of printable ASCII characters (percent-encode the others).")


class PreviewQuerySchema(Schema):
    """`GET /link-preview?url=`: an absolute http or https URL with a host, at most 2048 characters."""

    url = Text(required=True, validate=[validate.Length(min=1, max=URL_MAX), ASCII_URL])

    @validates("url")
    def _http(self, value, **_kwargs):
        try:
            parts = urlsplit(value)
            parts.port  # noqa: B018  (raises ValueError for a bad port)
        except ValueError as exc:
            raise ValidationError("Not a URL.") from exc
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValidationError("An absolute http or https URL.")
        if any(ch.isspace() or ord(ch) < 32 for ch in value):
            raise ValidationError("Not a URL.")


class ImageQuerySchema(Schema):
    """`GET /link-preview/image?url=&sig=`: the URL and signature that a preview's ImageUrl carries."""

    url = Text(required=True, validate=[validate.Length(min=1, max=URL_MAX), ASCII_URL])
    sig = Text(required=True, validate=[validate.Length(equal=64), validate.Regexp(r"^[0-9a-f]{64}$")])


class LinkPreview(Schema):
    class Meta:
        unknown = EXCLUDE

    Url = fields.String(required=True)
    Title = fields.String(required=True, allow_none=True)
    Description = fields.String(required=True, allow_none=True)
    SiteName = fields.String(required=True, allow_none=True)
    ImageUrl = fields.String(required=True, allow_none=True, metadata={
        "description": "This server's image proxy (signed; no token needed), never the linked site."})
