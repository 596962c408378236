"""Group documents (kind "group" in `chats`): every membership change is one conditional,
single-document update, so racing admin commands leave exactly one admin who is a member.
"""
from bson import ObjectId

from ..chats.repository import read_field
from ..clock import utcnow
from ..kinds import GROUP


class GroupRepository:
    """Conditional updates of group membership and admin."""

    def __init__(self, db, max_members):
        self.chats = db["chats"]
        self.max_members = max_members

    def create(self, name, description, admin_id, names):
        """A new group of the members in `names` ({user id: username}, in join order), admin_id its admin."""
        now = utcnow()
        doc = {"_id": str(ObjectId()), "kind": GROUP, "name": name, "description": description,
               "admin_id": admin_id, "members": list(names), "names": dict(names), "seq": 0, "reads": {},
               "created_at": now, "updated_at": now, "deleted": False, "archived": False}
        self.chats.insert_one(doc)
        return doc

    def get(self, group_id):
        if not isinstance(group_id, str):
            return None
        return self.chats.find_one({"_id": group_id, "kind": GROUP})

    def add_member(self, group_id, admin_id, member_id, username):
        """Append member if admin_id is still the admin, member is not in yet and there is room.

        History from before joining is readable but does not count as unread: the new member's read
        position is the group's Seq, set in the same update, which also records the member's username.
        """
        result = self.chats.update_one(
            {"_id": group_id, "kind": GROUP, "deleted": False, "admin_id": admin_id,
             "members": {"$ne": member_id}, f"members.{self.max_members - 1}": {"$exists": False}},
            [{"$set": {"members": {"$concatArrays": ["$members", [member_id]]}, "updated_at": utcnow(),
                       read_field(member_id): "$seq", f"names.{member_id}": username}}])
        return result.modified_count == 1

    def remove_member(self, group_id, admin_id, member_id):
        """Pull member if admin_id is still the admin and member is not the admin."""
        result = self.chats.update_one(
            {"_id": group_id, "kind": GROUP, "deleted": False, "admin_id": admin_id, "members": member_id},
            {"$pull": {"members": member_id}, "$set": {"updated_at": utcnow()}})
        return result.modified_count == 1

    def change_admin(self, group_id, admin_id, member_id):
        """Hand the role to member if admin_id is still the admin and both are members."""
        result = self.chats.update_one(
            {"_id": group_id, "kind": GROUP, "deleted": False, "admin_id": admin_id,
             "members": {"$all": [admin_id, member_id]}},
            {"$set": {"admin_id": member_id, "updated_at": utcnow()}})
        return result.modified_count == 1

    def leave(self, group, user_id):
        """Remove user from the group as it was read (members and admin unchanged since); True on success.

        An admin hands the role to the longest-standing other member; the last member archives the group.
        """
        remaining = [m for m in group["members"] if m != user_id]
        changes = {"updated_at": utcnow()}
        if group.get("admin_id") == user_id:
            changes["admin_id"] = remaining[0] if remaining else None
        if not remaining:
            changes["archived"] = True
        result = self.chats.update_one(
            {"_id": group["_id"], "kind": GROUP, "deleted": False, "members": group["members"],
             "admin_id": group.get("admin_id")},
            {"$pull": {"members": user_id}, "$set": changes})
        return result.modified_count == 1

    def delete(self, group_id, admin_id):
        """Mark the group deleted if admin_id is still the admin. A deleted group has no members (they are kept
        in `members_at_deletion`), so queries by member never meet it."""
        result = self.chats.update_one(
            {"_id": group_id, "kind": GROUP, "deleted": False, "admin_id": admin_id},
            [{"$set": {"deleted": True, "deleted_at": utcnow(), "members_at_deletion": "$members", "members": []}}])
        return result.modified_count == 1
