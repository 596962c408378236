"""The `/me/tokens` body and how a token goes out (never its hash; its value only once, at creation)."""
from marshmallow import Schema, fields, validate

from ..kernel.clock import iso
from ..kernel.fields import StrictInteger, Text
from .scopes import SCOPES

MAX_EXPIRES_IN = 366 * 24 * 3600  # a year and a day, in seconds


class CreateTokenSchema(Schema):
    Name = Text(required=True, validate=validate.Length(min=1, max=100))
    Scopes = fields.List(Text(validate=validate.OneOf(SCOPES)), required=True,
                         validate=validate.Length(min=1, max=len(SCOPES)),
                         metadata={"description": "One or more of " + ", ".join(SCOPES) + "."})
    ExpiresIn = StrictInteger(allow_none=True, validate=validate.Range(min=60, max=MAX_EXPIRES_IN),
                              metadata={"description": "Seconds until it expires; absent or null: never."})


def token_out(doc):
    """A token as `GET /me/tokens` lists it (no value: only its hash is kept)."""
    return {"TokenId": doc["_id"], "Name": doc["name"], "Scopes": list(doc["scopes"]),
            "CreatedAt": iso(doc["created_at"]), "ExpiresAt": iso(doc.get("expires_at")),
            "LastUsedAt": iso(doc.get("last_used_at"))}


def created_out(doc, token):
    """The answer to `POST /me/tokens`: the token's fields and, this once, its value."""
    return {**token_out(doc), "Token": token}
