"""Namespace `/`: the session's first words (user-id and both chat lists) and presence."""
from flask import current_app

from ..chats.wire import chat_list
from ..kernel.clock import iso, utcnow
from ..services import services
from .addresses import ROOT_NS
from .base import AuthedNamespace, answer, event
from .schemas import Empty, OnlineInfoSchema


class RootNamespace(AuthedNamespace):
    """`/`: emits user-id, personal-chat-list and group-chat-list on connect; tracks presence."""

    def __init__(self):
        super().__init__(ROOT_NS)

    @property
    def presence(self):
        return current_app.extensions["chat.presence"]

    def connected(self, connection, new_access_token):
        """Announce the user if this is their first socket, and answer user-id and the two lists, in that order
        (`AuthedNamespace.on_connect` emits them to this socket).

        Everything that can fail (the lists' queries) comes before presence is recorded; the partners to tell
        come from the lists just loaded (no query of their own). If the connect is refused after all,
        `AuthedNamespace.forget` undoes the presence (`disconnected`).
        """
        chats, user_id = services().chats, connection.user_id  # (the token check wrote the session's LastUsedAt)
        personal, groups = chats.lists(user_id)
        partners = {member for chat, _, _ in personal + groups for member in chat.members} \
            - {user_id} - connection.hidden_at_connect
        urls = services().file_urls
        personal_entries = chat_list(personal, user_id, self.presence, urls=urls)
        group_entries = chat_list(groups, user_id, self.presence, urls=urls,
                                  mentions=chats.unread_mentions(user_id, groups))
        hello = {"userId": connection.user_id, "userName": connection.username}
        if new_access_token:
            hello["AccessToken"] = new_access_token
        if self.presence.connected(connection.user_id, connection.sid):
            self.announce(connection.user_id, {"Online": True}, partners)
        return [answer("user-id", hello), answer("personal-chat-list", {"PersonalChatList": personal_entries}),
                answer("group-chat-list", {"GroupChatList": group_entries})]

    def disconnected(self, connection):
        """Announce the user offline when their last socket closes."""
        if self.presence.disconnected(connection.user_id, connection.sid):
            self.announce(connection.user_id, {"Online": False})

    def announce(self, user_id, state, partners=None):
        """`presence` to everyone who shares a chat with the user (one emit, by the events publisher), but whoever
        the user blocks or is blocked by; partners are looked up (with the current blocks) unless given."""
        if partners is None:
            partners = services().chats.partners_of(user_id) - services().blocks.hidden(user_id)
        services().events.presence_changed(user_id, state, partners)

    def visible(self, viewer_id):
        """The ids whose presence viewer_id may see: their own, and everyone who shares a chat with them.

        The one place that decides it: whoever the viewer blocks or is blocked by is taken out (current state).
        """
        return (services().chats.partners_of(viewer_id) - services().blocks.hidden(viewer_id)) | {viewer_id}

    @event(OnlineInfoSchema)
    def on_get_online_info(self, connection, data):
        """Ack {"Online": {id: bool}} for the asked users; anyone who shares no chat with the caller reads as offline
        (exactly as someone offline, so the answer reveals nothing about them)."""
        asked = list(dict.fromkeys(data["UserIds"]))
        visible = self.visible(connection.user_id)
        online = self.presence.online([user_id for user_id in asked if user_id in visible])
        return {"Online": {user_id: online.get(user_id, False) for user_id in asked}}

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
