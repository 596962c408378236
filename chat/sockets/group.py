"""Namespace `/group`: group chats with admin controls.

Members' sockets join `group:<id>` on connect (after a membership check); the group service announces every
change (chat/events.py) and chat/sockets/group_pushes.py moves sockets in and out of the room on every process
and pushes, so a handler here only loads, calls and acks. A message to a group is one emit to its room.
"""
from flask_socketio import join_room

from ..groups.schemas import (
    CreateGroupSchema,
    FetchGroupSchema,
    MemberSchema,
    SetModeratorSchema,
    SyncGroupSchema,
    UpdateGroupSchema,
)
from ..groups.wire import group_out
from ..kernel.kinds import ChatRef
from ..messages.payloads import GroupIdSchema, ReactGroupSchema, ReadGroupSchema, SendGroupSchema
from ..messages.schemas import changes_wire, message_out, reactions_out, receipt_wire
from ..moderation.schemas import PinGroupSchema
from ..services import services
from . import addresses as rooms
from .addresses import GROUP_NS
from .base import AuthedNamespace, event
from .threads import GroupThreads


class GroupNamespace(GroupThreads, AuthedNamespace):
    """create, administer, fetch, send, read and typing in groups."""

    def __init__(self):
        super().__init__(GROUP_NS)

    def connected(self, connection, new_access_token):
        """Join the room of every group the user is a member of."""
        for group_id in services().chats.group_ids(connection.user_id):
            join_room(rooms.group(group_id))

    @event(CreateGroupSchema, limit="admin")
    def on_create_group_chat(self, connection, data):
        """Create a group with the caller as admin; every member gets `group-created` {"Group"}; ack {"Group"}."""
        group = services().groups.create(connection.user_id, data["Name"], data.get("Description"),
                                         data["Participants"], data["Public"], origin=connection.origin)
        return {"Group": group_out(group)}

    @event(MemberSchema, limit="admin")
    def on_add_member(self, connection, data):
        """Admin only: members get `member-added`, the new member `group-created`; ack {"Group"}."""
        group, _member = services().groups.add_member(connection.user_id, data["GroupId"], data["Member"],
                                                      connection.origin)
        return {"Group": group_out(group)}

    @event(GroupIdSchema, limit="admin")
    def on_join_group(self, connection, data):
        """Join a public group by oneself: members get `member-added` (By the joiner), the joiner's sockets enter the
        room and get `group-created`; ack {"Group"} (a member already: the same ack, nothing pushed). not_found for a
        private or deleted group, forbidden after being kicked, conflict when full."""
        group, _joined = services().groups.join(connection.user, data["GroupId"])
        return {"Group": group_out(group)}

    @event(UpdateGroupSchema, limit="admin")
    def on_update_group(self, connection, data):
        """Admin only: change Name, Description, Public and/or RetentionDays; the admin or a moderator:
        SlowModeSeconds; members get `group-updated` {"Group"}; ack {"Group"}."""
        group = services().groups.update(connection.user_id, data["GroupId"], data.get("Name"),
                                         data.get("Description"), data.get("Public"), connection.origin,
                                         data.get("SlowModeSeconds"), retention_days=data.get("RetentionDays"))
        return {"Group": group_out(group)}

    @event(MemberSchema, limit="admin")
    def on_kickout(self, connection, data):
        """The admin (not themself), or a moderator (a plain member only): the member leaves the room at once and
        gets `kicked-out`;
        the others get `member-removed`; ack {"Group"}."""
        group, _member = services().groups.kickout(connection.user_id, data["GroupId"], data["Member"],
                                                   connection.origin)
        return {"Group": group_out(group)}

    @event(SetModeratorSchema, limit="admin")
    def on_set_moderator(self, connection, data):
        """Admin only: make a member a moderator (On true) or not; members get `group-updated`; ack {"Group"}."""
        group = services().moderation.set_moderator(connection.user_id, data["GroupId"], data["UserId"], data["On"],
                                                    connection.origin)
        return {"Group": group_out(group)}

    @event(PinGroupSchema, limit="message")
    def on_pin_message(self, connection, data):
        """The admin or a moderator pins (On true) or unpins a message: members get `message-pinned`
        {"GroupId", "MessageId", "Pinned", "By"}; ack {"Message"}."""
        _group, message = services().moderation.pin(connection.user, ChatRef.group(data["GroupId"]),
                                                    data["MessageId"], data["On"], connection.origin)
        return {"Message": message_out(message, services().file_urls, group=True)}

    @event(MemberSchema, limit="admin")
    def on_change_admin(self, connection, data):
        """Admin only: the member becomes admin; members get `admin-changed`; ack {"Group"}."""
        group, _admin = services().groups.change_admin(connection.user_id, data["GroupId"], data["Member"],
                                                       connection.origin)
        return {"Group": group_out(group)}

    @event(GroupIdSchema, limit="admin")
    def on_leave_grp(self, connection, data):
        """Leave: members (and the leaver's other sockets) get `member-left`; a departing admin's
        successor is announced with `admin-changed`; ack {"GroupId"}."""
        before, after = services().groups.leave(connection.user_id, data["GroupId"], connection.origin)
        return {"GroupId": before.id, "Archived": bool(after and after.archived)}

    @event(GroupIdSchema, limit="admin")
    def on_delete_grp(self, connection, data):
        """Admin only: every member gets `group-deleted` {"GroupId", "By"}; the room is emptied; ack {"GroupId"}."""
        group = services().groups.delete(connection.user_id, data["GroupId"], connection.origin)
        return {"GroupId": group.id}

    @event(FetchGroupSchema, limit="fetch", echo="group-chat")
    def on_fetch_group_chat(self, connection, data):
        """A history page: emits `group-chat` {"GroupId", "Group", "Messages", "HasMore"}; the ack carries it."""
        group, page, has_more = services().messages.page(connection.user, ChatRef.group(data["GroupId"]),
                                                         data.get("Before"), data.get("After"), data.get("Limit"))
        urls = services().file_urls
        reply = {"GroupId": group.id, "Group": group_out(group),
                 "Messages": [message_out(m, urls, group=True) for m in page], "HasMore": has_more}
        return reply

    @event(SendGroupSchema, limit="message")
    def on_send_group_message(self, connection, data):
        """Store, ack {"Message"}; members get `receive-group-message` in one emit to the group room."""
        _group, message, _created = services().messages.send(
            connection.user, ChatRef.group(data["GroupId"]), data["Content"], data.get("ClientId"),
            data.get("ReplyTo"), data.get("Attachments"),
            thread_of=data.get("ThreadOf"), origin=connection.origin)
        return {"Message": message_out(message, services().file_urls, group=True)}

    @event(SyncGroupSchema, limit="fetch")
    def on_sync_chat(self, connection, data):
        """Catch-up: ack {"Messages" changed since SinceRev in Rev order, "Rev", "HasMore"}; not_found for a group
        the user is not a member of."""
        return changes_wire(*services().messages.changes(connection.user, ChatRef.group(data["GroupId"]),
                                                         data["SinceRev"], data.get("Limit")),
                            urls=services().file_urls)

    @event(ReactGroupSchema, limit="message")
    def on_react_message(self, connection, data):
        """Add (On true) or take back an emoji on a group message; ack {"Reactions"}; members get
        `message-reactions` {"GroupId", "MessageId", "Reactions"} in one emit to the room."""
        _group, message = services().messages.react(connection.user_id, data["MessageId"], data["Emoji"],
                                                    data["On"], ChatRef.group(data["GroupId"]), connection.origin)
        return {"Reactions": reactions_out(message.get("reactions"))}

    @event(ReadGroupSchema)
    def on_read_group_message(self, connection, data):
        """Move the reader's read state forward; members get `read-group-msg-ack` when it moved."""
        group, receipt = services().messages.mark_read(connection.user_id, ChatRef.group(data["GroupId"]),
                                                       data.get("UpTo"), connection.origin)
        return receipt_wire(group, connection.user_id, receipt)

    @event(GroupIdSchema, limit="typing")
    def on_typing(self, connection, data):
        """Other members get `typing` {"GroupId", "UserId", "UserName"}."""
        services().groups.typing(connection.user, data["GroupId"], True, connection.origin)

    @event(GroupIdSchema, limit="typing")
    def on_done_typing(self, connection, data):
        """Other members get `done-typing` {"GroupId", "UserId", "UserName"}."""
        services().groups.typing(connection.user, data["GroupId"], False, connection.origin)
