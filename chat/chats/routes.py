"""REST for chats: the same services and pushes as the sockets, for clients without a socket."""
from flask import Blueprint, current_app
from flask_jwt_extended import get_jwt_identity, jwt_required

from ..chats.repository import PERSONAL
from ..http import counted, load_body, load_optional_body, load_query
from ..messages.schemas import message_out
from ..services import services
from ..sockets import push
from ..users.schemas import public_user
from .schemas import EditBodySchema, HistoryQuerySchema, InboxQuerySchema, ReadBodySchema, SendBodySchema
from .wire import group_entry, personal_entry

bp = Blueprint("chats", __name__)


def caller():
    """The authenticated user as {"id", "username"} (the sender is never taken from a body)."""
    user = services().users.get(get_jwt_identity())
    return {"id": str(user["_id"]), "username": user["username"]}


def history_query():
    """The query string's before/after/limit."""
    return load_query(HistoryQuerySchema())


def history(chat, user_id, query):
    """A page of an existing chat for a loaded history query: (messages, has_more)."""
    return services().messages.history(chat, user_id, query.get("before"), query.get("after"), query.get("limit"))


def send_body():
    """The loaded body of a send."""
    return load_body(SendBodySchema())


def sent(chat, message, created):
    """Push a new message, and answer 201 {"Message"}, or 200 with the stored one for a repeated ClientId."""
    if created:
        push.new_message(chat, message)
    return {"Message": message_out(message, group=chat["kind"] == "group")}, 201 if created else 200


@bp.get("/chats")
@jwt_required()
@counted("fetch")
def inbox():
    """The inbox: personal and group chats, most recent activity first, with LastMessage and Unread."""
    query = load_query(InboxQuerySchema())
    user_id = get_jwt_identity()
    total, rows = services().chats.inbox(user_id, query["page"], query["per_page"])
    presence = current_app.extensions["chat.presence"]
    online = presence.online([str(p["_id"]) for _, p, _, _ in rows if p])
    entries = [{"Kind": "personal", **personal_entry(chat, partner, last, unread, online[str(partner["_id"])])}
               if chat["kind"] == PERSONAL else {"Kind": "group", **group_entry(chat, last, unread)}
               for chat, partner, last, unread in rows if partner or chat["kind"] != PERSONAL]
    per_page = query["per_page"]
    return {"state": {"page": query["page"], "per_page": per_page, "total": total,
                      "total_pages": (total + per_page - 1) // per_page}, "entries": entries}


@bp.get("/chats/personal/<partner_id>/messages")
@jwt_required()
@counted("fetch")
def personal_history(partner_id):
    """A history page with the partner (the chat is created on first use), as `personal-chat`."""
    query = history_query()
    user = caller()
    chat, partner, page, has_more = services().chats.personal_page(
        user, partner_id, before=query.get("before"), after=query.get("after"), limit=query.get("limit"))
    return {"ChatId": chat["_id"], "Messages": [message_out(m) for m in page], "UserId": user["id"], "User": user,
            "Partner": public_user(partner), "HasMore": has_more}


@bp.post("/chats/personal/<partner_id>/messages")
@jwt_required()
@counted("message")
def personal_send(partner_id):
    """Send to the partner; their sockets get `receive-personal-message`."""
    body = send_body()
    return sent(*services().chats.send_to_partner(caller(), partner_id, body["Content"], body.get("ClientId")))


@bp.get("/chats/self/messages")
@jwt_required()
@counted("fetch")
def self_history():
    """A history page of the self chat, as `self-chat`."""
    query = history_query()
    user = caller()
    _chat, page, has_more = services().chats.self_page(user["id"], query.get("before"), query.get("after"),
                                                       query.get("limit"))
    return {"Messages": [message_out(m) for m in page], "Name": user["username"], "HasMore": has_more}


@bp.post("/chats/self/messages")
@jwt_required()
@counted("message")
def self_send():
    """Write a note to self; the user's sockets get `receive-self-message`."""
    body = send_body()
    return sent(*services().messages.send_to_self(caller(), body["Content"], body.get("ClientId")))


@bp.patch("/messages/<message_id>")
@jwt_required()
@counted("message")
def edit_message(message_id):
    """Edit one's own message; both sides get the `…-message-edited` push."""
    body = load_body(EditBodySchema())
    user_id = get_jwt_identity()
    chat = services().chats.chat_of_message(user_id, message_id)
    message = services().messages.edit(chat, user_id, message_id, body["Content"])
    push.message_changed(chat, message, deleted=False)
    return {"Message": message_out(message, group=chat["kind"] == "group")}


@bp.delete("/messages/<message_id>")
@jwt_required()
@counted("message")
def delete_message(message_id):
    """Soft-delete one's own message (it keeps its Seq); both sides get the `…-message-deleted` push."""
    user_id = get_jwt_identity()
    chat = services().chats.chat_of_message(user_id, message_id)
    message = services().messages.delete(chat, user_id, message_id)
    push.message_changed(chat, message, deleted=True)
    return {"Message": message_out(message, group=chat["kind"] == "group")}


@bp.post("/chats/<chat_id>/read")
@jwt_required()
@counted("other")
def mark_read(chat_id):
    """Mark a personal or group chat read up to UpTo (default: newest); the read ack is pushed when it moved."""
    body = load_optional_body(ReadBodySchema())
    user_id = get_jwt_identity()
    chat = services().chats.any_member_chat(user_id, chat_id)
    receipt = services().messages.mark_read(chat, user_id, body.get("UpTo"))
    if receipt is not None:
        push.read_receipt(chat, user_id, receipt)
    return push.receipt_wire(chat, user_id, receipt)
