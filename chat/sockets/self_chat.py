"""Namespace `/self`: notes to self (the self chat's id is the user's id). The service announces what changed
(chat/events.py); chat/sockets/publisher.py pushes it."""
from ..kernel.kinds import ChatRef
from ..messages.payloads import ReactSchema, SendSchema
from ..messages.schemas import changes_wire, message_out, reactions_out
from ..services import services
from .addresses import SELF_NS
from .base import AuthedNamespace, event
from .schemas import PageSchema, SyncSchema
from .threads import SelfThreads


class SelfNamespace(SelfThreads, AuthedNamespace):
    """fetch-self-chat, send-self-message and react-message."""

    def __init__(self):
        super().__init__(SELF_NS)

    @event(PageSchema, limit="fetch", echo="self-chat")
    def on_fetch_self_chat(self, connection, data):
        """A history page of the self chat: emits `self-chat` {"Messages", "Name", "HasMore"}; the ack carries it."""
        _chat, page, has_more = services().messages.page(connection.user, ChatRef.self_chat(), data.get("Before"),
                                                         data.get("After"), data.get("Limit"))
        urls = services().file_urls
        reply = {"Messages": [message_out(m, urls) for m in page], "Name": connection.username, "HasMore": has_more}
        return reply

    @event(SyncSchema, limit="fetch")
    def on_sync_chat(self, connection, data):
        """Catch-up: ack {"Messages" changed since SinceRev in Rev order, "Rev", "HasMore"} (chat/messages/sync.py)."""
        return changes_wire(*services().messages.changes(connection.user, ChatRef.self_chat(), data["SinceRev"],
                                                         data.get("Limit")), urls=services().file_urls)

    @event(SendSchema, limit="message")
    def on_send_self_message(self, connection, data):
        """Store a note; ack {"Message"}; the user's other sockets get `receive-self-message` (once per ClientId)."""
        _chat, message, _created = services().messages.send(connection.user, ChatRef.self_chat(), data["Content"],
                                                            data.get("ClientId"), data.get("ReplyTo"),
                                                            data.get("Attachments"), thread_of=data.get("ThreadOf"),
                                                            origin=connection.origin)
        return {"Message": message_out(message, services().file_urls)}

    @event(ReactSchema, limit="message")
    def on_react_message(self, connection, data):
        """Add (On true) or take back an emoji on a note; ack {"Reactions"}; the user's sockets get
        `message-reactions` {"ChatId", "MessageId", "Reactions"}."""
        _chat, message = services().messages.react(connection.user_id, data["MessageId"], data["Emoji"], data["On"],
                                                   ChatRef.self_chat(), connection.origin)
        return {"Reactions": reactions_out(message.get("reactions"))}
