"""The `chats` collection: self, personal and group conversations, each with its own Seq counter.

The only code that reads or writes chat documents, except for the group-specific membership
updates in `chat.groups.repository`. A chat document also holds how far each member has read it
(`reads.<user id>`: the Seq read up to), so that a send, which takes the next Seq and marks the
sender as having read it, is one update of one document. A personal chat also lists its members that the
other one has blocked (`blocked`, mirrored from the users' block lists by chat/blocks), so that the same
update refuses their sends; and any chat keeps its members' mutes (`muted.<user id>`, chat/chats/mute.py).

Ids: a self chat is keyed by its user's id, a personal chat by its pair of users (`<lower id>:<higher id>`,
so there is one per pair whatever the order, and finding it needs no other lookup), a group by a new
ObjectId.
"""
from pymongo import DESCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from ..kernel.clock import utcnow
from ..kernel.kinds import GROUP, PERSONAL, SELF, pair_key
from ..kernel.records import Chat
from ..moderation import slowmode
from . import revs
from .mute import mute_field

# What a send returns of the chat: enough to push the message (not every member's read position, nor the
# revisions in flight).
_WITHOUT_READS = {"reads": 0, "pending": 0, "spoke": 0}
# Empty Seqs a chat remembers (a repeated ClientId whose Seq could not be given back): the newest ones, enough
# for anyone's Unread; pages find older ones empty and read past them anyway.
GAPS_KEPT = 100


def read_field(user_id):
    return f"reads.{user_id}"


