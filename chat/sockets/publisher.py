"""`SocketPublisher`: the events port (chat/events.py) over Socket.IO, the only code that pushes.

Each announcement becomes one emit (to a list of user rooms, or to a group's room) in the namespace of the
chat's kind (chat/kernel/kinds.py `KINDS`), on every process when REDIS_URL is set; an origin's socket id is left out
where the contract says "everyone but the sender's own socket", which has its ack. A new message is also handed
to the notification worker, for members who are away (chat/notify/worker.py: queued, never blocking).
"""
from dataclasses import replace

from ..events import NOBODY, Publisher
from ..kernel.clock import iso, utcnow
from ..kernel.kinds import kind_of
from ..messages.schemas import message_out, reactions_wire, thread_fields
from ..notify import worker as notify_worker
from ..process import metrics
from . import addresses as rooms
from .addresses import NAMESPACES, ROOT_NS
from .group_pushes import GroupPushes
from .manager import room_command


class Emitter:
    """Emits and room commands through one app's Socket.IO server."""

    def __init__(self, app):
        self.app = app

    @property
    def socketio(self):
        return self.app.extensions["socketio"]

    def emit(self, event, data, namespace, to, skip_sid=None):
        """One emit of event to the rooms `to` (nothing when there are none); skip_sid leaves one socket out."""
        if not to:
            return
        try:
            self.socketio.emit(event, data, to=to, namespace=namespace, skip_sid=skip_sid)
        except Exception:
            metrics.push(event, "failed")  # chat_pushes_total
            raise
        metrics.push(event, "sent")

    @staticmethod
    def users(user_ids):
        """The user rooms of these users, each once, in order."""
        return [rooms.user(u) for u in dict.fromkeys(user_ids)]

    def command(self, namespaces, room, op, target_room=None):
        """Make every socket in room (in each namespace, on every process) disconnect, join or leave target_room."""
        room_command(self.socketio, namespaces, room, op, target_room)


def reached_by(chat, user_id):
    """The members of a personal chat that user_id's typing and read receipts reach: not a partner who blocked
    them (the chat, read for the event, carries the block: `blocked`), only themself then."""
    if user_id in chat.blocked:
        return [user_id]
    return chat.members


