"""The `invites` collection: a group's invite links, keyed by their code.

An invite: {"_id": code, "group_id", "created_by", "created_at", "max_uses" (None: unlimited), "uses",
"expires_at" (None: never), "revoked"}. A use is taken by one conditional update (`take_use`), so of any number of
people racing for the last use exactly one gets it.
"""
from pymongo import DESCENDING


def usable(now):
    """The filter of an invite that can be used at now: not revoked, not expired, uses left."""
    return {"revoked": False, "$and": [
        {"$or": [{"expires_at": None}, {"expires_at": {"$gt": now}}]},
        {"$or": [{"max_uses": None}, {"$expr": {"$lt": ["$uses", "$max_uses"]}}]}]}


class InviteRepository:
    """Invite links."""

    def __init__(self, db):
        self.invites = db["invites"]

    def create(self, doc):
        self.invites.insert_one(doc)
        return doc

    def get(self, code):
        return self.invites.find_one({"_id": code}) if isinstance(code, str) else None

    def for_group(self, group_id):
        """The group's invites that are not revoked, newest first."""
        return list(self.invites.find({"group_id": group_id, "revoked": False}).sort("created_at", DESCENDING))

    def take_use(self, code, now):
        """Count one use of a usable invite, in one conditional update; True when it was taken."""
        result = self.invites.update_one({"_id": code, **usable(now)}, {"$inc": {"uses": 1}})
        return result.modified_count == 1

    def give_back(self, code):
        """A use that let nobody in (the join was refused): counted no more."""
        self.invites.update_one({"_id": code, "uses": {"$gt": 0}}, {"$inc": {"uses": -1}})

    def revoke(self, code, group_id):
        """Revoke one of the group's invites; True when there was one to revoke."""
        result = self.invites.update_one({"_id": code, "group_id": group_id, "revoked": False},
                                         {"$set": {"revoked": True}})
        return result.modified_count == 1
