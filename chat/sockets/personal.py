"""Namespace `/personal`: one-to-one chats."""
from .. import push
from ..chats.wire import partner_of
from ..kinds import PERSONAL, ChatRef
from ..messages.schemas import message_out, reactions_out
from ..push import PERSONAL_NS
from ..services import services
from .base import AuthedNamespace, event
from .schemas import (
    ChatIdSchema,
    DeletePersonalSchema,
    EditPersonalSchema,
    FetchPersonalSchema,
    ReactPersonalSchema,
    ReadPersonalSchema,
    SendPersonalSchema,
)


class PersonalNamespace(AuthedNamespace):
    """fetch, send, read, typing, edit, delete and react in personal chats."""

    def __init__(self):
        super().__init__(PERSONAL_NS)

    @event(FetchPersonalSchema, limit="fetch")
    def on_fetch_personal_chat(self, connection, data):
        """A history page with Partner (the chat is created on first fetch): emits `personal-chat`; the ack carries it.

        A ChatId must name the user's chat with Partner; a stranger's ChatId is not_found and leaves no chat behind.
        """
        ref = ChatRef.personal(data.get("ChatId"), data["Partner"])
        chat, page, has_more = services().messages.page(connection.user, ref, data.get("Before"), data.get("After"),
                                                        data.get("Limit"))
        reply = {"ChatId": chat["_id"], "Messages": [message_out(m) for m in page], "UserId": connection.user_id,
                 "User": connection.user, "Partner": partner_of(chat, connection.user_id), "HasMore": has_more}
        self.emit("personal-chat", reply, room=connection.sid)
        return reply

    @event(SendPersonalSchema, limit="message")
    def on_send_personal_message(self, connection, data):
        """Store, then ack {"Message"}; the partner and the sender's other sockets get `receive-personal-message`."""
        chat, message, created = services().messages.send(connection.user, ChatRef.personal(data["ChatId"]),
                                                          data["Content"], data.get("ClientId"), data.get("ReplyTo"),
                                                          data.get("Attachments"))
        if created:
            push.new_message(chat, message, skip_sid=connection.sid)
        return {"Message": message_out(message)}

    @event(ReadPersonalSchema)
    def on_read_personal_message(self, connection, data):
        """Mark read up to UpTo (default: newest); the partner gets `read-personal-msg-ack` when it moved forward."""
        chat, receipt = services().messages.mark_read(connection.user_id, ChatRef.personal(data["ChatId"]),
                                                      data.get("UpTo"))
        if receipt is not None:
            push.read_receipt(chat, connection.user_id, receipt, skip_sid=connection.sid)
        return push.receipt_wire(chat, connection.user_id, receipt)

    @event(ChatIdSchema, limit="typing")
    def on_typing(self, connection, data):
        """The partner gets `typing` {"ChatId", "UserId", "UserName"}."""
        self._typing("typing", connection, data)

    @event(ChatIdSchema, limit="typing")
    def on_done_typing(self, connection, data):
        """The partner gets `done-typing` {"ChatId", "UserId", "UserName"}."""
        self._typing("done-typing", connection, data)

    @staticmethod
    def _typing(name, connection, data):
        chat = services().chats.member_chat(connection.user_id, data["ChatId"], PERSONAL)
        push.typing(name, chat, connection.user)

    @event(EditPersonalSchema, limit="message")
    def on_edit_personal_message(self, connection, data):
        """Author only: both sides get `personal-message-edited` {"ChatId", "Message"}; ack {"Message"}."""
        chat, message = services().messages.edit(connection.user_id, data["MessageId"], data["Content"],
                                                 ChatRef.personal(data["ChatId"]))
        push.message_changed(chat, message, deleted=False)
        return {"Message": message_out(message)}

    @event(DeletePersonalSchema, limit="message")
    def on_delete_personal_message(self, connection, data):
        """Author only, soft delete (keeps Seq): both sides get `personal-message-deleted`; ack {"Message"}."""
        chat, message = services().messages.delete(connection.user_id, data["MessageId"],
                                                   ChatRef.personal(data["ChatId"]))
        push.message_changed(chat, message, deleted=True)
        return {"Message": message_out(message)}

    @event(ReactPersonalSchema, limit="message")
    def on_react_message(self, connection, data):
        """Add (On true) or take back an emoji on a message of the chat; ack {"Reactions"}; both sides get
        `message-reactions` {"ChatId", "MessageId", "Reactions"}."""
        chat, message = services().messages.react(connection.user_id, data["MessageId"], data["Emoji"], data["On"],
                                                  ChatRef.personal(data["ChatId"]))
        push.reactions(chat, message)
        return {"Reactions": reactions_out(message.get("reactions"))}
