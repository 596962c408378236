"""Namespace `/personal`: one-to-one chats."""
from ..chats.repository import PERSONAL
from ..messages.schemas import message_out
from ..services import services
from ..users.schemas import public_user
from . import push
from .base import AuthedNamespace, event
from .schemas import (
    ChatIdSchema,
    DeletePersonalSchema,
    EditPersonalSchema,
    FetchPersonalSchema,
    ReadPersonalSchema,
    SendPersonalSchema,
)


def _chat(connection, chat_id):
    return services().chats.member_chat(connection.user_id, chat_id, PERSONAL)


class PersonalNamespace(AuthedNamespace):
    """fetch, send, read, typing, edit and delete in personal chats."""

    def __init__(self):
        super().__init__("/personal")

    @event(FetchPersonalSchema, limit="fetch")
    def on_fetch_personal_chat(self, connection, data):
        """A history page with Partner (the chat is created on first fetch): emits `personal-chat`; the ack carries it.

        A ChatId must name the user's chat with Partner; a stranger's ChatId is not_found and leaves no chat behind.
        """
        chat, partner, page, has_more = services().chats.personal_page(
            connection.user, data["Partner"], data.get("ChatId"), data.get("Before"), data.get("After"),
            data.get("Limit"))
        reply = {"ChatId": chat["_id"], "Messages": [message_out(m) for m in page], "UserId": connection.user_id,
                 "User": connection.user, "Partner": public_user(partner), "HasMore": has_more}
        self.emit("personal-chat", reply, room=connection.sid)
        return reply

    @event(SendPersonalSchema, limit="message")
    def on_send_personal_message(self, connection, data):
        """Store, then ack {"Message"}; the partner and the sender's other sockets get `receive-personal-message`."""
        chat, message, created = services().messages.send(PERSONAL, data["ChatId"], connection.user, data["Content"],
                                                          data.get("ClientId"))
        if created:
            push.new_message(chat, message, skip_sid=connection.sid)
        return {"Message": message_out(message)}

    @event(ReadPersonalSchema)
    def on_read_personal_message(self, connection, data):
        """Mark read up to UpTo (default: newest); the partner gets `read-personal-msg-ack` when it moved forward."""
        chat = _chat(connection, data["ChatId"])
        receipt = services().messages.mark_read(chat, connection.user_id, data.get("UpTo"))
        if receipt is not None:
            push.read_receipt(chat, connection.user_id, receipt, skip_sid=connection.sid)
        return push.receipt_wire(chat, connection.user_id, receipt)

    @event(ChatIdSchema, limit="typing")
    def on_typing(self, connection, data):
        """The partner gets `typing` {"ChatId", "UserId", "UserName"}."""
        push.typing("typing", _chat(connection, data["ChatId"]), connection.user)

    @event(ChatIdSchema, limit="typing")
    def on_done_typing(self, connection, data):
        """The partner gets `done-typing` {"ChatId", "UserId", "UserName"}."""
        push.typing("done-typing", _chat(connection, data["ChatId"]), connection.user)

    @event(EditPersonalSchema, limit="message")
    def on_edit_personal_message(self, connection, data):
        """Author only: both sides get `personal-message-edited` {"ChatId", "Message"}; ack {"Message"}."""
        chat = _chat(connection, data["ChatId"])
        message = services().messages.edit(chat, connection.user_id, data["MessageId"], data["Content"])
        push.message_changed(chat, message, deleted=False)
        return {"Message": message_out(message)}

    @event(DeletePersonalSchema, limit="message")
    def on_delete_personal_message(self, connection, data):
        """Author only, soft delete (keeps Seq): both sides get `personal-message-deleted`; ack {"Message"}."""
        chat = _chat(connection, data["ChatId"])
        message = services().messages.delete(chat, connection.user_id, data["MessageId"])
        push.message_changed(chat, message, deleted=True)
        return {"Message": message_out(message)}
