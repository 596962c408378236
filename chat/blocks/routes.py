"""`PUT`/`DELETE /users/<id>/block` and `GET /me/blocks`: the same service calls whatever the client; the
service announces a block (or its end), and the presence pushes make it take effect at once on every open
socket, on every process (chat/sockets/publisher.py)."""
from flask import Blueprint
from flask_jwt_extended import get_jwt_identity

from ..bearer import bearer_required
from ..http import counted, endpoint
from ..openapi import ok
from ..services import services
from ..tokens.scopes import NO_TOKENS
from ..users.schemas import public_user

bp = Blueprint("blocks", __name__)

TARGET_ERRORS = {404: "`not_found`: no such verified user.",
                 422: "`validation_error`: yourself, or more than 1000 blocked users."}


@bp.put("/users/<user_id>/block")
@bearer_required()
@counted("other")
@endpoint(ok("block", "Blocked (blocking twice changes nothing)."), auth="access",
          scope=NO_TOKENS, errors=TARGET_ERRORS)
def block(user_id):
    """Block a user: they can no longer open a personal chat with the caller nor write in it (`blocked`), their
    typing and read receipts stop reaching the caller, each sees the other offline from now on, and the caller
    leaves their search. Group chats are unaffected; the blocked user is told nothing."""
    target, _created = services().blocks.block(get_jwt_identity(), user_id)
    return {"user": public_user(target), "blocked": True}


@bp.delete("/users/<user_id>/block")
@bearer_required()
@counted("other")
@endpoint(ok("block", "Not blocked (any more)."), auth="access", scope=NO_TOKENS, errors=TARGET_ERRORS)
def unblock(user_id):
    """Unblock a user: everything a block stopped works again, presence included (both are told the other's
    current presence when they share a chat)."""
    target, _visible = services().blocks.unblock(get_jwt_identity(), user_id)
    return {"user": target, "blocked": False}


@bp.get("/me/blocks")
@bearer_required()
@counted("fetch")
@endpoint(ok("users", "The users the caller blocks, most recently blocked first."), auth="access", scope=NO_TOKENS)
def blocked_users():
    """The users the caller blocks, most recently blocked first."""
    return {"users": [public_user(user) for user in services().blocks.blocked_users(get_jwt_identity())]}
