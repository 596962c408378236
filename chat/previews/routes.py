"""`GET /link-preview` (Bearer) and its image proxy `GET /link-preview/image` (no token: signed URLs, for `<img>`)."""
from flask import Blueprint

from ..bearer import bearer_required
from ..http import counted, endpoint
from ..openapi import json_response
from ..services import services
from ..tokens.scopes import MESSAGES_READ
from .schemas import ImageQuerySchema, LinkPreview, PreviewQuerySchema

bp = Blueprint("previews", __name__)


@bp.get("/link-preview")
@bearer_required()
@counted("fetch")
@endpoint({200: json_response(LinkPreview, "The preview; all fields null when the page cannot be previewed.")},
          auth="access", scope=MESSAGES_READ, query=PreviewQuerySchema,
          errors={422: "`validation_error`: `url` missing, not an absolute http(s) URL, or over 2048 characters."})
def link_preview(query):
    """The title, description, site name and image (through this server's proxy) of a page, fetched by the
    server from public addresses only and cached."""
    return services().previews.preview(query["url"])


@bp.get("/link-preview/image")
@endpoint({200: {"description": "The image (PNG, JPEG, GIF or WebP).",
                 "content": {"image/*": {"schema": {"type": "string", "format": "binary"}}}}},
          query=ImageQuerySchema,
          errors={404: "`not_found`: a bad signature, or no image that may be shown at that URL."})
def link_preview_image(query):
    """An image a link preview named, fetched by the server so the reader's browser never contacts the site."""
    data, content_type = services().previews.image(query["url"], query["sig"])
    return data, 200, {"Content-Type": content_type, "Cache-Control": "private, max-age=3600",
                       "X-Content-Type-Options": "nosniff", "Content-Security-Policy": "default-src 'none'",
                       "Content-Disposition": "inline"}
