"""Namespace `/personal`: one-to-one chats. Each handler loads, makes one service call and acks; the service
announces the change (chat/events.py) and chat/sockets/publisher.py pushes it."""
from ..chats.wire import partner_of
from ..kernel.kinds import ChatRef
from ..messages.payloads import ChatIdSchema, ReactPersonalSchema, ReadPersonalSchema, SendPersonalSchema
from ..messages.schemas import changes_wire, message_out, reactions_out, receipt_wire
from ..moderation.schemas import PinPersonalSchema
from ..services import services
from .addresses import PERSONAL_NS
from .base import AuthedNamespace, event
from .schemas import DeletePersonalSchema, EditPersonalSchema, FetchPersonalSchema, SyncPersonalSchema
from .threads import PersonalThreads


class PersonalNamespace(PersonalThreads, AuthedNamespace):
    """fetch, send, read, typing, edit, delete and react in personal chats."""

    def __init__(self):
        super().__init__(PERSONAL_NS)

    @event(FetchPersonalSchema, limit="fetch", echo="personal-chat")
    def on_fetch_personal_chat(self, connection, data):
        """A history page with Partner (the chat is created on first fetch): emits `personal-chat`; the ack carries it.

        A ChatId must name the user's chat with Partner; a stranger's ChatId is not_found and leaves no chat behind.
        """
        ref = ChatRef.personal(data.get("ChatId"), data["Partner"])
        chat, page, has_more = services().messages.page(connection.user, ref, data.get("Before"), data.get("After"),
                                                        data.get("Limit"))
        urls = services().file_urls
        reply = {"ChatId": chat.id, "Messages": [message_out(m, urls) for m in page], "UserId": connection.user_id,
                 "User": connection.user, "Partner": partner_of(chat, connection.user_id), "HasMore": has_more}
        return reply

    @event(SyncPersonalSchema, limit="fetch")
    def on_sync_chat(self, connection, data):
        """Catch-up: ack {"Messages" changed since SinceRev in Rev order, "Rev", "HasMore"}; not_found for a chat
        that is not the user's."""
        return changes_wire(*services().messages.changes(connection.user, ChatRef.personal(data["ChatId"]),
                                                         data["SinceRev"], data.get("Limit")),
                            urls=services().file_urls)

    @event(SendPersonalSchema, limit="message")
    def on_send_personal_message(self, connection, data):
        """Store, then ack {"Message"}; the partner and the sender's other sockets get `receive-personal-message`."""
        _chat, message, _created = services().messages.send(
            connection.user, ChatRef.personal(data["ChatId"]), data["Content"], data.get("ClientId"),
            data.get("ReplyTo"), data.get("Attachments"),
            thread_of=data.get("ThreadOf"), origin=connection.origin)
        return {"Message": message_out(message, services().file_urls)}

    @event(ReadPersonalSchema)
    def on_read_personal_message(self, connection, data):
        """Mark read up to UpTo (default: newest); the partner gets `read-personal-msg-ack` when it moved forward."""
        chat, receipt = services().messages.mark_read(connection.user_id, ChatRef.personal(data["ChatId"]),
                                                      data.get("UpTo"), origin=connection.origin)
        return receipt_wire(chat, connection.user_id, receipt)

    @event(ChatIdSchema, limit="typing")
    def on_typing(self, connection, data):
        """The partner gets `typing` {"ChatId", "UserId", "UserName"}."""
        services().messages.typing(connection.user, ChatRef.personal(data["ChatId"]), True, connection.origin)

    @event(ChatIdSchema, limit="typing")
    def on_done_typing(self, connection, data):
        """The partner gets `done-typing` {"ChatId", "UserId", "UserName"}."""
        services().messages.typing(connection.user, ChatRef.personal(data["ChatId"]), False, connection.origin)

    @event(EditPersonalSchema, limit="message")
    def on_edit_personal_message(self, connection, data):
        """Author only: both sides get `personal-message-edited` {"ChatId", "Message"}; ack {"Message"}."""
        _chat, message = services().messages.edit(connection.user_id, data["MessageId"], data["Content"],
                                                  ChatRef.personal(data["ChatId"]), connection.origin)
        return {"Message": message_out(message, services().file_urls)}

    @event(DeletePersonalSchema, limit="message")
    def on_delete_personal_message(self, connection, data):
        """Author only, soft delete (keeps Seq): both sides get `personal-message-deleted`; ack {"Message"}."""
        _chat, message = services().messages.delete(connection.user_id, data["MessageId"],
                                                    ChatRef.personal(data["ChatId"]), connection.origin)
        return {"Message": message_out(message, services().file_urls)}

    @event(ReactPersonalSchema, limit="message")
    def on_react_message(self, connection, data):
        """Add (On true) or take back an emoji on a message of the chat; ack {"Reactions"}; both sides get
        `message-reactions` {"ChatId", "MessageId", "Reactions"}."""
        _chat, message = services().messages.react(connection.user_id, data["MessageId"], data["Emoji"], data["On"],
                                                   ChatRef.personal(data["ChatId"]), connection.origin)
        return {"Reactions": reactions_out(message.get("reactions"))}

    @event(PinPersonalSchema, limit="message")
    def on_pin_message(self, connection, data):
        """Pin (On true) or unpin a message of the chat: both sides get `message-pinned`
        {"ChatId", "MessageId", "Pinned", "By"}; ack {"Message"}."""
        _chat, message = services().moderation.pin(connection.user, ChatRef.personal(data["ChatId"]),
                                                   data["MessageId"], data["On"], connection.origin)
        return {"Message": message_out(message, services().file_urls)}