class ChatRepository:
    """Reads and writes chat documents; hands them out as `Chat` records (chat/kernel/records.py)."""

    def __init__(self, db):
        self.chats = db["chats"]

    def get(self, chat_id):
        """The chat (a `Chat`), or None (ids are strings; anything else finds nothing)."""
        if not isinstance(chat_id, str):
            return None
        return Chat.maybe(self.chats.find_one({"_id": chat_id}))

    def ensure_self(self, user_id):
        """The user's self chat (its id is the user's id), created on first use."""
        return self._upsert(str(user_id), {"kind": SELF, "members": [str(user_id)]})

    def find_personal(self, user_a, user_b):
        """The personal chat between two users, or None (nothing is created)."""
        return self.get(pair_key(user_a, user_b))

    def ensure_personal(self, user, partner, blocked=()):
        """The one personal chat between two users ({"id", "username"} each), created on first use.

        Keyed by the pair, so racing first uses create one chat. It keeps both usernames, so that opening
        it later needs no lookup of the partner; `blocked`, the members the other one has blocked, starts as given.
        """
        members = {str(user["id"]): user["username"], str(partner["id"]): partner["username"]}
        fields = {"kind": PERSONAL, "members": sorted(members), "names": members}
        bots = sorted(str(u["id"]) for u in (user, partner) if u.get("Bot"))
        if bots:  # only chats with a bot carry the field
            fields["bots"] = bots
        if blocked:  # only chats with a block carry the field
            fields["blocked"] = sorted(blocked)
        return self._upsert(pair_key(*members), fields)

    def set_blocked(self, chat_id, user_id, on):
        """Add (on) or take user_id out of the personal chat's `blocked` list, if the chat exists (idempotent)."""
        change = {"$addToSet": {"blocked": user_id}} if on else {"$pull": {"blocked": user_id}}
        self.chats.update_one({"_id": chat_id}, change)

    def set_mute(self, chat_id, user_id, until):
        """Mute the live chat for its member user_id until `until` (None: unmute), in one conditional update.
        Returns the chat's kind, or None when it is not a live chat of theirs (nothing is written then)."""
        change = {"$set": {mute_field(user_id): until}} if until is not None else {"$unset": {mute_field(user_id): ""}}
        found = self.chats.find_one_and_update(
            {"_id": chat_id, "members": user_id, "deleted": {"$ne": True}}, change, projection={"kind": 1})
        return found and found["kind"]

    def _upsert(self, chat_id, fields):
        existing = self.chats.find_one({"_id": chat_id})
        if existing:
            return Chat.from_doc(existing)
        now = utcnow()
        on_insert = {**fields, "seq": 0, "reads": {}, "created_at": now, "updated_at": now}
        try:
            created = self.chats.find_one_and_update({"_id": chat_id}, {"$setOnInsert": on_insert}, upsert=True,
                                                     return_document=ReturnDocument.AFTER)
        except DuplicateKeyError:  # another request created it between our read and write
            created = None
        # Some servers answer an upsert that lost a race with None instead of the document: read it then.
        return Chat.from_doc(created or self.chats.find_one({"_id": chat_id}))

    def take_seq(self, chat_id, member_id, kind):
        """Take the chat's next Seq for a message from member_id, in one atomic update of the chat: only while
        member_id is a member of this live (neither deleted nor closed) chat of this kind (any kind for None),
        marking it active now and read by the sender up to that Seq. Returns the chat after (its `seq` is the one
        taken), or None when it does not qualify. A member the other one has blocked does not qualify, nor one that
        a group's slow mode holds back: neither costs a command of its own.
        """
        if not isinstance(chat_id, str):
            return None
        taken, now = {"$add": ["$seq", 1]}, utcnow()
        rev = revs.next_rev()  # the Rev rides the same update (chat/chats/revs.py); the message is in flight
        message = {"$concat": [{"$literal": f"{chat_id}:"}, {"$toString": taken}]}
        query = {"_id": chat_id, "members": member_id, "deleted": {"$ne": True}, "closed": {"$ne": True},
                 "blocked": {"$ne": member_id}, **({"kind": kind} if kind else {}),
                 **slowmode.allows(member_id, now.timestamp())}  # a group's slow mode (chat/moderation/slowmode.py)
        return Chat.maybe(self.chats.find_one_and_update(
            query,
            [{"$set": {"seq": taken, "updated_at": now, read_field(member_id): taken, "rev": rev,
                       "pending": revs.pending_with(rev, message, now),
                       slowmode.spoke_field(member_id): slowmode.spoke_value(now.timestamp())}}],
            projection=_WITHOUT_READS, return_document=ReturnDocument.AFTER))

    def take_rev(self, chat_id, message_id):
        """Take the live chat's next Rev for a change to message_id (an edit, a deletion, a reaction), in one
        update that also marks it in flight (expired entries are dropped by sends only, so that `release_rev`
        can put the chat back as it was). Returns the Rev, or None when the chat is gone."""
        rev, now = revs.next_rev(), utcnow()
        chat = self.chats.find_one_and_update(
            {"_id": chat_id, "deleted": {"$ne": True}},
            [{"$set": {"rev": rev, "pending": revs.pending_with(rev, {"$literal": message_id}, now, expire=False)}}],
            projection={"rev": 1}, return_document=ReturnDocument.AFTER)
        return chat and chat["rev"]

    def take_reply_revs(self, chat_id, member_id, kind):
        """Take the chat's next two Revs for a thread reply (chat/threads/service.py), in one update of the chat
        with the same conditions as `take_seq` (a member of this live chat whom no partner blocked), but no Seq and
        no activity time: a reply is not in the main timeline. The first Rev is the reply's, whose id is
        `<chat id>:r<that Rev>`; the second the root's (its new summary). Both are marked in flight under the
        reply's id: the root is written first and the reply, remembering both Revs, second, so the reply landing
        means both landed (a root with many replies would otherwise forget Revs older than its last REVS_KEPT).
        Expired entries are dropped by sends only, so that a refused reply can put the chat back as it was with
        `release_rev`. Returns the chat after (its `rev` is the second), or None when it does not qualify."""
        if not isinstance(chat_id, str):
            return None
        now, first = utcnow(), revs.next_rev()
        second = {"$add": [first, 1]}
        reply = {"$concat": [{"$literal": f"{chat_id}:r"}, {"$toString": first}]}
        pending = {"$concatArrays": [revs.pending_with(first, reply, now, expire=False),
                                     [{"r": second, "m": reply, "at": {"$literal": now}}]]}
        query = {"_id": chat_id, "members": member_id, "deleted": {"$ne": True}, "closed": {"$ne": True},
                 "blocked": {"$ne": member_id}, **({"kind": kind} if kind else {}),
                 **slowmode.allows(member_id, now.timestamp())}  # slow mode holds replies back too
        return Chat.maybe(self.chats.find_one_and_update(
            query, [{"$set": {"rev": second, "pending": pending,
                              slowmode.spoke_field(member_id): slowmode.spoke_value(now.timestamp())}}],
            projection=_WITHOUT_READS, return_document=ReturnDocument.AFTER))

    def release_rev(self, chat_id, rev):
        """A change that took rev stored nothing (refused): it is no longer in flight, and while no later change
        took a Rev, the chat's Rev goes back to rev - 1 (a refused change leaves the chat as it was)."""
        self.chats.update_one({"_id": chat_id}, [{"$set": {
            "rev": {"$cond": [{"$eq": ["$rev", rev]}, rev - 1, "$rev"]}, "pending": revs.pending_without(rev)}}])

    def give_back_seq(self, chat_id, taken, rev=None, keep=GAPS_KEPT):
        """Give back a Seq that a send took and stored nothing under (its ClientId repeated), in one update of the
        chat. While no later send took one, the chat's Seq becomes taken - 1 again and no member's read position
        stays above it (so the next message is unread for them); otherwise the Seq stays empty and is added to the
        chat's `gaps` (the newest `keep`), which history pages skip and Unread does not count. The Rev the send
        took (rev) is no longer in flight: it stays unused.
        """
        top, back = {"$eq": ["$seq", taken]}, taken - 1
        reads = {"$arrayToObject": {"$map": {"input": {"$objectToArray": {"$ifNull": ["$reads", {}]}},
                                             "in": {"k": "$$this.k", "v": {"$min": ["$$this.v", back]}}}}}
        gaps = {"$slice": [{"$concatArrays": [{"$ifNull": ["$gaps", []]}, [taken]]}, -keep]}
        self.chats.update_one({"_id": chat_id, "seq": {"$gte": taken}}, [{"$set": {
            "seq": {"$cond": [top, back, "$seq"]}, "reads": {"$cond": [top, reads, "$reads"]},
            "gaps": {"$cond": [top, "$gaps", gaps]}, "pending": revs.pending_without(rev)}}])

    def advance_read(self, chat_id, user_id, seq):
        """Move the member's read position to seq if that is further (it never moves back). True when it moved."""
        result = self.chats.update_one(
            {"_id": chat_id, "members": user_id, read_field(user_id): {"$not": {"$gte": seq}}},
            {"$set": {read_field(user_id): seq}})
        return result.modified_count == 1

    def for_member(self, user_id, kind):
        """The user's chats of one kind (or of a tuple of kinds), most recent activity first."""
        query = {"members": str(user_id), "kind": {"$in": list(kind)} if isinstance(kind, tuple) else kind}
        return [Chat.from_doc(doc) for doc in self.chats.find(query).sort("updated_at", DESCENDING)]

    def inbox_page(self, user_id, skip, limit):
        """(total, chats) of the user's live personal and group chats, most recent activity first."""
        query = {"members": str(user_id), "kind": {"$in": [PERSONAL, GROUP]}}  # a deleted group has no members
        total = self.chats.count_documents(query)
        found = self.chats.find(query).sort("updated_at", DESCENDING).skip(skip).limit(limit)
        page = [Chat.from_doc(doc) for doc in found]
        return total, page

    def close_personal(self, user_id, name):
        """A deleted account's personal chats: their partners keep them (history, read receipts), showing user_id
        as name, and nobody can send in them any more."""
        self.chats.update_many({"members": str(user_id), "kind": PERSONAL},
                               {"$set": {f"names.{user_id}": name, "closed": True}})

    def remove_self_chat(self, user_id):
        """Delete the user's self chat."""
        self.chats.delete_one({"_id": str(user_id), "kind": SELF})

    def partners_of(self, user_id):
        """Everyone who shares a personal or a live group chat with the user (a deleted group has no members)."""
        others = set()
        for chat in self.chats.find({"members": str(user_id), "kind": {"$in": [PERSONAL, GROUP]}}, {"members": 1}):
            others.update(chat["members"])
        others.discard(str(user_id))
        return others

    def drop_pin(self, chat_id, message_id):
        """Take a (deleted) message off the chat's pins (chat/moderation/pins.py)."""
        self.chats.update_one({"_id": chat_id}, {"$pull": {"pins": message_id}})
