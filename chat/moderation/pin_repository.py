"""Pins: the chat's `pins` (message ids in the order they were pinned, at most PIN_MAX) and each message's
`pinned`, `pinned_at` and `pinned_by`."""
from pymongo import ReturnDocument

from ..chats.revs import message_rev, message_revs


class PinRepository:
    """The pin list of a chat and the pin state of a message."""

    def __init__(self, db):
        self.chats = db["chats"]
        self.messages = db["messages"]

    def add(self, chat_id, message_id, most):
        """Append message_id to the chat's pins unless it is there or the chat has `most` already: one
        conditional update. True when added."""
        result = self.chats.update_one(
            {"_id": chat_id, "pins": {"$ne": message_id}, f"pins.{most - 1}": {"$exists": False}},
            {"$push": {"pins": message_id}})
        return result.modified_count == 1

    def remove(self, chat_id, message_id):
        """Take message_id off the chat's pins (idempotent)."""
        self.chats.update_one({"_id": chat_id}, {"$pull": {"pins": message_id}})

    def mark(self, message_id, on, at, by, rev):
        """Write the pin state of an undeleted message with the change's Rev; the message after, or None."""
        state = {"pinned": True, "pinned_at": at, "pinned_by": by} if on else {"pinned": False}
        values = {name: {"$literal": value} for name, value in state.items()}
        return self.messages.find_one_and_update(
            {"_id": message_id, "deleted": False},
            [{"$set": {**values, "rev": message_rev(rev), "revs": message_revs(rev)}}],
            return_document=ReturnDocument.AFTER)
