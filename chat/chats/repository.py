"""The `chats` collection: self, personal and group conversations, each with its own Seq counter.

The only code that reads or writes chat documents, except for the group-specific
membership updates in `chat.groups.repository`.
"""
from bson import ObjectId
from pymongo import DESCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from ..clock import utcnow

SELF, PERSONAL, GROUP = "self", "personal", "group"


def pair_key(user_a, user_b):
    """The one key of the personal chat between two users, whatever the order."""
    return ":".join(sorted((str(user_a), str(user_b))))


class ChatRepository:
    """Reads and writes chat documents."""

    def __init__(self, db):
        self.chats = db["chats"]
        self.pairs = db["pairs"]

    def get(self, chat_id):
        """The chat, or None (ids are strings; anything else finds nothing)."""
        if not isinstance(chat_id, str):
            return None
        return self.chats.find_one({"_id": chat_id})

    def ensure_self(self, user_id):
        """The user's self chat (its id is the user's id), created on first use."""
        return self._upsert({"_id": str(user_id)}, {"kind": SELF, "members": [str(user_id)]})

    def find_personal(self, user_a, user_b):
        """The personal chat between two users, or None (nothing is created)."""
        pair = self.pairs.find_one({"_id": pair_key(user_a, user_b)})
        return self.get(pair["chat_id"]) if pair else None

    def ensure_personal(self, user_a, user_b):
        """The one personal chat between two users, created on first use (races create one).

        The pair's record (keyed by the pair, so unique by `_id`) names the chat; whoever inserts it
        first decides the chat's id, and everyone creates or finds that one chat.
        """
        key = pair_key(user_a, user_b)
        pair = self.pairs.find_one({"_id": key})
        if pair is None:
            try:
                pair = {"_id": key, "chat_id": str(ObjectId())}
                self.pairs.insert_one(pair)
            except DuplicateKeyError:
                pair = self.pairs.find_one({"_id": key})
        return self._upsert({"_id": pair["chat_id"]}, {"kind": PERSONAL, "pair_key": key,
                                                       "members": sorted((str(user_a), str(user_b)))})

    def _upsert(self, query, fields):
        existing = self.chats.find_one(query)
        if existing:
            return existing
        now = utcnow()
        on_insert = {**fields, "seq": 0, "created_at": now, "updated_at": now}
        try:
            return self.chats.find_one_and_update(query, {"$setOnInsert": on_insert}, upsert=True,
                                                  return_document=ReturnDocument.AFTER)
        except DuplicateKeyError:  # another request created it between our read and write
            return self.chats.find_one(query)

    def insert(self, doc):
        self.chats.insert_one(doc)
        return doc

    def next_seq(self, chat_id, member_id):
        """Atomically take the chat's next Seq and mark it active now, only while member_id is a member.

        Checking membership in the same update means a member kicked a moment ago cannot slip a message in.
        """
        doc = self.chats.find_one_and_update({"_id": chat_id, "members": member_id, "deleted": {"$ne": True}},
                                             {"$inc": {"seq": 1}, "$set": {"updated_at": utcnow()}},
                                             projection={"seq": 1}, return_document=ReturnDocument.AFTER)
        return doc["seq"] if doc else None

    def for_member(self, user_id, kind):
        """The user's chats of one kind, most recent activity first."""
        query = {"members": str(user_id), "kind": kind}
        return list(self.chats.find(query).sort("updated_at", DESCENDING))

    def inbox_page(self, user_id, skip, limit):
        """(total, chats) of the user's live personal and group chats, most recent activity first."""
        query = {"members": str(user_id), "kind": {"$in": [PERSONAL, GROUP]}, "deleted": {"$ne": True}}
        total = self.chats.count_documents(query)
        page = list(self.chats.find(query).sort("updated_at", DESCENDING).skip(skip).limit(limit))
        return total, page

    def partners_of(self, user_id):
        """Everyone who shares a personal or a live group chat with the user (not a deleted group)."""
        others = set()
        for kind in (PERSONAL, GROUP):
            query = {"members": str(user_id), "kind": kind, "deleted": {"$ne": True}}
            for chat in self.chats.find(query, {"members": 1}):
                others.update(chat["members"])
        others.discard(str(user_id))
        return others
