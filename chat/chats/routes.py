"""REST for chats: the same service calls as the sockets, for clients without a socket; the services announce
what changed, and the sockets hear of it (chat/events.py)."""
from flask import Blueprint, current_app
from flask_jwt_extended import get_jwt_identity

from ..bearer import bearer_required
from ..http import caller, counted, endpoint, history_page, sent
from ..kernel.kinds import ChatRef, kind_of
from ..messages.schemas import changes_wire, history_out, message_out, reactions_wire, receipt_wire
from ..openapi import NO_USER, SENT, ok
from ..services import services
from ..tokens.scopes import MESSAGES_READ, MESSAGES_WRITE
from .mute import until_wire
from .schemas import (
    ChangesQuerySchema,
    EditBodySchema,
    HistoryQuerySchema,
    InboxQuerySchema,
    MuteBodySchema,
    ReadBodySchema,
    SendBodySchema,
)
from .wire import chat_list, partner_of

bp = Blueprint("chats", __name__)


@bp.get("/chats")
@bearer_required()
@counted("fetch")
@endpoint(ok("inbox", "One page of the inbox."), auth="access", scope=MESSAGES_READ, query=InboxQuerySchema)
def inbox(query):
    """The inbox: personal and group chats, most recent activity first, with LastMessage and Unread."""
    user_id, per_page = get_jwt_identity(), query["per_page"]
    total, rows = services().chats.inbox(user_id, query["page"], per_page)
    entries = chat_list(rows, user_id, current_app.extensions["chat.presence"], urls=services().file_urls,
                        with_kind=True, mentions=services().chats.unread_mentions(user_id, rows))
    return {"state": {"page": query["page"], "per_page": per_page, "total": total,
                      "total_pages": (total + per_page - 1) // per_page}, "entries": entries}


@bp.get("/chats/personal/<partner_id>/messages")
@bearer_required()
@counted("fetch")
@endpoint(ok("personal", "A history page."), auth="access",
          scope=MESSAGES_READ, query=HistoryQuerySchema, errors=NO_USER)
def personal_history(partner_id, query):
    """A history page with the partner (the chat is created on first use), as `personal-chat`."""
    user = caller()
    chat, messages, has_more = history_page(user, ChatRef.personal(partner_id=partner_id), query)
    urls = services().file_urls
    return {"ChatId": chat.id, "Messages": [message_out(m, urls) for m in messages], "UserId": user["id"],
            "User": user, "Partner": partner_of(chat, user["id"]), "HasMore": has_more}


@bp.post("/chats/personal/<partner_id>/messages")
@bearer_required()
@counted("message")
@endpoint(SENT, auth="access", scope=MESSAGES_WRITE, body=SendBodySchema, errors=NO_USER)
def personal_send(partner_id, body):
    """Send to the partner; their sockets get `receive-personal-message`."""
    return sent(*services().messages.send(caller(), ChatRef.personal(partner_id=partner_id), body["Content"],
                                          body.get("ClientId"), body.get("ReplyTo"), body.get("Attachments"),
                                          thread_of=body.get("ThreadOf")))


@bp.get("/chats/self/messages")
@bearer_required()
@counted("fetch")
@endpoint(ok("self", "A history page."), auth="access", scope=MESSAGES_READ, query=HistoryQuerySchema)
def self_history(query):
    """A history page of the self chat, as `self-chat`."""
    user = caller()
    _chat, messages, has_more = history_page(user, ChatRef.self_chat(), query)
    urls = services().file_urls
    return {"Messages": [message_out(m, urls) for m in messages], "Name": user["username"], "HasMore": has_more}


@bp.post("/chats/self/messages")
@bearer_required()
@counted("message")
@endpoint(SENT, auth="access", scope=MESSAGES_WRITE, body=SendBodySchema)
def self_send(body):
    """Write a note to self; the user's sockets get `receive-self-message`."""
    return sent(*services().messages.send(caller(), ChatRef.self_chat(), body["Content"], body.get("ClientId"),
                                          body.get("ReplyTo"), body.get("Attachments"),
                                          thread_of=body.get("ThreadOf")))


@bp.patch("/messages/<message_id>")
@bearer_required()
@counted("message")
@endpoint(ok("message", "The edited message."), auth="access", scope=MESSAGES_WRITE, body=EditBodySchema,
          errors={403: "`forbidden`: not the author.", 404: None})
def edit_message(message_id, body):
    """Edit one's own message; both sides get the `…-message-edited` push."""
    chat, message = services().messages.edit(get_jwt_identity(), message_id, body["Content"])
    return {"Message": message_out(message, services().file_urls, group=kind_of(chat).room)}


@bp.delete("/messages/<message_id>")
@bearer_required()
@counted("message")
@endpoint(ok("message", "The deleted message (it keeps its Seq)."), auth="access", scope=MESSAGES_WRITE,
          errors={403: "`forbidden`: not the author.", 404: None})
def delete_message(message_id):
    """Soft-delete one's own message (it keeps its Seq); both sides get the `…-message-deleted` push."""
    chat, message = services().messages.delete(get_jwt_identity(), message_id)
    return {"Message": message_out(message, services().file_urls, group=kind_of(chat).room)}


@bp.get("/messages/<message_id>/history")
@bearer_required()
@counted("fetch")
@endpoint(ok("history", "Every version, oldest first (none for a deleted message)."), auth="access",
          scope=MESSAGES_READ,
          errors={404: "`not_found`: no such message, or not a member of its chat."})
def message_history(message_id):
    """The versions of a message its edits kept, oldest first, then the current one; members of its chat only."""
    _chat, message = services().messages.message(get_jwt_identity(), message_id)
    return history_out(message)


@bp.put("/messages/<message_id>/reactions/<emoji>")
@bearer_required()
@counted("message")
@endpoint(ok("reactions", "The message's reactions after."), auth="access", scope=MESSAGES_WRITE,
          errors={404: "`not_found`: no such message, or not a member of its chat.",
                  422: "`validation_error`: not one emoji, a deleted message, a 21st distinct emoji, "
                       "or the caller's 11th."})
def react(message_id, emoji):
    """React to a message with one emoji (idempotent); the chat's sockets get `message-reactions`."""
    return reactions_wire(*services().messages.react(get_jwt_identity(), message_id, emoji, True))


@bp.delete("/messages/<message_id>/reactions/<emoji>")
@bearer_required()
@counted("message")
@endpoint(ok("reactions", "The message's reactions after."), auth="access", scope=MESSAGES_WRITE,
          errors={404: "`not_found`: no such message, or not a member of its chat.",
                  422: "`validation_error`: not one emoji, or a deleted message."})
def unreact(message_id, emoji):
    """Take back one's reaction (idempotent); the chat's sockets get `message-reactions`."""
    return reactions_wire(*services().messages.react(get_jwt_identity(), message_id, emoji, False))


@bp.post("/chats/<chat_id>/read")
@bearer_required()
@counted("other")
@endpoint(ok("receipt", "The caller's read position; Moved says whether it moved."), auth="access",
          scope=MESSAGES_WRITE,
          body=ReadBodySchema, body_required=False, errors={404: None})
def mark_read(chat_id, body):
    """Mark a personal or group chat read up to UpTo (default: newest); the read ack is pushed when it moved."""
    user_id = get_jwt_identity()
    chat, receipt = services().messages.mark_read(user_id, ChatRef.any(chat_id), body.get("UpTo"))
    return receipt_wire(chat, user_id, receipt)


@bp.get("/chats/<chat_id>/changes")
@bearer_required()
@counted("fetch")
@endpoint(ok("changes", "What changed since since_rev, in Rev order."), auth="access",
          scope=MESSAGES_READ, query=ChangesQuerySchema,
          errors={404: "`not_found`: no such chat or group, or not a member.",
                  422: "`validation_error`: since_rev above the chat's Rev, or a bad limit."})
def changes(chat_id, query):
    """Catch-up: every message of a chat or group changed since since_rev (its current state, deletions too),
    in Rev order, at most limit; pass the answer's Rev next time (sync-chat on the sockets)."""
    return changes_wire(*services().messages.changes(caller(), ChatRef.any(chat_id), query["since_rev"],
                                                     query.get("limit")), urls=services().file_urls)


MUTE_ERRORS = {404: "`not_found`: no such chat or group, or not a member."}


@bp.put("/chats/<chat_id>/mute")
@bearer_required()
@counted("other")
@endpoint(ok("mute", "The caller's mute of the chat."), auth="access",
          scope=MESSAGES_WRITE, body=MuteBodySchema, body_required=False,
          errors=MUTE_ERRORS)
def mute(chat_id, body):
    """Mute a chat or group for the caller, until Until (none: with no end); it still counts Unread but sends no
    notifications. An Until already past is accepted and reads as not muted."""
    return _muted(chat_id, *services().chats.mute(get_jwt_identity(), chat_id, body.get("Until")))


@bp.delete("/chats/<chat_id>/mute")
@bearer_required()
@counted("other")
@endpoint(ok("mute", "Not muted."), auth="access", scope=MESSAGES_WRITE, errors=MUTE_ERRORS)
def unmute(chat_id):
    """Unmute a chat or group for the caller (unmuting twice changes nothing)."""
    return _muted(chat_id, *services().chats.mute(get_jwt_identity(), chat_id, False))


def _muted(chat_id, kind, until):
    return {kind_of(kind).id_key: chat_id, **until_wire(until)}
