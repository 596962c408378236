"""The `messages` collection: the only code that touches it.

A message is keyed `<chat id>:<seq>`, so a history page is a list of ids computed from the chat's Seq,
whatever the chat's length. A message sent with a ClientId also carries `client_key`
(`<chat>:<sender>:<ClientId>`, unique): the message and its idempotency key are one document, written
by one insert, so no failure can store one without the other.
"""
from pymongo import ASCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from ..chats.revs import message_rev, message_revs


def message_id(chat_id, seq):
    """The id of the chat's message number seq."""
    return f"{chat_id}:{seq}"


def seq_of(message_id_, chat_id):
    """The Seq a message id names in this chat, or None when it is not one of this chat's ids."""
    if not isinstance(message_id_, str) or not message_id_.startswith(f"{chat_id}:"):
        return None
    tail = message_id_[len(chat_id) + 1:]
    return int(tail) if tail.isdigit() and len(tail) < 16 else None


def reply_id(chat_id, rev):
    """The id of the thread reply stored at the chat's Rev rev (chat/threads/): `<chat id>:r<rev>`."""
    return f"{chat_id}:r{rev}"


def reply_tail(tail):
    """Whether tail (what follows `<chat id>:`) is a thread reply's: `r<Rev>`."""
    return tail[:1] == "r" and tail[1:].isdigit() and len(tail) < 17


def chat_id_of(message_id_):
    """The id of the chat a message id names, a thread reply's too (None for anything that is not a message id)."""
    if not isinstance(message_id_, str):
        return None
    chat_id, _, seq = message_id_.rpartition(":")
    return chat_id if chat_id and (seq.isdigit() or reply_tail(seq)) else None


def in_chat(message_id_, chat_id):
    """Whether message_id_ is an id of this chat: a top-level message's (`seq_of`) or a thread reply's."""
    return seq_of(message_id_, chat_id) is not None or (
        isinstance(message_id_, str) and message_id_.startswith(f"{chat_id}:")
        and reply_tail(message_id_[len(chat_id) + 1:]))


def client_key(chat_id, sender_id, client_id):
    """The key that makes a (chat, sender, ClientId) send idempotent."""
    return f"{chat_id}:{sender_id}:{client_id}"


