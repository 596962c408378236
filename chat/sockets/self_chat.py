"""Namespace `/self`: notes to self (the self chat's id is the user's id)."""
from ..messages.schemas import message_out
from ..services import services
from .base import AuthedNamespace, event
from .schemas import PageSchema, SendSelfSchema


class SelfNamespace(AuthedNamespace):
    """fetch-self-chat and send-self-message."""

    def __init__(self):
        super().__init__("/self")

    @event(PageSchema)
    def on_fetch_self_chat(self, connection, data):
        """A history page of the self chat: emits `self-chat` {"Messages", "Name", "HasMore"}; the ack carries the same."""
        chat = services().chats.self_chat(connection.user_id)
        page, has_more = services().messages.history(chat, connection.user_id, data.get("Before"), data.get("After"),
                                                     data.get("Limit"))
        reply = {"Messages": [message_out(m) for m in page], "Name": connection.username, "HasMore": has_more}
        self.emit("self-chat", reply, room=connection.sid)
        return reply

    @event(SendSelfSchema)
    def on_send_self_message(self, connection, data):
        """Store a note; ack {"Message"}; the user's other sockets get `receive-self-message` (once per ClientId)."""
        chat = services().chats.self_chat(connection.user_id)
        message, created = services().messages.send(chat, connection.user, data["Content"], data.get("ClientId"))
        out = message_out(message)
        if created:
            self.emit_to_users("receive-self-message", {"Message": out}, [connection.user_id], skip_sid=connection.sid)
        return {"Message": out}
