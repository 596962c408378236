"""`/bots`: a person creates, lists and deletes their bot users. Account management: a signed-in person (a JWT)
only, never a token (a bot cannot make bots)."""
from flask import Blueprint
from flask_jwt_extended import get_jwt_identity
from marshmallow import Schema, fields

from ..auth.schemas import USERNAME
from ..bearer import bearer_required
from ..http import endpoint
from ..kernel.fields import Text
from ..openapi import User, json_response
from ..services import services
from ..tokens.scopes import NO_TOKENS
from ..users.schemas import public_user

bp = Blueprint("bots", __name__)


class CreateBotSchema(Schema):
    Username = Text(required=True, validate=USERNAME)


class CreatedBotDoc(Schema):
    """`POST /bots` (documentation only)."""

    User = fields.Nested(User, required=True)
    Token = fields.String(required=True, metadata={"description": "The bot's token (every scope, no expiry): shown "
                                                                  "this once, never again."})


class BotListDoc(Schema):
    """`GET /bots` (documentation only)."""

    Bots = fields.List(fields.Nested(User), required=True)


@bp.post("/bots")
@bearer_required()
@endpoint({201: json_response(CreatedBotDoc, "The bot, and its token shown this once.")}, auth="access",
          scope=NO_TOKENS, body=CreateBotSchema,
          errors={409: "`username_taken`, or `too_many_bots`: BOTS_PER_USER bots already."})
def create_bot(body):
    """Create a bot user owned by the caller: no password, no email, signing in only with the token answered."""
    bot, token = services().bots.create(get_jwt_identity(), body["Username"])
    return {"User": public_user(bot), "Token": token}, 201


@bp.get("/bots")
@bearer_required()
@endpoint({200: json_response(BotListDoc, "The caller's bots, oldest first.")}, auth="access", scope=NO_TOKENS)
def list_bots():
    """The caller's bots."""
    return {"Bots": [public_user(bot) for bot in services().bots.list(get_jwt_identity())]}


@bp.delete("/bots/<bot_id>")
@bearer_required()
@endpoint({204: {"description": "Deleted: its token is gone, it left its groups, its messages show \"deleted user\"."}},
          auth="access", scope=NO_TOKENS, errors={404: "`not_found`: you have no such bot."})
def delete_bot(bot_id):
    """Delete one of the caller's bots, as an account is deleted."""
    services().bots.delete(get_jwt_identity(), bot_id)
    return "", 204
