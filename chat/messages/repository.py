"""The `messages` collection: the only code that touches it.

A message is keyed `<chat id>:<seq>`, so a history page is a list of ids computed from the chat's Seq,
whatever the chat's length. A message sent with a ClientId also carries `client_key`
(`<chat>:<sender>:<ClientId>`, unique): the message and its idempotency key are one document, written
by one insert, so no failure can store one without the other.
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


def chat_id_of(message_id_):
    """The id of the chat a message id names (None for anything that is not a message id)."""
    if not isinstance(message_id_, str):
        return None
    chat_id, _, seq = message_id_.rpartition(":")
    return chat_id if chat_id and seq.isdigit() else None


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
