"""The reads of a search: the caller's chats, and the candidate messages of one batch.

Candidates are read through the `messages_search` index ({grams, chat_id, created_at, _id}, multikey on
`grams`, chat/db.py) with one aggregate: its first `$match` is the index's range (one gram, the caller's chats),
the second the rest (the other grams, the position, the filters, not deleted). MongoDB merges the two stages
and reads the caller's chats' ranges newest first; SecantusDB runs the first through the index and the second
on what it read. Neither needs `$text` or Atlas Search. The scope is the first `$match` itself: only messages of
the chats given are ever read.
"""
from ..kernel.kinds import GROUP, PERSONAL, SELF

ORDER = {"created_at": -1, "_id": -1}  # newest first; the id breaks ties of one millisecond
LIVE_KINDS = [SELF, PERSONAL, GROUP]


class SearchRepository:
    """Reads `chats` (membership) and `messages` (candidates) for a search."""

    def __init__(self, db):
        self.chats = db["chats"]
        self.messages = db["messages"]

    def member_chats(self, user_id):
        """{chat id: kind} of every chat user_id is a member of now (a deleted group has no members)."""
        rows = self.chats.find({"members": str(user_id), "kind": {"$in": LIVE_KINDS}}, {"kind": 1})
        return {row["_id"]: row["kind"] for row in rows}

    def candidates(self, lead, others, chat_ids, filters, position, limit):
        """At most limit undeleted messages of chat_ids holding every gram (lead and others), newest first,
        older than position ((created_at, id) or None), within filters: {"from": sender id, "file": bool,
        "before": time, "after": time}. The grams and the earlier versions are left out of the answer."""
        rest = {"deleted": False}
        if others:
            rest["grams"] = {"$all": list(others)}
        times = {}
        if filters.get("before") is not None:
            times["$lt"] = filters["before"]
        if filters.get("after") is not None:
            times["$gt"] = filters["after"]
        if position is not None:
            at, id_ = position
            times["$lte"] = at  # the index bound; the $or below makes it strict in (created_at, _id) order
            rest["$or"] = [{"created_at": {"$lt": at}}, {"created_at": at, "_id": {"$lt": id_}}]
        if times:
            rest["created_at"] = times
        if filters.get("from") is not None:
            rest["sender_id"] = filters["from"]
        if filters.get("file"):
            rest["attachments.0"] = {"$exists": True}
        pipeline = [{"$match": {"grams": lead, "chat_id": {"$in": list(chat_ids)}}}, {"$match": rest},
                    {"$sort": ORDER}, {"$limit": limit}, {"$project": {"grams": 0, "history": 0}}]
        return list(self.messages.aggregate(pipeline))

    def unindexed(self, batch):
        """Up to batch messages stored before search existed (no `grams` field): {_id, content, deleted}."""
        return list(self.messages.find({"grams": {"$exists": False}}, {"content": 1, "deleted": 1}).limit(batch))

    def set_grams(self, rows):
        """Write each (id, grams) given, only where the message has no grams yet (a send or an edit since wins)."""
        for id_, found in rows:
            self.messages.update_one({"_id": id_, "grams": {"$exists": False}}, {"$set": {"grams": found}})
