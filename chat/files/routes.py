"""REST for files: `POST /files` (multipart upload), `GET /files/<id>` and `GET /files/<id>/thumbnail`.

Uploads have their own body limit (FILE_MAX_BYTES plus the multipart envelope), set on this request only: every
other route keeps MAX_BODY_BYTES. werkzeug's form parser spools the part to a temporary file past 500 KiB, and
the bytes go from there to GridFS a chunk at a time, so an upload is never held in memory whole. Downloads are
streamed from GridFS a chunk (255 KiB) at a time, so under gevent a large download yields to other
connections between chunks; `Range` (one range) answers 206, `If-None-Match` 304.
"""
import functools
import unicodedata
from urllib.parse import quote

from flask import Blueprint, Response, current_app, request
from flask_jwt_extended import get_jwt_identity
from marshmallow import Schema, validate

from ..bearer import bearer_required
from ..http import counted, endpoint
from ..kernel import errors
from ..kernel.fields import Text
from ..openapi import ErrorEnvelope, json_response, ok
from ..services import services
from ..tokens.scopes import MESSAGES_READ, MESSAGES_WRITE
from .kinds import CHUNK_SIZE, IMAGES, TEXT
from .urls import FULL, THUMBNAIL
from .wire import file_out

bp = Blueprint("files", __name__)
MULTIPART_OVERHEAD = 64 * 1024  # boundaries and part headers around the file, and a name
# Responses that are files: never a page of this origin (nothing runs, even if a browser opened one directly).
FILE_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"
UPLOAD_FORM = {"type": "object", "required": ["file"],
               "properties": {"file": {"type": "string", "format": "binary",
                                       "description": "The file (one part named `file`)."}}}
UPLOAD_ERRORS = {
    413: "`payload_too_large` (over FILE_MAX_BYTES) or `quota_exceeded` (over FILE_QUOTA_BYTES in all).",
    415: "`unsupported_media_type`: not PNG, JPEG, GIF, WebP, PDF or plain text (decided from the bytes), or an "
         "image of more than FILE_MAX_PIXELS pixels or FILE_DECODE_MAX_BYTES of memory to decode.",
    503: "`unavailable`: the database is unreachable, or every image decoder is busy and FILE_DECODE_QUEUE uploads "
         "are waiting; nothing was stored; see Retry-After.",
    422: "`validation_error`: not one part named `file`.",
}
BYTES = {"*/*": {"schema": {"type": "string", "format": "binary"}}}
DOWNLOAD = {
    200: {"description": "The bytes (images inline, everything else as an attachment).", "content": BYTES},
    206: {"description": "The range asked for (`Range: bytes=a-b`).", "content": BYTES},
    304: {"description": "`If-None-Match` names the ETag: unchanged."},
    416: json_response(ErrorEnvelope, "`range_not_satisfiable`: the range lies outside the file (see Content-Range)."),
}
NO_FILE = {404: "`not_found`: no such file, not yours nor sent in a chat you are in, or a signed URL that is "
                "wrong or expired."}


class SignedQuerySchema(Schema):
    """A signed URL's query (with no Bearer header)."""

    expires = Text(validate=validate.Length(min=1, max=12))
    signature = Text(validate=validate.Length(min=1, max=100))


@bp.post("/files")
@bearer_required()
@counted("message")
@endpoint(ok("file", "Stored: attach its FileId to a send within 24 hours.", 201), auth="access", scope=MESSAGES_WRITE,
          multipart=UPLOAD_FORM, errors=UPLOAD_ERRORS)
def upload():
    """Store an upload: multipart/form-data with one part named `file`; 201 {"File"} to attach to a send."""
    request.max_content_length = current_app.config["FILE_MAX_BYTES"] + MULTIPART_OVERHEAD
    if request.mimetype != "multipart/form-data":
        raise errors.validation_error({"file": ["Send multipart/form-data with one part named file."]})
    parts = request.files.getlist("file")
    if len(parts) != 1 or len(request.files) != 1:
        raise errors.validation_error({"file": ["Send exactly one part named file."]})
    part = parts[0]
    try:
        kept = services().files.upload(get_jwt_identity(), part.filename, part.stream)
    finally:
        part.close()
    return {"File": file_out(kept, services().file_urls)}, 201


