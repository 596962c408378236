"""The group half of `SocketPublisher` (chat/sockets/publisher.py): room moves and pushes on `/group`.

A member's sockets join `group:<id>` the moment they are in, and leave it on every process the moment they are
kicked or leave, before anything else is said in the group; a group's push is one emit to its room.
"""
from ..events import NOBODY
from ..groups.wire import group_member, group_out
from . import addresses as rooms
from .addresses import GROUP_NS


class GroupPushes:
    """Needs `self.out`, an Emitter."""

    def _move(self, user_id, op, group_id):
        self.out.command((GROUP_NS,), rooms.user(user_id), op, rooms.group(group_id))

    def _to_group(self, event, data, group_id):
        self.out.emit(event, data, GROUP_NS, rooms.group(group_id))

    def group_created(self, group, origin=NOBODY):
        """Every member's sockets join the room, which gets `group-created` {"Group"}."""
        for member_id in group.members:
            self._move(member_id, "join", group.id)
        self._to_group("group-created", {"Group": group_out(group)}, group.id)

    def member_added(self, group, member, by):
        """The room gets `member-added`, then the member's sockets enter it and get `group-created` {"Group"}."""
        self._to_group("member-added", {"GroupId": group.id, "Member": member, "By": by}, group.id)
        self._move(member["id"], "join", group.id)
        self.out.emit("group-created", {"Group": group_out(group)}, GROUP_NS, self.out.users([member["id"]]))

    def group_updated(self, group, origin=NOBODY):
        """`group-updated` {"Group"} to the room."""
        self._to_group("group-updated", {"Group": group_out(group)}, group.id)

    def member_kicked(self, group, member, origin=NOBODY):
        """The member leaves the room at once and gets `kicked-out`; the room gets `member-removed`."""
        self._move(member["id"], "leave", group.id)
        self.out.emit("kicked-out", {"GroupId": group.id}, GROUP_NS, self.out.users([member["id"]]))
        self._to_group("member-removed", {"GroupId": group.id, "Member": member, "By": origin.user},
                       group.id)

    def admin_changed(self, group, admin, origin=NOBODY):
        """`admin-changed` {"GroupId", "Admin", "By"} to the room."""
        self._to_group("admin-changed", {"GroupId": group.id, "Admin": admin, "By": origin.user}, group.id)

    def member_left(self, before, after, member):
        """The leaver's sockets leave the room on every process; the room and the leaver's own sockets get
        `member-left`; then, when a departing admin handed over, the room gets `admin-changed`."""
        group_id = before.id
        self._move(member["id"], "leave", group_id)
        self.out.emit("member-left", {"GroupId": group_id, "Member": member}, GROUP_NS,
                      [rooms.group(group_id), rooms.user(member["id"])])
        if after and after.admin_id and after.admin_id != before.admin_id:
            self._to_group("admin-changed", {"GroupId": group_id, "Admin": group_member(after, after.admin_id),
                                             "By": member}, group_id)

    def group_deleted(self, group, origin=NOBODY):
        """Every member gets `group-deleted` {"GroupId", "By"}; the room is emptied on every process."""
        self._to_group("group-deleted", {"GroupId": group.id, "By": origin.user}, group.id)
        self.out.command((GROUP_NS,), rooms.group(group.id), "leave", rooms.group(group.id))
