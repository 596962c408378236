"""Server→client pushes about messages, in one place, for socket handlers and REST routes alike.

Whatever changes a chat (a socket event or a REST call) tells the connected sockets through these
functions, so a REST send is seen exactly like a socket send. Each is one emit (to a list of user
rooms or to a group room), on every process when REDIS_URL is set. `skip_sid` leaves out the socket
that asked, which has its ack.
"""
from flask import current_app

from . import metrics, rooms
from .clock import iso
from .groups.wire import group_member
from .messages.schemas import message_out, reactions_wire
from .notify import worker as notify_worker

# The one list of namespace names: `/` (session and presence) and one per kind of chat.
ROOT_NS, SELF_NS, PERSONAL_NS, GROUP_NS = "/", "/self", "/personal", "/group"
NAMESPACES = (ROOT_NS, SELF_NS, PERSONAL_NS, GROUP_NS)


def _emit(event, data, namespace, to, skip_sid=None):
    if to:
        try:
            current_app.extensions["socketio"].emit(event, data, to=to, namespace=namespace, skip_sid=skip_sid)
        except Exception:
            metrics.push(event, "failed")  # chat_pushes_total
            raise
        metrics.push(event, "sent")


def _users(user_ids):
    return [rooms.user(u) for u in dict.fromkeys(user_ids)]


def _reached_by(chat, user_id):
    """The members of a personal chat that user_id's typing and read receipts reach: not a partner who blocked
    them (the chat, read for the event, carries the block: `blocked`), only themself then."""
    if user_id in (chat.get("blocked") or ()):
        return [user_id]
    return chat["members"]


def presence(viewer_ids, user_id, online, last_seen):
    """`presence` {"UserId", "Online", "LastSeen"} about user_id to the viewers' sockets on `/` (a block hides
    each from the other at once: offline; an unblock shows them again)."""
    _emit("presence", {"UserId": user_id, "Online": online, "LastSeen": iso(last_seen)}, ROOT_NS,
          _users(viewer_ids))


def new_message(chat, message, skip_sid=None):
    """Deliver a newly stored message: self → the user's other sockets; personal → both members; group → its room.
    Members who are away hear of it later, off the request path (chat/notify/worker.py: queued, never blocking)."""
    notify_worker.enqueue(current_app, chat, message)
    kind = chat["kind"]
    if kind == "self":
        _emit("receive-self-message", {"Message": message_out(message)}, SELF_NS, _users(chat["members"]), skip_sid)
    elif kind == "personal":
        out = message_out(message)
        _emit("receive-personal-message", {"ChatId": chat["_id"], "Content": out["Content"], "Sender": out["Sender"],
                                           "Message": out}, PERSONAL_NS, _users(chat["members"]), skip_sid)
    else:
        out = message_out(message, group=True)
        _emit("receive-group-message", {"GroupId": chat["_id"], "Content": out["Content"], "Sender": out["Sender"],
                                        "Message": out}, GROUP_NS, rooms.group(chat["_id"]), skip_sid)


def read_receipt(chat, reader_id, receipt, skip_sid=None):
    """Tell the chat's members (and the reader's other sockets) how far reader_id has read."""
    if chat["kind"] == "personal":
        _emit("read-personal-msg-ack", {"ChatId": chat["_id"], "ReaderId": reader_id, "UpTo": receipt["UpTo"],
                                        "ReadAt": iso(receipt["ReadAt"])}, PERSONAL_NS,
              _users(_reached_by(chat, reader_id)), skip_sid)
    elif chat["kind"] == "group":
        _emit("read-group-msg-ack", {"GroupId": chat["_id"], "ReaderId": reader_id, "UpTo": receipt["UpTo"],
                                     "ReadAt": iso(receipt["ReadAt"])}, GROUP_NS, rooms.group(chat["_id"]), skip_sid)


def receipt_wire(chat, reader_id, receipt):
    """The read receipt as the ack/response shows it."""
    key = "GroupId" if chat["kind"] == "group" else "ChatId"
    if receipt is None:
        return {key: chat["_id"], "Moved": False}
    return {key: chat["_id"], "ReaderId": reader_id, "UpTo": receipt["UpTo"], "ReadAt": iso(receipt["ReadAt"]),
            "Moved": True}


def reactions(chat, message):
    """`message-reactions` {"ChatId"|"GroupId", "MessageId", "Reactions"} to every member's sockets (the
    reacting one too): self → `/self`, personal → `/personal`, group → the group's room."""
    data, kind = reactions_wire(chat, message), chat["kind"]
    if kind == "group":
        _emit("message-reactions", data, GROUP_NS, rooms.group(chat["_id"]))
    else:
        _emit("message-reactions", data, SELF_NS if kind == "self" else PERSONAL_NS, _users(chat["members"]))


def typing(event, chat, user, skip_sid=None):
    """`typing` / `done-typing`: personal → the partner's sockets; group → the room but the typing socket."""
    if chat["kind"] == "personal":
        partner = [m for m in _reached_by(chat, user["id"]) if m != user["id"]]
        _emit(event, {"ChatId": chat["_id"], "UserId": user["id"], "UserName": user["username"]}, PERSONAL_NS,
              _users(partner))
    elif chat["kind"] == "group":
        _emit(event, {"GroupId": chat["_id"], "UserId": user["id"], "UserName": user["username"]}, GROUP_NS,
              rooms.group(chat["_id"]), skip_sid)


def message_changed(chat, message, deleted):
    """An edit or a soft delete: personal → `personal-message-edited|deleted` to both sides;
    group → `group-message-edited|deleted` to the room; self → `self-message-edited|deleted` to the user."""
    verb = "deleted" if deleted else "edited"
    kind = chat["kind"]
    if kind == "personal":
        _emit(f"personal-message-{verb}", {"ChatId": chat["_id"], "Message": message_out(message)}, PERSONAL_NS,
              _users(chat["members"]))
    elif kind == "group":
        _emit(f"group-message-{verb}", {"GroupId": chat["_id"], "Message": message_out(message, group=True)},
              GROUP_NS, rooms.group(chat["_id"]))
    else:
        _emit(f"self-message-{verb}", {"Message": message_out(message)}, SELF_NS, _users(chat["members"]))



def member_left(before, after, member):
    """A member left a group (`leave-grp`, or their account was deleted): the room and the leaver's own sockets get
    `member-left`; then, when a departing admin handed over, the room gets `admin-changed`. The caller moves the
    leaver's sockets out of the room first (chat/sockets/group.py `left_group`)."""
    group_id = before["_id"]
    room = rooms.group(group_id)
    _emit("member-left", {"GroupId": group_id, "Member": member}, GROUP_NS, [room, rooms.user(member["id"])])
    if after and after.get("admin_id") and after["admin_id"] != before.get("admin_id"):
        _emit("admin-changed", {"GroupId": group_id, "Admin": group_member(after, after["admin_id"]), "By": member},
              GROUP_NS, room)
