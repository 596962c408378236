"""Namespace `/`: the session's first words (user-id and both chat lists) and presence."""
from flask import current_app

from ..chats.wire import chat_list
from ..clock import iso, utcnow
from ..push import ROOT_NS
from ..services import services
from .base import AuthedNamespace, event
from .schemas import Empty, OnlineInfoSchema


class RootNamespace(AuthedNamespace):
    """`/`: emits user-id, personal-chat-list and group-chat-list on connect; tracks presence."""

    def __init__(self):
        super().__init__(ROOT_NS)

    @property
    def presence(self):
        return current_app.extensions["chat.presence"]

    def connected(self, connection, new_access_token):
        """Send user-id and the two lists, in that order, then announce the user if this is their first socket."""
        hello = {"userId": connection.user_id, "userName": connection.username}
        if new_access_token:
            hello["AccessToken"] = new_access_token
        self.emit("user-id", hello, room=connection.sid)
        chats, user_id = services().chats, connection.user_id
        self.emit("personal-chat-list", {"PersonalChatList": chat_list(chats.personal_list(user_id), user_id,
                                                                       self.presence)}, room=connection.sid)
        self.emit("group-chat-list", {"GroupChatList": chat_list(chats.group_list(user_id), user_id, self.presence)},
                  room=connection.sid)
        if self.presence.connected(connection.user_id, connection.sid):
            self.announce(connection.user_id, {"Online": True})

    def disconnected(self, connection):
        """Announce the user offline when their last socket closes."""
        if self.presence.disconnected(connection.user_id, connection.sid):
            self.announce(connection.user_id, {"Online": False})

    def announce(self, user_id, state):
        """`presence` to everyone who shares a chat with the user (one emit)."""
        partners = services().chats.partners_of(user_id)
        self.emit_to_users("presence", {"UserId": user_id, **state, "LastSeen": iso(utcnow())}, partners)

    @event(OnlineInfoSchema)
    def on_get_online_info(self, connection, data):
        """Ack {"Online": {id: bool}} for the asked users."""
        return {"Online": self.presence.online(list(dict.fromkeys(data["UserIds"])))}

    @event(Empty)
    def on_active_app(self, connection, data):
        """The app came to the foreground: partners get presence with Away false."""
        self.announce(connection.user_id, {"Online": True, "Away": False})

    @event(Empty)
    def on_background_app(self, connection, data):
        """The app went to the background: partners get presence with Away true."""
        self.announce(connection.user_id, {"Online": True, "Away": True})

    @event(Empty)
    def on_ping(self, connection, data):
        """Ack {"sid", "ServerTime"}: a cheap round trip for clients."""
        return {"sid": connection.sid, "ServerTime": iso(utcnow())}
