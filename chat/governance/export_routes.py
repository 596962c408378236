"""Data export over HTTP: `POST /me/export` (202: it is being made, a mail will follow) and
`GET /exports/download?token=` (the mailed link: the zip, once)."""
from flask import Blueprint, Response
from flask_jwt_extended import get_jwt_identity
from marshmallow import Schema, fields, validate

from ..bearer import bearer_required
from ..files.routes import disposition, stream
from ..http import endpoint
from ..kernel.clock import utcnow
from ..kernel.fields import Text
from ..openapi import _doc, json_response
from ..services import services
from ..tokens.scopes import NO_TOKENS

bp = Blueprint("exports", __name__)

ExportReply = _doc("ExportReply", Export=fields.Nested(_doc(
    "Export", ExportId=fields.String(required=True),
    State=fields.String(required=True, validate=validate.OneOf(["pending", "building", "ready", "failed"])),
    CreatedAt=fields.DateTime(required=True)), required=True))
ZIP = {"description": "The zip: account.json, chats/*.json, files/*.",
       "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}}}


class DownloadQuerySchema(Schema):
    token = Text(required=True, validate=validate.Length(min=1, max=200))


@bp.post("/me/export")
@bearer_required()
@endpoint({202: json_response(ExportReply, "Being made; a mail with a download link follows.")}, auth="access",
          scope=NO_TOKENS, errors={409: "`export_running`: one is being made already.",
                  429: "`rate_limited`: EXPORTS_PER_DAY exports in the last day."})
def request_export():
    """Ask for a zip of your account, your chats' messages and your uploads; a mail brings a single-use link."""
    return {"Export": services().exports.request(get_jwt_identity())}, 202


@bp.get("/exports/download")
@endpoint({200: ZIP}, query=DownloadQuerySchema,
          errors={400: "`invalid_token`: unknown, used already, or older than EXPORT_LINK_TTL."})
def download(query):
    """The mailed link: the export's zip, streamed from the store; the link is used up by this download."""
    _export, out = services().exports.download(query["token"])
    name = f"chat-export-{utcnow():%Y-%m-%d}.zip"
    headers = {"Content-Disposition": disposition("attachment", name), "Content-Length": str(out.length),
               "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
    return Response(stream(out, 0, out.length), headers=headers, content_type="application/zip",
                    direct_passthrough=True)
