"""Group documents (kind "group" in `chats`): every membership change is one conditional,
single-document update, so racing admin commands leave exactly one admin who is a member, and racing
joiners never overfill a group.

Besides `members` (ids, join order) and `names` (id → username), a group keeps `member_count` (set by the
same update as every membership change: the directory sorts by it), `kicked` (ids removed by an admin,
who cannot join again by themselves), `blocks` ({"by", "of"}: every block between two members, written by
chat/blocks when a member blocks another and by each membership change here; mentions read it) and, while it
is public, `public: true` and `name_grams` (every distinct 1-, 2- and 3-character substring of its case-folded
name: the directory's search key, see `directory`). A deleted or emptied group is no longer public and has no
grams.

"""
from bson import ObjectId

from ..chats.repository import read_field
from ..kernel.clock import utcnow
from ..kernel.kinds import GROUP
from ..kernel.records import Chat

GRAM = 3  # the longest substring kept in `name_grams`
DIRECTORY_ORDER = [("member_count", -1), ("name_lower", 1), ("_id", 1)]  # the largest groups first


def fold(text):
    """The case-insensitive form names are searched in."""
    return text.casefold()


def name_grams(name):
    """Every distinct substring of 1 to GRAM characters of the folded name, sorted."""
    folded = fold(name)
    return sorted({folded[i:i + n] for n in range(1, GRAM + 1) for i in range(len(folded) - n + 1)})


def listing(name, public):
    """The fields that list a group in the directory (or not): set together with its name and visibility."""
    fields = {"name": name, "name_lower": fold(name), "public": bool(public)}
    if public:
        fields["name_grams"] = name_grams(name)
    return fields


def block_pairs(users, members):
    """`blocks` of a group of members ({id: user document}): {"by", "of"} for every block between two members."""
    return [{"by": by, "of": of} for by in members for of in (users[by].get("blocks") or ()) if of in members]


def _entering(user_id, user):
    """An aggregation expression: the group's `blocks` once user_id (with its user document) enters: the pairs
    that name them replaced by those of their block lists whose other user is a member (before the append)."""
    others = [{"by": user_id, "of": of} for of in (user.get("blocks") or ())] + [
        {"by": by, "of": user_id} for by in (user.get("blocked_by") or ())]
    kept = {"$filter": {"input": {"$ifNull": ["$blocks", []]},
                        "cond": {"$and": [{"$ne": ["$$this.by", user_id]}, {"$ne": ["$$this.of", user_id]}]}}}
    fresh = {"$filter": {"input": others,
                         "cond": {"$or": [{"$in": ["$$this.by", "$members"]}, {"$in": ["$$this.of", "$members"]}]}}}
    return {"$concatArrays": [kept, fresh]}


def _without(array, value):
    """An aggregation expression: array (missing counts as empty) without value."""
    return {"$filter": {"input": {"$ifNull": [array, []]}, "cond": {"$ne": ["$$this", value]}}}


