"""The append-only logs: `group_audit` (what admins did in a group) and `security_log` (what happened to an
account). The only code that touches those collections. Nothing here updates an entry: a log only grows, and
loses entries only with what they are about (a deleted account's security log, a deleted group's audit)."""
from pymongo import DESCENDING

from ..kernel.clock import utcnow


class LogRepository:
    """One append-only collection of entries keyed by an owner field (`group_id` or `user_id`), newest first."""

    def __init__(self, collection, owner_field):
        self.entries = collection
        self.owner_field = owner_field

    def append(self, owner_id, entry):
        """Store one entry of owner_id, stamped now; returns it."""
        doc = {self.owner_field: str(owner_id), "at": utcnow(), **entry}
        self.entries.insert_one(doc)
        return doc

    def page(self, owner_id, skip, limit):
        """(total, entries) of owner_id: one page, newest first (the `_id` order is the insert order)."""
        query = {self.owner_field: str(owner_id)}
        total = self.entries.count_documents(query)
        rows = list(self.entries.find(query).sort("_id", DESCENDING).skip(skip).limit(limit))
        return total, rows

    def forget(self, owner_id):
        """Delete every entry of owner_id (the account or group is gone)."""
        self.entries.delete_many({self.owner_field: str(owner_id)})


def audit_repository(db):
    """The groups' audit log."""
    return LogRepository(db["group_audit"], "group_id")


def security_repository(db):
    """The accounts' security log."""
    return LogRepository(db["security_log"], "user_id")
