"""Namespace `/group`: group chats with admin controls.

Members' sockets join `group:<id>` on connect (after a membership check) and whenever they are
added; they leave it on every process the moment they are kicked or leave, before anything else
is said in the group. A message to a group is one emit to its room, whatever its size.
"""
from flask import current_app
from flask_socketio import join_room

from .. import push, rooms
from ..groups.schemas import (
    CreateGroupSchema,
    FetchGroupSchema,
    GroupIdSchema,
    MemberSchema,
    ReactGroupSchema,
    ReadGroupSchema,
    SendGroupSchema,
    UpdateGroupSchema,
)
from ..groups.wire import group_out
from ..kinds import ChatRef
from ..messages.schemas import message_out, reactions_out
from ..push import GROUP_NS
from ..services import services
from ..users.schemas import public_user
from .base import AuthedNamespace, event
from .manager import room_command


def left_group(before, after, member):
    """After `leave-grp` (or an account deletion): the leaver's sockets leave the room on every process, and the
    room hears of it (`member-left`, and `admin-changed` for a departing admin)."""
    socketio = current_app.extensions["socketio"]
    room_command(socketio, (GROUP_NS,), rooms.user(member["id"]), "leave", rooms.group(before["_id"]))
    push.member_left(before, after, member)


def joined_group(group, member):
    """After `join-group` (socket or REST): the room gets `member-added` with `By` the joiner, the joiner's sockets
    on every process enter the room, and they get `group-created` {"Group"}; returns the `Group`."""
    socketio = current_app.extensions["socketio"]
    socketio.emit("member-added", {"GroupId": group["_id"], "Member": member, "By": member},
                  to=rooms.group(group["_id"]), namespace=GROUP_NS)
    room_command(socketio, (GROUP_NS,), rooms.user(member["id"]), "join", rooms.group(group["_id"]))
    wire = group_out(group)
    socketio.emit("group-created", {"Group": wire}, to=rooms.user(member["id"]), namespace=GROUP_NS)
    return wire


def join(user, group_id):
    """The one way in by oneself, for both transports: GroupService.join, then the pushes when it took the user in;
    returns the `Group`."""
    group, joined = services().groups.join(user, group_id)
    return joined_group(group, user) if joined else group_out(group)


