"""Blocks, kept in the two user documents they concern: the only code that writes `blocks` and `blocked_by`.

The blocker's document lists whom they blocked (`blocks`, oldest first), the blocked user's document who
blocked them (`blocked_by`). Those lists are the block state: code that already holds a user document (the
socket connect, the partner check of a first message, the candidates of a search) knows about blocks without
a query of its own. The personal chat of the pair mirrors them (`blocked`, chat/chats/repository.py) for sends,
and every group the two are members of keeps the pair (`blocks`, chat/groups/repository.py) for mentions.

Each write is idempotent, so repeating a block or an unblock that failed half-way completes it.
"""
from ..kernel.ids import to_object_id
from ..kernel.kinds import GROUP

_LISTS = {"blocks": 1, "blocked_by": 1}


def hidden_from(user_doc):
    """The ids a user and the people they see must not see each other's presence: both ways of every block."""
    user_doc = user_doc or {}
    return set(user_doc.get("blocks") or ()) | set(user_doc.get("blocked_by") or ())


class BlockRepository:
    """The block lists of user documents."""

    def __init__(self, db):
        self.users = db["users"]
        self.chats = db["chats"]

    def lists(self, user_id):
        """{"blocks", "blocked_by"} of the user (empty lists for someone who never blocked or was blocked)."""
        oid = to_object_id(user_id)
        doc = self.users.find_one({"_id": oid}, _LISTS) if oid else None
        return {key: list((doc or {}).get(key) or ()) for key in _LISTS}

    def add(self, blocker_id, blocked_id):
        """Add blocked_id to the blocker's `blocks` (at the end; nothing when it is there already)."""
        self.users.update_one({"_id": to_object_id(blocker_id)}, {"$addToSet": {"blocks": blocked_id}})

    def remove(self, blocker_id, blocked_id):
        """Take blocked_id out of the blocker's `blocks`."""
        self.users.update_one({"_id": to_object_id(blocker_id)}, {"$pull": {"blocks": blocked_id}})

    def mark_blocked_by(self, blocked_id, blocker_id, on):
        """Add (on) or take blocker_id out of the blocked user's `blocked_by`."""
        change = {"$addToSet": {"blocked_by": blocker_id}} if on else {"$pull": {"blocked_by": blocker_id}}
        self.users.update_one({"_id": to_object_id(blocked_id)}, change)

    def mark_in_groups(self, blocker_id, blocked_id, on):
        """Add the pair to `blocks` of every group both are members of (on), or take it out of every group the
        blocker is a member of (a group they left is brought up to date when they enter it again). One update of
        the blocker's groups, found through the `members` index (a `$all` of both would scan the collection); the
        pair goes only where blocked_id is a member too, and a group without blocks gets no field."""
        pair = {"by": blocker_id, "of": blocked_id}
        blocks = {"$ifNull": ["$blocks", []]}
        if on:
            marked = {"$cond": [{"$in": [blocked_id, "$members"]}, {"$setUnion": [blocks, [{"$literal": pair}]]},
                                {"$ifNull": ["$blocks", "$$REMOVE"]}]}
            self.chats.update_many({"members": blocker_id, "kind": GROUP}, [{"$set": {"blocks": marked}}])
        else:
            self.chats.update_many({"members": blocker_id, "kind": GROUP}, {"$pull": {"blocks": pair}})
