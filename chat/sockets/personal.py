"""Namespace `/personal`: one-to-one chats."""
from .. import errors
from ..clock import iso
from ..messages.schemas import message_out
from ..services import services
from ..users.schemas import public_user
from .base import AuthedNamespace, event
from .schemas import (ChatIdSchema, DeletePersonalSchema, EditPersonalSchema, FetchPersonalSchema,
                      ReadPersonalSchema, SendPersonalSchema)
from ..chats.repository import PERSONAL


def _chat(connection, chat_id):
    return services().chats.member_chat(connection.user_id, chat_id, PERSONAL)


def _partner(chat, connection):
    return services().chats.partner_of(chat, connection.user_id)


class PersonalNamespace(AuthedNamespace):
    """fetch, send, read, typing, edit and delete in personal chats."""

    def __init__(self):
        super().__init__("/personal")

    @event(FetchPersonalSchema)
    def on_fetch_personal_chat(self, connection, data):
        """A history page with Partner (the chat is created on first fetch): emits `personal-chat`; the ack carries it.

        A ChatId must name the user's chat with Partner; it is checked before anything is created,
        so a stranger's ChatId is not_found and leaves no chat behind.
        """
        if "ChatId" in data and _partner(_chat(connection, data["ChatId"]), connection) != data["Partner"]:
            raise errors.not_found("No such chat.")
        chat, partner = services().chats.personal_chat(connection.user_id, data["Partner"], data.get("ChatId"))
        page, has_more = services().messages.history(chat, connection.user_id, data.get("Before"), data.get("After"),
                                                     data.get("Limit"))
        reply = {"ChatId": chat["_id"], "Messages": [message_out(m) for m in page], "UserId": connection.user_id,
                 "User": connection.user, "Partner": public_user(partner), "HasMore": has_more}
        self.emit("personal-chat", reply, room=connection.sid)
        return reply

    @event(SendPersonalSchema)
    def on_send_personal_message(self, connection, data):
        """Store, then ack {"Message"}; the partner and the sender's other sockets get `receive-personal-message`."""
        chat = _chat(connection, data["ChatId"])
        message, created = services().messages.send(chat, connection.user, data["Content"], data.get("ClientId"))
        out = message_out(message)
        if created:
            push = {"ChatId": chat["_id"], "Content": out["Content"], "Sender": out["Sender"], "Message": out}
            self.emit_to_users("receive-personal-message", push, chat["members"], skip_sid=connection.sid)
        return {"Message": out}

    @event(ReadPersonalSchema)
    def on_read_personal_message(self, connection, data):
        """Mark read up to UpTo (default: newest); the partner gets `read-personal-msg-ack` when it moved forward."""
        chat = _chat(connection, data["ChatId"])
        receipt = services().messages.mark_read(chat, connection.user_id, data.get("UpTo"))
        if receipt is None:
            return {"ChatId": chat["_id"], "Moved": False}
        push = {"ChatId": chat["_id"], "ReaderId": connection.user_id, "UpTo": receipt["UpTo"],
                "ReadAt": iso(receipt["ReadAt"])}
        self.emit_to_users("read-personal-msg-ack", push, chat["members"], skip_sid=connection.sid)
        return {**push, "Moved": True}

    @event(ChatIdSchema)
    def on_typing(self, connection, data):
        """The partner gets `typing` {"ChatId", "UserId", "UserName"}."""
        self._relay_typing("typing", connection, data)

    @event(ChatIdSchema)
    def on_done_typing(self, connection, data):
        """The partner gets `done-typing` {"ChatId", "UserId", "UserName"}."""
        self._relay_typing("done-typing", connection, data)

    def _relay_typing(self, name, connection, data):
        chat = _chat(connection, data["ChatId"])
        push = {"ChatId": chat["_id"], "UserId": connection.user_id, "UserName": connection.username}
        self.emit_to_users(name, push, [_partner(chat, connection)])

    @event(EditPersonalSchema)
    def on_edit_personal_message(self, connection, data):
        """Author only: both sides get `personal-message-edited` {"ChatId", "Message"}; ack {"Message"}."""
        chat = _chat(connection, data["ChatId"])
        message = services().messages.edit(chat, connection.user_id, data["MessageId"], data["Content"])
        return self._announce_change("personal-message-edited", chat, message)

    @event(DeletePersonalSchema)
    def on_delete_personal_message(self, connection, data):
        """Author only, soft delete (keeps Seq): both sides get `personal-message-deleted`; ack {"Message"}."""
        chat = _chat(connection, data["ChatId"])
        message = services().messages.delete(chat, connection.user_id, data["MessageId"])
        return self._announce_change("personal-message-deleted", chat, message)

    def _announce_change(self, name, chat, message):
        out = message_out(message)
        self.emit_to_users(name, {"ChatId": chat["_id"], "Message": out}, chat["members"])
        return {"Message": out}
