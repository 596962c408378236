"""`PUT`/`DELETE /users/<id>/block` and `GET /me/blocks`: the same service calls whatever the client, and the
presence pushes that make a block (or its end) take effect at once on every open socket, on every process."""
from flask import Blueprint, current_app
from flask_jwt_extended import get_jwt_identity, jwt_required

from .. import push
from ..clock import utcnow
from ..http import counted, endpoint
from ..openapi import ok
from ..services import services
from ..users.schemas import public_user

bp = Blueprint("blocks", __name__)

TARGET_ERRORS = {404: "`not_found`: no such verified user.",
                 422: "`validation_error`: yourself, or more than 1000 blocked users."}


@bp.put("/users/<user_id>/block")
@jwt_required()
@counted("other")
@endpoint(ok("block", "Blocked (blocking twice changes nothing)."), auth="access", errors=TARGET_ERRORS)
def block(user_id):
    """Block a user: they can no longer open a personal chat with the caller nor write in it (`blocked`), their
    typing and read receipts stop reaching the caller, each sees the other offline from now on, and the caller
    leaves their search. Group chats are unaffected; the blocked user is told nothing."""
    me = get_jwt_identity()
    target, _created = services().blocks.block(me, user_id)
    now = utcnow()
    push.presence([me], str(target["_id"]), False, now)  # each reads as offline to the other, at once
    push.presence([str(target["_id"])], me, False, now)
    return {"user": public_user(target), "blocked": True}


@bp.delete("/users/<user_id>/block")
@jwt_required()
@counted("other")
@endpoint(ok("block", "Not blocked (any more)."), auth="access", errors=TARGET_ERRORS)
def unblock(user_id):
    """Unblock a user: everything a block stopped works again, presence included (both are told the other's
    current presence when they share a chat)."""
    me = get_jwt_identity()
    target, visible = services().blocks.unblock(me, user_id)
    if visible:
        online = current_app.extensions["chat.presence"].online([me, target["id"]])
        now = utcnow()
        push.presence([me], target["id"], online.get(target["id"], False), now)
        push.presence([target["id"]], me, online.get(me, False), now)
    return {"user": target, "blocked": False}


@bp.get("/me/blocks")
@jwt_required()
@counted("fetch")
@endpoint(ok("users", "The users the caller blocks, most recently blocked first."), auth="access")
def blocked_users():
    """The users the caller blocks, most recently blocked first."""
    return {"users": [public_user(user) for user in services().blocks.blocked_users(get_jwt_identity())]}