class MessageRepository:
    """One document per message, keyed by chat and Seq."""

    def __init__(self, db):
        self.messages = db["messages"]

    id_of = staticmethod(message_id)

    def insert(self, doc):
        """Store doc. Returns (doc, True), or (the message stored first, False) when its client_key is taken.

        A write whose answer was lost and that the driver retried finds its own document: that counts as
        stored by this call.
        """
        try:
            self.messages.insert_one(doc)
            return doc, True
        except DuplicateKeyError:
            key = doc.get("client_key")
            existing = self.messages.find_one({"client_key": key} if key else {"_id": doc["_id"]})
            if existing is None:
                raise
            return existing, existing["_id"] == doc["_id"]

    def by_id(self, message_id_):
        """A message by id, in whatever chat, or None."""
        return self.messages.find_one({"_id": message_id_}) if isinstance(message_id_, str) else None

    def get(self, chat_id, message_id_):
        """The message of this chat with this id (a thread reply's too), or None."""
        return self.messages.find_one({"_id": message_id_}) if in_chat(message_id_, chat_id) else None

    def in_range(self, chat_id, first, last):
        """The stored messages with first <= seq <= last, oldest first (one lookup of computed ids)."""
        ids = [message_id(chat_id, seq) for seq in range(max(first, 1), last + 1)]
        return sorted(self.by_ids(ids), key=lambda m: m["seq"])

    def by_ids(self, ids):
        """The stored messages among these ids (any order)."""
        return list(self.messages.find({"_id": {"$in": ids}})) if ids else []

    def edit_own(self, chat_id, message_id_, sender_id, content, edited_at, mentions=None, keep=100, rev=0,
                 grams=None):
        """Replace the content of the sender's own, undeleted message, keeping the version it replaces in
        `history` ({"content", "edited_at"}, at most `keep`, oldest first), in one atomic update; mentions, when
        given, replace the message's; the change's Rev is written too. Returns the message after, or None when
        it does not qualify."""
        if not in_chat(message_id_, chat_id):
            return None
        earlier = {"$concatArrays": [{"$ifNull": ["$history", []]},
                                     [{"content": "$content", "edited_at": "$edited_at"}]]}
        changes = {"history": {"$slice": [earlier, -keep]}, "content": {"$literal": content},
                   "edited_at": {"$literal": edited_at}, "rev": message_rev(rev), "revs": message_revs(rev)}
        if mentions is not None:
            changes["mentions"] = {"$literal": mentions}
        if grams is not None:  # the search grams of the new content (chat/search/grams.py), in the same update
            changes["grams"] = {"$literal": grams}
        return self.messages.find_one_and_update(
            {"_id": message_id_, "sender_id": sender_id, "deleted": False}, [{"$set": changes}],
            return_document=ReturnDocument.AFTER)

    def mark_reply_targets_deleted(self, message_id_):
        """Replies to a message that was deleted: their quote becomes empty and says so."""
        self.messages.update_many({"reply_to.id": message_id_},
                                  {"$set": {"reply_to.excerpt": "", "reply_to.deleted": True}})

    def react(self, chat_id, message_id_, user_id, emoji, on, max_emoji, max_own=None, rev=0):
        """Add (on) or remove user_id's emoji on an undeleted message, in one atomic update: adding twice is one
        reaction, and a new emoji is not added beyond max_emoji distinct ones on the message, nor beyond max_own
        distinct ones of user_id (None: no such limit). Returns the message after (whose `reactions` say whether
        it was added), or None when there is no such undeleted message. The change's Rev is written too."""
        if not in_chat(message_id_, chat_id):
            return None
        query, written = {"_id": message_id_, "deleted": False}, {"rev": message_rev(rev), "revs": message_revs(rev)}
        reactions = {"$ifNull": ["$reactions", []]}
        emoji_, user_ = {"$literal": emoji}, {"$literal": user_id}
        if not on:
            others = {"$filter": {"input": reactions, "cond": {"$not": [{"$and": [
                {"$eq": ["$$this.emoji", emoji_]}, {"$eq": ["$$this.user_id", user_]}]}]}}}
            return self.messages.find_one_and_update(
                query, [{"$set": {"reactions": others, **written}}], return_document=ReturnDocument.AFTER)
        used = {"$map": {"input": reactions, "in": "$$this.emoji"}}
        mine = {"$filter": {"input": reactions, "cond": {"$and": [{"$eq": ["$$this.emoji", emoji_]},
                                                                  {"$eq": ["$$this.user_id", user_]}]}}}
        full = {"$and": [{"$not": [{"$in": [emoji_, used]}]},
                         {"$gte": [{"$size": {"$setUnion": [used, []]}}, max_emoji]}]}
        over = [full]
        if max_own is not None:
            own = {"$filter": {"input": reactions, "cond": {"$eq": ["$$this.user_id", user_]}}}
            over.append({"$gte": [{"$size": own}, max_own]})
        keep = {"$or": [{"$gt": [{"$size": mine}, 0]}, *over]}
        added = {"$concatArrays": [reactions, [{"emoji": emoji_, "user_id": user_}]]}
        return self.messages.find_one_and_update(
            query, [{"$set": {"reactions": {"$cond": [keep, reactions, added]}, **written}}],
            return_document=ReturnDocument.AFTER)

    def count_mentions(self, user_id, after):
        """{chat id: how many undeleted messages mention user_id} among the messages of each chat in `after`
        ({chat id: Seq}) with a Seq above it. One aggregate: each chat's range is one `$match` (the first) or
        `$unionWith` branch, a tight range of the mentions index, so it reads only the unread mentions."""
        if not after:
            return {}
        ranges = [{"$match": {"mentions": user_id, "chat_id": chat_id, "seq": {"$gt": seq}}}
                  for chat_id, seq in after.items()]
        unions = [{"$unionWith": {"coll": self.messages.name, "pipeline": [match]}} for match in ranges[1:]]
        undeleted = {"$cond": [{"$eq": ["$deleted", True]}, 0, 1]}  # a deleted message mentions nobody
        counted = self.messages.aggregate(
            [ranges[0], *unions, {"$group": {"_id": "$chat_id", "count": {"$sum": undeleted}}}])
        return {row["_id"]: row["count"] for row in counted}

    def update_own(self, chat_id, message_id_, sender_id, fields, rev=0):
        """Set fields on the sender's own, undeleted message (sender_id None: anyone's), with the change's Rev;
        returns it, or None when it does not qualify."""
        if not in_chat(message_id_, chat_id):
            return None
        values = {name: {"$literal": value} for name, value in fields.items()}
        return self.messages.find_one_and_update(
            {"_id": message_id_, "deleted": False, **({} if sender_id is None else {"sender_id": sender_id})},
            [{"$set": {**values, "rev": message_rev(rev), "revs": message_revs(rev)}}],
            return_document=ReturnDocument.AFTER)

    def changed(self, chat_id, since, upto, limit):
        """The chat's messages whose Rev is in (since, upto], in Rev order, at most limit: one range of the
        (chat_id, rev) index, whatever the chat's length."""
        return list(self.messages.find({"chat_id": chat_id, "rev": {"$gt": since, "$lte": upto}})
                    .sort("rev", ASCENDING).limit(limit))

    def written(self, ids):
        """{message id: the revisions it remembers being written (`revs`)} of the stored messages among ids."""
        found = self.messages.find({"_id": {"$in": list(ids)}}, {"revs": 1}) if ids else ()
        return {doc["_id"]: doc.get("revs") or [] for doc in found}

    def chats_to_forget(self, user_id, name):
        """{chat id: one of its messages} of the chats where user_id has messages not yet shown as from name (a
        deleted account's), in one aggregate of the sender index: what `forget_sender_in` still has to do."""
        # The sender alone in the first stage, so that the store reads it from the index (SecantusDB scans the
        # collection for a first $match that adds the $ne); the name is checked on what the index gave.
        found = self.messages.aggregate([{"$match": {"sender_id": user_id}}, {"$match": {"sender_name": {"$ne": name}}},
                                         {"$group": {"_id": "$chat_id", "marker": {"$first": "$_id"}}}])
        return {row["_id"]: row["marker"] for row in found}

    def forget_sender_in(self, chat_id, user_id, name, marker, rev=0):
        """A deleted account's messages in one chat: content gone (with its earlier versions), shown as deleted,
        from name; the quotes of them in replies, emptied; each written at the chat's Rev rev (0: none, a chat
        gone). marker, one of them, goes last: a sync waits for it (chat/messages/sync.py), so once it landed every
        other one has too. Three updates; running it again changes nothing but the Rev."""
        stamp = {"rev": message_rev(rev), "revs": message_revs(rev)} if rev else {}
        forgotten = {"content": "", "deleted": True, "sender_name": {"$literal": name}, "grams": {"$literal": []},
                     **stamp}
        blank = [{"$set": forgotten}, {"$unset": "history"}]
        self.messages.update_many({"chat_id": chat_id, "sender_id": user_id, "_id": {"$ne": marker}}, blank)
        self.messages.update_many({"chat_id": chat_id, "reply_to.sender_id": user_id}, [{"$set": {
            "reply_to.excerpt": "", "reply_to.deleted": True, "reply_to.sender_name": {"$literal": name}, **stamp}}])
        self.messages.update_one({"_id": marker, "sender_id": user_id}, blank)

    def remove_chat_of(self, chat_id, sender_id):
        """Delete the messages sender_id wrote in chat_id (a deleted account's notes to self)."""
        self.messages.delete_many({"sender_id": sender_id, "chat_id": chat_id})
