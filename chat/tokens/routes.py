"""`/me/tokens`: create (the value shown once), list and revoke personal access tokens. Account management:
only a signed-in person (a JWT) may call these, never a token."""
from flask import Blueprint
from flask_jwt_extended import get_jwt_identity
from marshmallow import EXCLUDE, Schema, fields

from ..bearer import bearer_required
from ..http import endpoint
from ..openapi import json_response
from ..services import services
from .schemas import CreateTokenSchema, created_out, token_out
from .scopes import NO_TOKENS

bp = Blueprint("tokens", __name__)


class TokenDoc(Schema):
    """A personal access token as listed (documentation only)."""

    class Meta:
        unknown = EXCLUDE

    TokenId = fields.String(required=True)
    Name = fields.String(required=True)
    Scopes = fields.List(fields.String(), required=True)
    CreatedAt = fields.DateTime(required=True)
    ExpiresAt = fields.DateTime(required=True, allow_none=True, metadata={"description": "null: never."})
    LastUsedAt = fields.DateTime(required=True, allow_none=True, metadata={
        "description": "Its last use (moves at most once a minute); null: never used."})


class CreatedTokenDoc(TokenDoc):
    """A new token, with its value (documentation only)."""

    Token = fields.String(required=True, metadata={"description": "The token: shown this once, never again."})


class TokenListDoc(Schema):
    """`GET /me/tokens` (documentation only)."""

    Tokens = fields.List(fields.Nested(TokenDoc), required=True)


@bp.post("/me/tokens")
@bearer_required()
@endpoint({201: json_response(CreatedTokenDoc, "The new token; `Token` is shown this once.")}, auth="access",
          scope=NO_TOKENS, body=CreateTokenSchema,
          errors={409: "`too_many_tokens`: TOKENS_PER_USER tokens already; revoke one."})
def create_token(body):
    """Create a personal access token for REST calls, limited to `Scopes`, expiring after `ExpiresIn` seconds
    (or never)."""
    record, token = services().tokens.create(get_jwt_identity(), body["Name"], body["Scopes"], body.get("ExpiresIn"))
    return created_out(record, token), 201


@bp.get("/me/tokens")
@bearer_required()
@endpoint({200: json_response(TokenListDoc, "The caller's tokens (expired ones too), newest first.")},
          auth="access", scope=NO_TOKENS)
def list_tokens():
    """The caller's personal access tokens, without their values (only a hash is kept), newest first."""
    return {"Tokens": [token_out(doc) for doc in services().tokens.list(get_jwt_identity())]}


@bp.delete("/me/tokens/<token_id>")
@bearer_required()
@endpoint({204: {"description": "Revoked: the token answers 401 `token_revoked` from now on."}}, auth="access",
          scope=NO_TOKENS, errors={404: "`not_found`: you have no such token."})
def revoke_token(token_id):
    """Revoke one of the caller's personal access tokens."""
    services().tokens.revoke(get_jwt_identity(), token_id)
    return "", 204
