"""Namespace `/self`: notes to self (the self chat's id is the user's id)."""
from .. import push
from ..kinds import ChatRef
from ..messages.schemas import message_out, reactions_out
from ..push import SELF_NS
from ..services import services
from .base import AuthedNamespace, event
from .schemas import PageSchema, ReactSelfSchema, SendSelfSchema


class SelfNamespace(AuthedNamespace):
    """fetch-self-chat, send-self-message and react-message."""

    def __init__(self):
        super().__init__(SELF_NS)

    @event(PageSchema, limit="fetch")
    def on_fetch_self_chat(self, connection, data):
        """A history page of the self chat: emits `self-chat` {"Messages", "Name", "HasMore"}; the ack carries it."""
        _chat, page, has_more = services().messages.page(connection.user, ChatRef.self_chat(), data.get("Before"),
                                                         data.get("After"), data.get("Limit"))
        reply = {"Messages": [message_out(m) for m in page], "Name": connection.username, "HasMore": has_more}
        self.emit("self-chat", reply, room=connection.sid)
        return reply

    @event(SendSelfSchema, limit="message")
    def on_send_self_message(self, connection, data):
        """Store a note; ack {"Message"}; the user's other sockets get `receive-self-message` (once per ClientId)."""
        chat, message, created = services().messages.send(connection.user, ChatRef.self_chat(), data["Content"],
                                                          data.get("ClientId"), data.get("ReplyTo"),
                                                          data.get("Attachments"))
        if created:
            push.new_message(chat, message, skip_sid=connection.sid)
        return {"Message": message_out(message)}

    @event(ReactSelfSchema, limit="message")
    def on_react_message(self, connection, data):
        """Add (On true) or take back an emoji on a note; ack {"Reactions"}; the user's sockets get
        `message-reactions` {"ChatId", "MessageId", "Reactions"}."""
        chat, message = services().messages.react(connection.user_id, data["MessageId"], data["Emoji"], data["On"],
                                                  ChatRef.self_chat())
        push.reactions(chat, message)
        return {"Reactions": reactions_out(message.get("reactions"))}
