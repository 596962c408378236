"""The `messages`, `client_keys` and `read_state` collections: the only code that touches them.

Every lookup is by `_id`, which every store indexes: a message is `<chat id>:<seq>`, so a history
page is a list of ids computed from the chat's Seq, whatever the chat's length; a ClientId is
remembered as `<chat>:<sender>:<ClientId>`; a read position is `<chat>:<user>`.
"""
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError


def message_id(chat_id, seq):
    """The id of the chat's message number seq."""
    return f"{chat_id}:{seq}"


def seq_of(message_id_, chat_id):
    """The Seq a message id names in this chat, or None when it is not one of this chat's ids."""
    if not isinstance(message_id_, str) or not message_id_.startswith(f"{chat_id}:"):
        return None
    tail = message_id_[len(chat_id) + 1:]
    return int(tail) if tail.isdigit() and len(tail) < 16 else None


class MessageRepository:
    """One document per message, keyed by chat and Seq; one key per (chat, sender, ClientId)."""

    def __init__(self, db):
        self.messages = db["messages"]
        self.client_keys = db["client_keys"]

    @staticmethod
    def _client_key(chat_id, sender_id, client_id):
        return f"{chat_id}:{sender_id}:{client_id}"

    def by_client_id(self, chat_id, sender_id, client_id):
        """The message already stored for this ClientId, or None."""
        key = self.client_keys.find_one({"_id": self._client_key(chat_id, sender_id, client_id)})
        return self.messages.find_one({"_id": key["message_id"]}) if key else None

    def insert(self, doc, client_id=None):
        """Store doc (and its ClientId). Returns (doc, True), or (the message stored first, False) when
        another send with the same ClientId won a race: this one is withdrawn again."""
        self.messages.insert_one(doc)
        if client_id is None:
            return doc, True
        try:
            self.client_keys.insert_one({"_id": self._client_key(doc["chat_id"], doc["sender_id"], client_id),
                                         "message_id": doc["_id"], "created_at": doc["created_at"]})
        except DuplicateKeyError:
            self.messages.delete_one({"_id": doc["_id"]})
            return self.by_client_id(doc["chat_id"], doc["sender_id"], client_id), False
        return doc, True

    def by_id(self, message_id_):
        """A message by id, in whatever chat, or None."""
        return self.messages.find_one({"_id": message_id_}) if isinstance(message_id_, str) else None

    def get(self, chat_id, message_id_):
        """The message of this chat with this id, or None."""
        seq = seq_of(message_id_, chat_id)
        return self.messages.find_one({"_id": message_id_}) if seq is not None else None

    def in_range(self, chat_id, first, last):
        """The stored messages with first <= seq <= last, oldest first (one lookup of computed ids)."""
        ids = [message_id(chat_id, seq) for seq in range(max(first, 1), last + 1)]
        return sorted(self.by_ids(ids), key=lambda m: m["seq"])

    def by_ids(self, ids):
        """The stored messages among these ids (any order)."""
        return list(self.messages.find({"_id": {"$in": ids}})) if ids else []

    def update_own(self, chat_id, message_id_, sender_id, fields):
        """Set fields on the sender's own, undeleted message; returns it, or None when it does not qualify."""
        if seq_of(message_id_, chat_id) is None:
            return None
        return self.messages.find_one_and_update(
            {"_id": message_id_, "sender_id": sender_id, "deleted": False},
            {"$set": fields}, return_document=ReturnDocument.AFTER)


class ReadStateRepository:
    """How far each user has read each chat; it only ever moves forward."""

    def __init__(self, db):
        self.read_state = db["read_state"]

    def advance(self, chat_id, user_id, seq, at):
        """Move the user's read position to seq if that is further. True when it moved."""
        query = {"_id": f"{chat_id}:{user_id}", "seq": {"$lt": seq}}
        update = {"$set": {"seq": seq, "read_at": at, "chat_id": chat_id, "user_id": user_id}}
        try:
            result = self.read_state.update_one(query, update, upsert=True)
        except DuplicateKeyError:
            # The record exists at or past seq (the upsert collided with it), or a concurrent first read
            # created it a moment ago: try again as a plain update.
            result = self.read_state.update_one(query, update)
        return bool(result.modified_count or result.upserted_id)

    def positions(self, user_id, chat_ids):
        """{chat_id: seq read up to} for the user's chats (absent: nothing read)."""
        ids = [f"{chat_id}:{user_id}" for chat_id in chat_ids]
        return {doc["chat_id"]: doc["seq"] for doc in self.read_state.find({"_id": {"$in": ids}})}