class GroupNamespace(AuthedNamespace):
    """create, administer, fetch, send, read and typing in groups."""

    def __init__(self):
        super().__init__(GROUP_NS)

    def connected(self, connection, new_access_token):
        """Join the room of every group the user is a member of."""
        for group, _last, _unread in services().chats.group_list(connection.user_id):
            join_room(rooms.group(group["_id"]))

    def _move(self, user_id, op, group_id):
        room_command(self.socketio, (GROUP_NS,), rooms.user(user_id), op, rooms.group(group_id))

    def _to_group(self, name, data, group_id, skip_sid=None):
        self.socketio.emit(name, data, to=rooms.group(group_id), namespace=self.namespace, skip_sid=skip_sid)

    @event(CreateGroupSchema, limit="admin")
    def on_create_group_chat(self, connection, data):
        """Create a group with the caller as admin; every member gets `group-created` {"Group"}; ack {"Group"}."""
        group = services().groups.create(connection.user_id, data["Name"], data.get("Description"),
                                         data["Participants"], data["Public"])
        for member_id in group["members"]:
            self._move(member_id, "join", group["_id"])
        wire = group_out(group)
        self._to_group("group-created", {"Group": wire}, group["_id"])
        return {"Group": wire}

    @event(MemberSchema, limit="admin")
    def on_add_member(self, connection, data):
        """Admin only: members get `member-added`, the new member `group-created`; ack {"Group"}."""
        group, member = services().groups.add_member(connection.user_id, data["GroupId"], data["Member"])
        self._to_group("member-added", {"GroupId": group["_id"], "Member": public_user(member),
                                        "By": connection.user}, group["_id"])
        self._move(str(member["_id"]), "join", group["_id"])
        wire = group_out(group)
        self.emit_to_users("group-created", {"Group": wire}, [str(member["_id"])])
        return {"Group": wire}

    @event(GroupIdSchema, limit="admin")
    def on_join_group(self, connection, data):
        """Join a public group by oneself: members get `member-added` (By the joiner), the joiner's sockets enter the
        room and get `group-created`; ack {"Group"} (a member already: the same ack, nothing pushed). not_found for a
        private or deleted group, forbidden after being kicked, conflict when full."""
        return {"Group": join(connection.user, data["GroupId"])}

    @event(UpdateGroupSchema, limit="admin")
    def on_update_group(self, connection, data):
        """Admin only: change Name, Description and/or Public; members get `group-updated` {"Group"}; ack {"Group"}."""
        group = services().groups.update(connection.user_id, data["GroupId"], data.get("Name"),
                                         data.get("Description"), data.get("Public"))
        wire = group_out(group)
        self._to_group("group-updated", {"Group": wire}, group["_id"])
        return {"Group": wire}

    @event(MemberSchema, limit="admin")
    def on_kickout(self, connection, data):
        """Admin only, not themself: the member leaves the room at once and gets `kicked-out`;
        the others get `member-removed`; ack {"Group"}."""
        group, member = services().groups.kickout(connection.user_id, data["GroupId"], data["Member"])
        member_id = str(member["_id"])
        self._move(member_id, "leave", group["_id"])
        self.emit_to_users("kicked-out", {"GroupId": group["_id"]}, [member_id])
        self._to_group("member-removed", {"GroupId": group["_id"], "Member": public_user(member),
                                          "By": connection.user}, group["_id"])
        return {"Group": group_out(group)}

    @event(MemberSchema, limit="admin")
    def on_change_admin(self, connection, data):
        """Admin only: the member becomes admin; members get `admin-changed`; ack {"Group"}."""
        group, admin = services().groups.change_admin(connection.user_id, data["GroupId"], data["Member"])
        self._to_group("admin-changed", {"GroupId": group["_id"], "Admin": public_user(admin),
                                         "By": connection.user}, group["_id"])
        return {"Group": group_out(group)}

    @event(GroupIdSchema, limit="admin")
    def on_leave_grp(self, connection, data):
        """Leave: members (and the leaver's other sockets) get `member-left`; a departing admin's
        successor is announced with `admin-changed`; ack {"GroupId"}."""
        before, after = services().groups.leave(connection.user_id, data["GroupId"])
        left_group(before, after, connection.user)
        return {"GroupId": before["_id"], "Archived": bool(after and after.get("archived"))}

    @event(GroupIdSchema, limit="admin")
    def on_delete_grp(self, connection, data):
        """Admin only: every member gets `group-deleted` {"GroupId", "By"}; the room is emptied; ack {"GroupId"}."""
        group = services().groups.delete(connection.user_id, data["GroupId"])
        self._to_group("group-deleted", {"GroupId": group["_id"], "By": connection.user}, group["_id"])
        room_command(self.socketio, (GROUP_NS,), rooms.group(group["_id"]), "leave", rooms.group(group["_id"]))
        return {"GroupId": group["_id"]}

    @event(FetchGroupSchema, limit="fetch")
    def on_fetch_group_chat(self, connection, data):
        """A history page: emits `group-chat` {"GroupId", "Group", "Messages", "HasMore"}; the ack carries it."""
        group, page, has_more = services().messages.page(connection.user, ChatRef.group(data["GroupId"]),
                                                         data.get("Before"), data.get("After"), data.get("Limit"))
        reply = {"GroupId": group["_id"], "Group": group_out(group),
                 "Messages": [message_out(m, group=True) for m in page], "HasMore": has_more}
        self.emit("group-chat", reply, room=connection.sid)
        return reply

    @event(SendGroupSchema, limit="message")
    def on_send_group_message(self, connection, data):
        """Store, ack {"Message"}; members get `receive-group-message` in one emit to the group room."""
        group, message, created = services().messages.send(connection.user, ChatRef.group(data["GroupId"]),
                                                           data["Content"], data.get("ClientId"), data.get("ReplyTo"),
                                                           data.get("Attachments"))
        if created:
            push.new_message(group, message, skip_sid=connection.sid)
        return {"Message": message_out(message, group=True)}

    @event(ReactGroupSchema, limit="message")
    def on_react_message(self, connection, data):
        """Add (On true) or take back an emoji on a group message; ack {"Reactions"}; members get
        `message-reactions` {"GroupId", "MessageId", "Reactions"} in one emit to the room."""
        group, message = services().messages.react(connection.user_id, data["MessageId"], data["Emoji"], data["On"],
                                                   ChatRef.group(data["GroupId"]))
        push.reactions(group, message)
        return {"Reactions": reactions_out(message.get("reactions"))}

    @event(ReadGroupSchema)
    def on_read_group_message(self, connection, data):
        """Move the reader's read state forward; members get `read-group-msg-ack` when it moved."""
        group, receipt = services().messages.mark_read(connection.user_id, ChatRef.group(data["GroupId"]),
                                                       data.get("UpTo"))
        if receipt is not None:
            push.read_receipt(group, connection.user_id, receipt, skip_sid=connection.sid)
        return push.receipt_wire(group, connection.user_id, receipt)

    @event(GroupIdSchema, limit="typing")
    def on_typing(self, connection, data):
        """Other members get `typing` {"GroupId", "UserId", "UserName"}."""
        group = services().groups.member_group(connection.user_id, data["GroupId"])
        push.typing("typing", group, connection.user, skip_sid=connection.sid)

    @event(GroupIdSchema, limit="typing")
    def on_done_typing(self, connection, data):
        """Other members get `done-typing` {"GroupId", "UserId", "UserName"}."""
        group = services().groups.member_group(connection.user_id, data["GroupId"])
        push.typing("done-typing", group, connection.user, skip_sid=connection.sid)
