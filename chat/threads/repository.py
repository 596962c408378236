"""The reads and writes of threads: a root's summary and its replies (in `messages`), and who follows which
thread (`thread_follows`). The only code that touches `thread_follows`.

A root carries `thread`: {"seq": the last ThreadSeq taken, "count": replies not deleted, "last_at", "participants":
the first 10 repliers}. A reply is a message with `thread_of` (the root's id) and `thread_seq`, and no `seq`: so
it is in no history page (those are computed `<chat>:<seq>` ids), in no `Unread` and no `UnreadMentions` (both
count Seqs). A follow is {"_id": "<root>@<user>", "user_id", "root_id", "chat_id", "on", "read": the ThreadSeq read
up to, "last_reply_at"}; the list of a user's threads is one range of the (user_id, on, last_reply_at) index.
"""
from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from ..chats.revs import message_rev, message_revs
from ..kernel.records import Chat

PARTICIPANTS = 10  # repliers listed in a root's summary


def follow_id(root_id, user_id):
    return f"{root_id}@{user_id}"


class ThreadRepository:
    """Roots' summaries, replies by ThreadSeq, and follows."""

    def __init__(self, db):
        self.messages = db["messages"]
        self.follows = db["thread_follows"]
        self.chats_ = db["chats"]  # read only: the chats of a page of followed threads

    def add_reply(self, chat_id, root_id, sender_id, now, rev):
        """Take the root's next ThreadSeq and count one reply more, in one atomic update that only matches an
        undeleted top-level message of chat_id: ReplyCount + 1, LastReplyAt, the sender among the first
        participants, and the change's Rev. Returns the root after (its `thread.seq` is the one taken), or None."""
        thread = {"$ifNull": ["$thread", {}]}
        seen = {"$ifNull": ["$thread.participants", []]}
        joined = {"$cond": [{"$or": [{"$in": [sender_id, seen]}, {"$gte": [{"$size": seen}, PARTICIPANTS]}]},
                            seen, {"$concatArrays": [seen, [sender_id]]}]}
        summary = {"$mergeObjects": [thread, {
            "seq": {"$add": [{"$ifNull": ["$thread.seq", 0]}, 1]},
            "count": {"$add": [{"$ifNull": ["$thread.count", 0]}, 1]},
            "last_at": {"$max": [{"$ifNull": ["$thread.last_at", now]}, {"$literal": now}]},
            "participants": joined}]}
        return self.messages.find_one_and_update(
            {"_id": root_id, "chat_id": chat_id, "deleted": False, "thread_of": None, "seq": {"$exists": True}},
            [{"$set": {"thread": summary, "rev": message_rev(rev), "revs": message_revs(rev)}}],
            return_document=ReturnDocument.AFTER)

    def reply_gone(self, root_id, rev):
        """One reply fewer in the root's ReplyCount (a reply was deleted), at the change's Rev; the root after."""
        count = {"$max": [0, {"$add": [{"$ifNull": ["$thread.count", 0]}, -1]}]}
        return self.messages.find_one_and_update(
            {"_id": root_id, "thread": {"$exists": True}},
            [{"$set": {"thread": {"$mergeObjects": ["$thread", {"count": count}]}, "rev": message_rev(rev),
                       "revs": message_revs(rev)}}], return_document=ReturnDocument.AFTER)

    def by_client_key(self, key):
        """The message stored with this idempotency key, or None."""
        return self.messages.find_one({"client_key": key})

    def page(self, root_id, below=None, above=None, limit=20):
        """(replies oldest→newest, has_more) of the thread: the newest `limit` with ThreadSeq below `below` (None:
        the newest), or with `above` the oldest `limit` above it. One range of the (thread_of, thread_seq) index."""
        if above is not None:
            found = list(self.messages.find({"thread_of": root_id, "thread_seq": {"$gt": above}})
                         .sort("thread_seq", ASCENDING).limit(limit + 1))
            return found[:limit], len(found) > limit
        query = {"thread_of": root_id}
        if below is not None:
            query["thread_seq"] = {"$lt": below}
        found = list(self.messages.find(query).sort("thread_seq", DESCENDING).limit(limit + 1))
        return found[:limit][::-1], len(found) > limit

    # Follows

    def _upsert(self, _id, update):
        try:
            self.follows.update_one({"_id": _id}, update, upsert=True)
        except DuplicateKeyError:  # a racing upsert made it first: the update applies to it now
            self.follows.update_one({"_id": _id}, update)

    def replied(self, chat_id, root, reply, newcomers):
        """After a reply: its sender follows (and has read up to it), `newcomers` ({user id: ThreadSeq read up to})
        follow unless they chose otherwise before, and every follow of the thread moves to the top of its
        follower's list. Returns the ids of the thread's followers now."""
        root_id, now, seq = root["_id"], reply["created_at"], reply["thread_seq"]
        base = {"user_id": None, "root_id": root_id, "chat_id": chat_id}
        self._upsert(follow_id(root_id, reply["sender_id"]), {
            "$set": {**base, "user_id": reply["sender_id"], "on": True}, "$max": {"read": seq, "last_reply_at": now}})
        for user_id, read in newcomers.items():
            self._upsert(follow_id(root_id, user_id), {"$setOnInsert": {**base, "user_id": user_id, "on": True,
                                                                        "read": read}})
        self.follows.update_many({"root_id": root_id}, {"$max": {"last_reply_at": now}})
        return [row["user_id"] for row in self.follows.find({"root_id": root_id, "on": True}, {"user_id": 1})]

    def set_follow(self, chat_id, root, user_id, on, read, last_at):
        """Follow (on) or stop following the thread; a new follow has read up to `read`."""
        self._upsert(follow_id(root["_id"], user_id), {
            "$set": {"on": bool(on)}, "$setOnInsert": {"user_id": user_id, "root_id": root["_id"], "chat_id": chat_id,
                                                        "read": read, "last_reply_at": last_at}})

    def mark_read(self, chat_id, root, user_id, seq, last_at):
        """Move user_id's read position in the thread to seq if further (never back); True when it moved. A
        thread they do not follow keeps the position without following it."""
        before = self.follows.find_one_and_update(
            {"_id": follow_id(root["_id"], user_id)},
            {"$max": {"read": seq}, "$setOnInsert": {"user_id": user_id, "root_id": root["_id"], "chat_id": chat_id,
                                                    "on": False, "last_reply_at": last_at}},
            upsert=True, return_document=ReturnDocument.BEFORE)
        return before is None or before.get("read", 0) < seq

    def followed(self, user_id, skip, limit):
        """(total, follows) of the threads user_id follows, most recent reply first: one index range."""
        query = {"user_id": user_id, "on": True}
        total = self.follows.count_documents(query)
        rows = list(self.follows.find(query).sort("last_reply_at", DESCENDING).skip(skip).limit(limit))
        return total, rows

    def roots(self, ids):
        """{id: message} of these roots."""
        return {doc["_id"]: doc for doc in self.messages.find({"_id": {"$in": list(ids)}})} if ids else {}

    def chats(self, ids):
        """{id: chat} of these chats (`Chat` records of their kind, members, whether deleted, mutes and names), in
        one lookup."""
        shown = {"kind": 1, "members": 1, "deleted": 1, "muted": 1, "name": 1, "names": 1}
        found = self.chats_.find({"_id": {"$in": list(ids)}}, shown) if ids else ()
        return {doc["_id"]: Chat.from_doc(doc) for doc in found}

    def replied_between(self, since, until):
        """The follows whose thread had a reply in (since, until] (the digest sweep): one range of the
        `follows_by_reply` index."""
        return list(self.follows.find({"last_reply_at": {"$gt": since, "$lte": until}, "on": True}))

    def followed_recent(self, user_id, limit):
        """The newest `limit` follows of user_id, most recent reply first (the digest)."""
        return list(self.follows.find({"user_id": user_id, "on": True}).sort("last_reply_at", DESCENDING).limit(limit))

    def replies_at(self, seqs):
        """{root id: its reply numbered seq} for {root id: seq} (each thread's newest reply, for the digest)."""
        if not seqs:
            return {}
        found = self.messages.find({"$or": [{"thread_of": root, "thread_seq": seq} for root, seq in seqs.items()]})
        return {doc["thread_of"]: doc for doc in found}

    def stop_following(self, follow_ids):
        """Those follows end (their follower is no longer in the chat)."""
        if follow_ids:
            self.follows.update_many({"_id": {"$in": list(follow_ids)}}, {"$set": {"on": False}})

    def forget_user(self, user_id):
        """A deleted account's follows go."""
        self.follows.delete_many({"user_id": str(user_id)})