class SocketPublisher(GroupPushes, Publisher):
    """Pushes what services announce to the sockets of one app."""

    def __init__(self, app, file_urls):
        self.app = app
        self.out = Emitter(app)
        self.urls = file_urls  # signs the file URLs of the messages pushed (chat/files/wire.py)

    def _audience(self, chat, members=None):
        """A group's room, or the user rooms of members (default: every member of the chat)."""
        if kind_of(chat).room:
            return rooms.group(chat.id)
        return self.out.users(chat.members if members is None else members)

    def message_sent(self, chat, message, origin=NOBODY):
        """self → the user's other sockets; personal → both members; group → its room (`receive-<kind>-message`)."""
        notify_worker.enqueue(self.app, chat, message)
        kind = kind_of(chat)
        out = message_out(message, self.urls, group=kind.room)
        self.app.extensions["chat.services"].webhooks.enqueue(chat, message, out)  # outgoing webhooks: an insert
        data = {"Message": out}
        if kind.names_chat:
            data = {kind.id_key: chat.id, "Content": out["Content"], "Sender": out["Sender"], "Message": out}
        self.out.emit(kind.sent_event, data, kind.namespace, self._audience(chat), origin.sid)

    def message_edited(self, chat, message, origin=NOBODY):
        """`<kind>-message-edited` {"ChatId"|"GroupId", "Message"} to every member's sockets (self: {"Message"})."""
        self._changed(chat, message, "edited")

    def message_deleted(self, chat, message, origin=NOBODY):
        """`<kind>-message-deleted`, as an edit."""
        self._changed(chat, message, "deleted")

    def _changed(self, chat, message, verb):
        kind = kind_of(chat)
        data = {"Message": message_out(message, self.urls, group=kind.room)}
        if kind.names_chat:
            data = {kind.id_key: chat.id, **data}
        self.out.emit(kind.changed_event(verb), data, kind.namespace, self._audience(chat))

    def message_pinned(self, chat, message, pinned, by, origin=NOBODY):
        """`message-pinned` {"ChatId"|"GroupId", "MessageId", "Pinned", "By"} to every member's sockets."""
        kind = kind_of(chat)
        self.out.emit("message-pinned", {kind.id_key: chat.id, "MessageId": message["_id"], "Pinned": pinned,
                                         "By": by}, kind.namespace, self._audience(chat))

    def thread_replied(self, chat, root, reply, followers, origin=NOBODY):
        """`thread-message` {"ChatId"|"GroupId", "Message"} to every member's sockets but the sender's own (it has
        its ack), then `thread-updated` (the root's new summary) to all of them; the reply is handed to the
        notification worker for the thread's followers who are away (mute and block rules as for messages)."""
        members = set(chat.members)
        notify_worker.enqueue(self.app, replace(chat, members=[f for f in followers if f in members]), reply)
        kind = kind_of(chat)
        out = message_out(reply, self.urls, group=kind.room)
        self.out.emit("thread-message", {kind.id_key: chat.id, "Message": out},
                      kind.namespace, self._audience(chat), origin.sid)
        self.thread_updated(chat, root, origin)

    def thread_updated(self, chat, root, origin=NOBODY):
        """`thread-updated` {"ChatId"|"GroupId", "MessageId", "Thread", "Rev"} to every member's sockets."""
        kind = kind_of(chat)
        data = {kind.id_key: chat.id, "MessageId": root["_id"], "Thread": thread_fields(root)["Thread"],
                "Rev": root.get("rev", 0)}
        self.out.emit("thread-updated", data, kind.namespace, self._audience(chat))

    def reactions_changed(self, chat, message, origin=NOBODY):
        """`message-reactions` {"ChatId"|"GroupId", "MessageId", "Reactions"} to every member's sockets (the
        reacting one too)."""
        kind = kind_of(chat)
        self.out.emit("message-reactions", reactions_wire(chat, message), kind.namespace, self._audience(chat))

    def read_moved(self, chat, reader_id, receipt, origin=NOBODY):
        """`read-<kind>-msg-ack` to the chat's members (not a partner the reader blocked) and the reader's other
        sockets; the self chat has no receipts."""
        kind = kind_of(chat)
        if not kind.names_chat:
            return
        data = {kind.id_key: chat.id, "ReaderId": reader_id, "UpTo": receipt["UpTo"],
                "ReadAt": iso(receipt["ReadAt"])}
        self.out.emit(kind.read_event, data, kind.namespace, self._audience(chat, reached_by(chat, reader_id)),
                      origin.sid)

    def typing(self, chat, user, started, origin=NOBODY):
        """`typing` / `done-typing` {"ChatId"|"GroupId", "UserId", "UserName"}: personal → the partner's sockets
        (unless the partner blocked the typist); group → the room but the typing socket."""
        kind = kind_of(chat)
        if not kind.names_chat:
            return
        partner = [m for m in reached_by(chat, user["id"]) if m != user["id"]]
        self.out.emit("typing" if started else "done-typing",
                      {kind.id_key: chat.id, "UserId": user["id"], "UserName": user["username"]},
                      kind.namespace, self._audience(chat, partner), origin.sid)

    def session_revoked(self, session_id):
        """Tell the session's sockets why (`session-ended`), then disconnect them, in every namespace and process."""
        for namespace in NAMESPACES:
            self.out.emit("session-ended", {"reason": "session_revoked"}, namespace, rooms.session(session_id))
        self.out.command(NAMESPACES, rooms.session(session_id), "disconnect")

    def presence_changed(self, user_id, state, viewer_ids):
        """`presence` {"UserId", **state, "LastSeen"} to the viewers' sockets on `/` (one emit)."""
        self.out.emit("presence", {"UserId": user_id, **state, "LastSeen": iso(utcnow())}, ROOT_NS,
                      self.out.users(viewer_ids))

    def user_blocked(self, user_id, target_id):
        """Each reads as offline to the other, at once."""
        self.presence_changed(target_id, {"Online": False}, [user_id])
        self.presence_changed(user_id, {"Online": False}, [target_id])

    def user_unblocked(self, user_id, target_id):
        """Both are told the other's current presence."""
        online = self.app.extensions["chat.presence"].online([user_id, target_id])
        self.presence_changed(target_id, {"Online": online.get(target_id, False)}, [user_id])
        self.presence_changed(user_id, {"Online": online.get(user_id, False)}, [target_id])