class GroupRepository:
    """Conditional updates of group membership and admin; groups are handed out as `Chat` records (the directory's
    rows, a projection with `joined`, stay dicts: they are a listing, not a group)."""

    def __init__(self, db, max_members):
        self.chats = db["chats"]
        self.max_members = max_members

    def create(self, name, description, admin_id, names, public=False, blocks=(), bots=()):
        """A new group of the members in `names` ({user id: username}, in join order), admin_id its admin,
        `blocks` the blocks between them (`block_pairs`), `bots` the members who are bot users."""
        now = utcnow()
        doc = {"_id": str(ObjectId()), "kind": GROUP, **listing(name, public), "description": description,
               "admin_id": admin_id, "members": list(names), "member_count": len(names), "names": dict(names),
               "seq": 0, "reads": {}, "created_at": now, "updated_at": now, "deleted": False, "archived": False}
        if blocks:  # only groups with a block between members carry the field
            doc["blocks"] = list(blocks)
        if bots:  # and only groups with a bot member `bots`
            doc["bots"] = list(bots)
        self.chats.insert_one(doc)
        return Chat.from_doc(doc)

    def get(self, group_id):
        """The group (a `Chat`), or None."""
        if not isinstance(group_id, str):
            return None
        return Chat.maybe(self.chats.find_one({"_id": group_id, "kind": GROUP}))

    def add_member(self, group_id, admin_id, member_id, member):
        """Append member if admin_id is still the admin, member is not in yet and there is room.

        History from before joining is readable but does not count as unread: the new member's read
        position is the group's Seq, set in the same update, which also records the member's username. An
        admin adding someone they kicked earlier takes them off `kicked`. member is the user document: its
        blocks with the members go to the group's `blocks`.
        """
        result = self.chats.update_one(
            {"_id": group_id, "kind": GROUP, "deleted": False, "admin_id": admin_id,
             "members": {"$ne": member_id}, f"members.{self.max_members - 1}": {"$exists": False}},
            self._appending(member_id, member, {"kicked": _without("$kicked", member_id)}))
        return result.modified_count == 1

    def join(self, group_id, user_id, user, public_only=True):
        """Append user to a public (with public_only; any, for an invite link), live group they are not in, were
        not kicked from, and that has room.

        One conditional update: the filter's `members.<max-1>` must not exist, so of any number of racing
        joiners exactly as many succeed as there were free places. True when the user got in. user is the
        joiner's user document (username and block lists).
        (`update_one`, not `find_one_and_update`: SecantusDB reads a findAndModify's conditional filter by
        scanning the collection, an update's through `_id`; see docs/performance.md.)
        """
        result = self.chats.update_one(
            {"_id": group_id, "kind": GROUP, **({"public": True} if public_only else {"archived": {"$ne": True}}),
             "deleted": False, "members": {"$ne": user_id},
             "kicked": {"$ne": user_id}, f"members.{self.max_members - 1}": {"$exists": False}},
            self._appending(user_id, user))
        return result.modified_count == 1

    @staticmethod
    def _appending(user_id, user, more=None):
        """The pipeline update that appends a member (read position, username, count, blocks) in one step."""
        if user.get("bot"):
            more = {**(more or {}), "bots": {"$concatArrays": [{"$ifNull": ["$bots", []]}, [user_id]]}}
        return [{"$set": {"members": {"$concatArrays": ["$members", [user_id]]},
                          "member_count": {"$add": [{"$size": "$members"}, 1]}, "updated_at": utcnow(),
                          read_field(user_id): "$seq", f"names.{user_id}": user["username"],
                          "blocks": _entering(user_id, user), **(more or {})}}]

    def remove_member(self, group_id, admin_id, member_id, as_moderator=False):
        """Take member out (and onto `kicked`, and off `moderators`) if admin_id is still the admin and member is
        not the admin; with as_moderator, if admin_id is still a moderator and member is neither the admin nor a
        moderator (chat/moderation/roles.py)."""
        actor = {"admin_id": admin_id} if not as_moderator else {
            "admin_id": {"$ne": member_id}, "$and": [{"moderators": admin_id}, {"moderators": {"$ne": member_id}}]}
        result = self.chats.update_one(
            {"_id": group_id, "kind": GROUP, "deleted": False, **actor, "members": member_id},
            [{"$set": {"members": _without("$members", member_id),
                       "member_count": {"$subtract": [{"$size": "$members"}, 1]},
                       "kicked": {"$concatArrays": [_without("$kicked", member_id), [member_id]]},
                       "moderators": _without("$moderators", member_id), "updated_at": utcnow()}}])
        return result.modified_count == 1

    def update(self, group, admin_id, name, description, public, retention_days=None):
        """Rename, describe, list or unlist the group as it was read (same name), and set its retention in days
        (unless None), if admin_id is still the admin. True on success, False when it changed meanwhile."""
        retention = {} if retention_days is None else {"retention_days": retention_days}
        stages = [{"$set": {**listing(name, public), "description": description, **retention,
                            "member_count": {"$size": "$members"}, "updated_at": utcnow()}}]
        if not public:
            stages.append({"$unset": "name_grams"})
        result = self.chats.update_one(
            {"_id": group.id, "kind": GROUP, "deleted": False, "admin_id": admin_id, "name": group.name},
            stages)
        return result.matched_count == 1

    def set_slow_mode(self, group_id, actor_id, seconds):
        """Set the group's slow mode (seconds, 0: off) if actor_id is still its admin or a moderator."""
        result = self.chats.update_one(
            {"_id": group_id, "kind": GROUP, "deleted": False, "$or": [{"admin_id": actor_id},
                                                                      {"moderators": actor_id}]},
            {"$set": {"slow_mode": seconds, "updated_at": utcnow()}})
        return result.matched_count == 1

    def set_moderator(self, group_id, admin_id, member_id, on):
        """Make member a moderator (on) or not, if admin_id is still the admin and member a member other than the
        admin (idempotent). True when the group qualified."""
        change = {"$addToSet": {"moderators": member_id}} if on else {"$pull": {"moderators": member_id}}
        result = self.chats.update_one(
            {"_id": group_id, "kind": GROUP, "deleted": False, "admin_id": {"$eq": admin_id, "$ne": member_id},
             "members": {"$all": [admin_id, member_id]}}, {**change, "$set": {"updated_at": utcnow()}})
        return result.matched_count == 1

    def directory(self, user_id, q, skip, limit):
        """(total, page) of public groups whose folded name contains q (any, for None), the largest first.

        Each row: _id, name, description, member_count, and `joined` (user_id is a member), computed by the
        server. Up to GRAM characters, q is one key of `name_grams`: an exact index lookup, paged by the
        server. A longer q is looked up by one of its GRAM-character pieces and the candidates are checked
        here (substring containment), so their count is read in full (docs/performance.md).
        """
        projection = {"name": 1, "description": 1, "member_count": 1, "name_lower": 1,
                      "joined": {"$in": [user_id, "$members"]}}
        if q is None or len(fold(q)) <= GRAM:
            query = {"public": True} if q is None else {"public": True, "name_grams": fold(q)}
            total = self.chats.count_documents(query)
            rows = list(self.chats.find(query, projection, sort=DIRECTORY_ORDER, skip=skip, limit=limit))
            return total, rows
        folded = fold(q)
        pieces = [folded[i:i + GRAM] for i in range(len(folded) - GRAM + 1)]
        piece = next((p for p in pieces if " " not in p), pieces[0])  # a piece with a space matches more
        matches = [row for row in self.chats.find({"public": True, "name_grams": piece}, projection,
                                                  sort=DIRECTORY_ORDER) if folded in row["name_lower"]]
        return len(matches), matches[skip:skip + limit]

    def change_admin(self, group_id, admin_id, member_id):
        """Hand the role to member if admin_id is still the admin and both are members (a moderator who becomes
        admin is no longer listed as a moderator)."""
        result = self.chats.update_one(
            {"_id": group_id, "kind": GROUP, "deleted": False, "admin_id": admin_id,
             "members": {"$all": [admin_id, member_id]}},
            {"$set": {"admin_id": member_id, "updated_at": utcnow()}, "$pull": {"moderators": member_id}})
        return result.modified_count == 1

    def leave(self, group, user_id):
        """Remove user from the group as it was read (members and admin unchanged since); True on success.

        An admin hands the role to the longest-standing other member; the last member archives the group.
        """
        remaining = [m for m in group.members if m != user_id]
        changes = {"updated_at": utcnow(), "member_count": len(remaining)}
        no_longer_moderators = [user_id]  # the leaver, and a moderator who becomes admin
        update = {"$pull": {"members": user_id, "moderators": {"$in": no_longer_moderators}}, "$set": changes}
        if group.admin_id == user_id:
            changes["admin_id"] = remaining[0] if remaining else None
            no_longer_moderators.extend(remaining[:1])
        if not remaining:  # nobody left to join or to run it: out of the directory
            changes.update(archived=True, public=False)
            update["$unset"] = {"name_grams": ""}
        result = self.chats.update_one(
            {"_id": group.id, "kind": GROUP, "deleted": False, "members": group.members,
             "admin_id": group.admin_id}, update)
        return result.modified_count == 1

    def delete(self, group_id, admin_id):
        """Mark the group deleted if admin_id is still the admin. A deleted group has no members (they are kept
        in `members_at_deletion`), so queries by member never meet it."""
        result = self.chats.update_one(
            {"_id": group_id, "kind": GROUP, "deleted": False, "admin_id": admin_id},
            [{"$set": {"deleted": True, "deleted_at": utcnow(), "members_at_deletion": "$members", "members": [],
                       "member_count": 0, "public": False}}, {"$unset": "name_grams"}])
        return result.modified_count == 1
