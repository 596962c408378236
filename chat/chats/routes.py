"""REST for chats: the same service calls and pushes as the sockets, for clients without a socket."""
from flask import Blueprint, current_app
from flask_jwt_extended import get_jwt_identity, jwt_required

from .. import push
from ..http import caller, counted, endpoint, history_page, sent
from ..kinds import ChatRef
from ..messages.schemas import message_out
from ..openapi import NO_USER, SENT, ok
from ..services import services
from .schemas import EditBodySchema, HistoryQuerySchema, InboxQuerySchema, ReadBodySchema, SendBodySchema
from .wire import chat_list, partner_of

bp = Blueprint("chats", __name__)


@bp.get("/chats")
@jwt_required()
@counted("fetch")
@endpoint(ok("inbox", "One page of the inbox."), auth="access", query=InboxQuerySchema)
def inbox(query):
    """The inbox: personal and group chats, most recent activity first, with LastMessage and Unread."""
    user_id, per_page = get_jwt_identity(), query["per_page"]
    total, rows = services().chats.inbox(user_id, query["page"], per_page)
    entries = chat_list(rows, user_id, current_app.extensions["chat.presence"], with_kind=True)
    return {"state": {"page": query["page"], "per_page": per_page, "total": total,
                      "total_pages": (total + per_page - 1) // per_page}, "entries": entries}


@bp.get("/chats/personal/<partner_id>/messages")
@jwt_required()
@counted("fetch")
@endpoint(ok("personal", "A history page."), auth="access", query=HistoryQuerySchema, errors=NO_USER)
def personal_history(partner_id, query):
    """A history page with the partner (the chat is created on first use), as `personal-chat`."""
    user = caller()
    chat, messages, has_more = history_page(user, ChatRef.personal(partner_id=partner_id), query)
    return {"ChatId": chat["_id"], "Messages": [message_out(m) for m in messages], "UserId": user["id"],
            "User": user, "Partner": partner_of(chat, user["id"]), "HasMore": has_more}


@bp.post("/chats/personal/<partner_id>/messages")
@jwt_required()
@counted("message")
@endpoint(SENT, auth="access", body=SendBodySchema, errors=NO_USER)
def personal_send(partner_id, body):
    """Send to the partner; their sockets get `receive-personal-message`."""
    return sent(*services().messages.send(caller(), ChatRef.personal(partner_id=partner_id), body["Content"],
                                          body.get("ClientId")))


@bp.get("/chats/self/messages")
@jwt_required()
@counted("fetch")
@endpoint(ok("self", "A history page."), auth="access", query=HistoryQuerySchema)
def self_history(query):
    """A history page of the self chat, as `self-chat`."""
    user = caller()
    _chat, messages, has_more = history_page(user, ChatRef.self_chat(), query)
    return {"Messages": [message_out(m) for m in messages], "Name": user["username"], "HasMore": has_more}


@bp.post("/chats/self/messages")
@jwt_required()
@counted("message")
@endpoint(SENT, auth="access", body=SendBodySchema)
def self_send(body):
    """Write a note to self; the user's sockets get `receive-self-message`."""
    return sent(*services().messages.send(caller(), ChatRef.self_chat(), body["Content"], body.get("ClientId")))


@bp.patch("/messages/<message_id>")
@jwt_required()
@counted("message")
@endpoint(ok("message", "The edited message."), auth="access", body=EditBodySchema,
          errors={403: "`forbidden`: not the author.", 404: None})
def edit_message(message_id, body):
    """Edit one's own message; both sides get the `…-message-edited` push."""
    chat, message = services().messages.edit(get_jwt_identity(), message_id, body["Content"])
    push.message_changed(chat, message, deleted=False)
    return {"Message": message_out(message, group=chat["kind"] == "group")}


@bp.delete("/messages/<message_id>")
@jwt_required()
@counted("message")
@endpoint(ok("message", "The deleted message (it keeps its Seq)."), auth="access",
          errors={403: "`forbidden`: not the author.", 404: None})
def delete_message(message_id):
    """Soft-delete one's own message (it keeps its Seq); both sides get the `…-message-deleted` push."""
    chat, message = services().messages.delete(get_jwt_identity(), message_id)
    push.message_changed(chat, message, deleted=True)
    return {"Message": message_out(message, group=chat["kind"] == "group")}


@bp.post("/chats/<chat_id>/read")
@jwt_required()
@counted("other")
@endpoint(ok("receipt", "The caller's read position; Moved says whether it moved."), auth="access",
          body=ReadBodySchema, body_required=False, errors={404: None})
def mark_read(chat_id, body):
    """Mark a personal or group chat read up to UpTo (default: newest); the read ack is pushed when it moved."""
    user_id = get_jwt_identity()
    chat, receipt = services().messages.mark_read(user_id, ChatRef.any(chat_id), body.get("UpTo"))
    if receipt is not None:
        push.read_receipt(chat, user_id, receipt)
    return push.receipt_wire(chat, user_id, receipt)
