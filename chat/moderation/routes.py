"""REST for moderation: pinned messages (list, pin, unpin). The socket events are `pin-message` on `/personal`
and `/group`; both reach the same service call (chat/moderation/service.py)."""
from flask import Blueprint
from flask_jwt_extended import get_jwt_identity

from ..bearer import bearer_required
from ..http import caller, counted, endpoint
from ..kernel.kinds import ChatRef, kind_of
from ..messages.schemas import message_out
from ..openapi import ok
from ..services import services
from ..tokens.scopes import MESSAGES_READ, MESSAGES_WRITE

bp = Blueprint("moderation", __name__)

PIN_ERRORS = {403: "`forbidden`: a group member who is neither its admin nor a moderator.",
              404: "`not_found`: no such chat, group or message, or not a member.",
              409: "`conflict`: the chat has 50 pinned messages already.",
              422: "`validation_error`: a deleted message."}


@bp.get("/chats/<chat_id>/pins")
@bearer_required()
@counted("fetch")
@endpoint(ok("pins", "The pinned messages, most recently pinned first (at most 50)."), auth="access",
          scope=MESSAGES_READ,
          errors={404: "`not_found`: no such chat or group, or not a member."})
def pins(chat_id):
    """The pinned messages of a personal chat or a group, most recently pinned first."""
    chat, messages = services().moderation.pins(get_jwt_identity(), chat_id)
    urls = services().file_urls
    return {"Messages": [message_out(m, urls, group=kind_of(chat).room) for m in messages]}


@bp.put("/chats/<chat_id>/pins/<message_id>")
@bearer_required()
@counted("message")
@endpoint(ok("message", "The message, pinned (pinning it again changes nothing)."), auth="access", scope=MESSAGES_WRITE,
          errors=PIN_ERRORS)
def pin(chat_id, message_id):
    """Pin a message, as `pin-message` with On true: the chat's sockets get `message-pinned`."""
    return _pinned(chat_id, message_id, True)


@bp.delete("/chats/<chat_id>/pins/<message_id>")
@bearer_required()
@counted("message")
@endpoint(ok("message", "The message, not pinned."), auth="access", scope=MESSAGES_WRITE, errors=PIN_ERRORS)
def unpin(chat_id, message_id):
    """Unpin a message, as `pin-message` with On false: the chat's sockets get `message-pinned`."""
    return _pinned(chat_id, message_id, False)


def _pinned(chat_id, message_id, on):
    chat, message = services().moderation.pin(caller(), ChatRef.any(chat_id), message_id, on)
    return {"Message": message_out(message, services().file_urls, group=kind_of(chat).room)}


def blueprints():
    """Every blueprint of moderation: pins (here), invite links, reports."""
    from .invite_routes import bp as invites_bp
    from .report_routes import bp as reports_bp
    return bp, invites_bp, reports_bp
