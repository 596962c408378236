"""The `messages` and `read_state` collections: the only code that touches them."""
from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from ..ids import to_object_id


class MessageRepository:
    """One document per message; (chat_id, seq) orders a chat, (chat_id, sender_id, client_key) dedupes."""

    def __init__(self, db):
        self.messages = db["messages"]

    def by_client_key(self, chat_id, sender_id, client_key):
        return self.messages.find_one({"chat_id": chat_id, "sender_id": sender_id, "client_key": client_key})

    def insert(self, doc):
        """Insert doc; returns (doc, True), or (the stored duplicate, False) for a repeated ClientId."""
        try:
            self.messages.insert_one(doc)
            return doc, True
        except DuplicateKeyError:
            return self.by_client_key(doc["chat_id"], doc["sender_id"], doc["client_key"]), False

    def by_id(self, message_id):
        oid = to_object_id(message_id)
        return self.messages.find_one({"_id": oid}) if oid else None

    def get(self, chat_id, message_id):
        """The message of this chat with this id, or None."""
        oid = to_object_id(message_id)
        return self.messages.find_one({"_id": oid, "chat_id": chat_id}) if oid else None

    def newest(self, chat_id, limit, below_seq=None):
        """Up to limit messages with seq < below_seq (or the newest), newest first."""
        query = {"chat_id": chat_id}
        if below_seq is not None:
            query["seq"] = {"$lt": below_seq}
        return list(self.messages.find(query).sort("seq", DESCENDING).limit(limit))

    def oldest_after(self, chat_id, above_seq, limit):
        """Up to limit messages with seq > above_seq, oldest first."""
        query = {"chat_id": chat_id, "seq": {"$gt": above_seq}}
        return list(self.messages.find(query).sort("seq", ASCENDING).limit(limit))

    def update_own(self, chat_id, message_id, sender_id, fields):
        """Set fields on the sender's own, undeleted message; returns it, or None when it does not qualify."""
        oid = to_object_id(message_id)
        if oid is None:
            return None
        return self.messages.find_one_and_update(
            {"_id": oid, "chat_id": chat_id, "sender_id": sender_id, "deleted": False},
            {"$set": fields}, return_document=ReturnDocument.AFTER)


class ReadStateRepository:
    """How far each user has read each chat; it only ever moves forward."""

    def __init__(self, db):
        self.read_state = db["read_state"]

    def advance(self, chat_id, user_id, seq, at):
        """Move the user's read position to seq if that is further. True when it moved."""
        query = {"user_id": user_id, "chat_id": chat_id, "seq": {"$lt": seq}}
        update = {"$set": {"seq": seq, "read_at": at}}
        try:
            result = self.read_state.update_one(query, update, upsert=True)
        except DuplicateKeyError:
            # The record exists: at or past seq, or just created by a concurrent advance (MongoDB does not
            # retry this upsert for us, its filter is not an equality on the key); try again as an update.
            result = self.read_state.update_one(query, update)
        return bool(result.modified_count or result.upserted_id)

    def positions(self, user_id, chat_ids):
        """{chat_id: seq read up to} for the user's chats (absent: nothing read)."""
        found = self.read_state.find({"user_id": user_id, "chat_id": {"$in": list(chat_ids)}})
        return {doc["chat_id"]: doc["seq"] for doc in found}