def signed_or_bearer(view):
    """401 unauthorized before anything else for a request with neither a signed URL's query nor a token."""
    @functools.wraps(view)
    def checked(*args, **kwargs):
        if get_jwt_identity() is None and "signature" not in request.args:
            raise errors.unauthorized()
        return view(*args, **kwargs)
    return checked


@bp.get("/files/<file_id>")
@bearer_required(optional=True)
@signed_or_bearer
@endpoint(DOWNLOAD, auth="access", scope=MESSAGES_READ, query=SignedQuerySchema, errors=NO_FILE)
def download(file_id, query):
    """The file's bytes, for its uploader and the members of the chat it was sent in (Bearer), or with the
    signed `Url` of a `File` (no header). Supports `Range` and `If-None-Match`."""
    return serve(file_id, FULL, query)


@bp.get("/files/<file_id>/thumbnail")
@bearer_required(optional=True)
@signed_or_bearer
@endpoint(DOWNLOAD, auth="access", scope=MESSAGES_READ, query=SignedQuerySchema, errors=NO_FILE)
def thumbnail(file_id, query):
    """An image's thumbnail (longest side at most 320 px, re-encoded without metadata), as `GET /files/<id>`."""
    return serve(file_id, THUMBNAIL, query)


def serve(file_id, variant, query):
    """The response for a file's variant, after the signed URL or the caller's access was checked."""
    signed = "signature" in query or "expires" in query
    if signed:
        if not services().file_urls.valid(file_id, variant, query.get("expires"), query.get("signature")):
            raise errors.not_found("No such file.")
        user_id = None
    else:
        user_id = get_jwt_identity()
        if user_id is None:
            raise errors.unauthorized()
    doc, out = services().files.readable(user_id, file_id, variant, signed=signed)
    content_type = out.metadata.get("content_type", "application/octet-stream")
    etag = f"{doc['_id']}-{variant}"
    headers = {"ETag": f'"{etag}"', "Accept-Ranges": "bytes", "X-Content-Type-Options": "nosniff",
               "Content-Security-Policy": FILE_CSP,
               "Cache-Control": "private, max-age=300" if signed else "private, no-cache"}
    inline = variant == THUMBNAIL or content_type in IMAGES
    headers["Content-Disposition"] = disposition("inline" if inline else "attachment", doc["filename"])
    if request.if_none_match.contains(etag):
        out.close()
        return Response(status=304, headers=headers)
    length, start, stop, status = out.length, 0, out.length, 200
    wanted, if_range = request.range, request.if_range
    if wanted is not None and (if_range.etag == etag or (if_range.etag is None and if_range.date is None)):
        span = wanted.range_for_length(length)
        if span is None and len(wanted.ranges) == 1:
            out.close()
            raise errors.ApiError("range_not_satisfiable", "The range lies outside the file.", 416,
                                  headers={"Content-Range": f"bytes */{length}"})
        if span is not None:
            (start, stop), status = span, 206
            headers["Content-Range"] = f"bytes {start}-{stop - 1}/{length}"
    headers["Content-Length"] = str(stop - start)
    mimetype = f"{TEXT}; charset=utf-8" if content_type == TEXT else content_type
    return Response(stream(out, start, stop), status=status, headers=headers, content_type=mimetype,
                    direct_passthrough=True)


def stream(out, start, stop):
    """The bytes [start, stop) of a GridOut, a chunk at a time (each read is a database round trip, where
    gevent runs other connections)."""
    try:
        out.seek(start)
        remaining = stop - start
        while remaining > 0:
            data = out.read(min(CHUNK_SIZE - (out.tell() % CHUNK_SIZE), remaining))
            if not data:
                break
            remaining -= len(data)
            yield data
    finally:
        out.close()


def disposition(kind, name):
    """`inline` or `attachment` with the file's name: ASCII in `filename`, the exact name in `filename*`."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    ascii_name = "".join(ch if ch.isprintable() and ch not in '"\\' else "_" for ch in ascii_name) or "file"
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"
