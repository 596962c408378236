"""What the retention sweep reads and writes: old messages (turned into placeholders), the chats they are in,
and the sweep's lease in `locks` (one process sweeps at a time)."""
from datetime import timedelta

from pymongo import ASCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from ..chats.revs import message_rev, message_revs
from ..kernel.clock import utcnow

SWEPT = {"_id": 1, "chat_id": 1, "attachments": 1}


class RetentionRepository:
    """Old messages of a chat, their placeholders, the groups with a retention of their own, the lease."""

    def __init__(self, db):
        self.messages, self.chats, self.locks = db["messages"], db["chats"], db["locks"]

    def chat_ids(self):
        """Every chat's id and group retention, a cursor (self, personal and group chats, deleted ones too)."""
        return self.chats.find({}, {"kind": 1, "retention_days": 1}).sort("_id", ASCENDING)  # through `_id_`

    def groups_with_retention(self):
        """The groups that keep messages for fewer days than the server: their id and days."""
        return self.chats.find({"retention_days": {"$gt": 0}}, {"retention_days": 1})  # only groups carry it

    def older_than(self, chat_id, cutoff, limit):
        """At most limit of the chat's messages created before cutoff and not yet expired, oldest first: one range
        of the `messages_retention` index ({chat_id, expired, created_at})."""
        return list(self.messages.find({"chat_id": chat_id, "expired": None, "created_at": {"$lt": cutoff}}, SWEPT)
                    .sort("created_at", ASCENDING).limit(limit))

    def expire(self, ids, rev):
        """Turn the messages of ids (one chat's, the marker last) into placeholders at the chat's Rev rev (None: a
        deleted chat, no Rev): no content, earlier versions, reactions, mentions, quote, files or search grams,
        `deleted` and `expired`; the quotes of them in replies emptied. The marker goes last, so a sync that waits
        for it (chat/messages/sync.py) sees every other one landed."""
        stamp = {"rev": message_rev(rev), "revs": message_revs(rev)} if rev else {}
        empty = {"content": "", "deleted": True, "expired": True, "reactions": {"$literal": []},
                 "mentions": {"$literal": []}, "grams": {"$literal": []}, "attachments": {"$literal": []},
                 "reply_to": None, **stamp}
        blank = [{"$set": empty}, {"$unset": "history"}]
        *rest, marker = ids
        if rest:
            self.messages.update_many({"_id": {"$in": rest}}, blank)
        self.messages.update_many({"reply_to.id": {"$in": ids}}, [{"$set": {
            "reply_to.excerpt": "", "reply_to.deleted": True, **stamp}}])
        self.messages.update_one({"_id": marker}, blank)

    def take_lease(self, name, owner, seconds):
        """Hold the lease `name` for seconds (taken when free or run out, renewed when owner holds it); False
        when another owner holds it."""
        now = utcnow()
        try:
            self.locks.find_one_and_update(
                {"_id": name, "$or": [{"until": {"$lt": now}}, {"owner": owner}]},
                {"$set": {"owner": owner, "until": now + timedelta(seconds=seconds)}}, upsert=True,
                return_document=ReturnDocument.AFTER)
        except DuplicateKeyError:
            return False
        return True

    def release_lease(self, name, owner):
        """Give the lease back (when owner still holds it)."""
        self.locks.update_one({"_id": name, "owner": owner}, {"$set": {"until": utcnow()}})
