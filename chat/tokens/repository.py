"""The `access_tokens` collection: the only code that touches personal access tokens.

A token is stored as the SHA-256 of its value (`hash`, uniquely indexed), so looking one up is an index
lookup by equality on the hash, never a string comparison of secrets; the value itself is never stored.
"""
import uuid

from ..kernel.clock import utcnow


class AccessTokenRepository:
    """Stores, finds, lists and revokes personal access tokens."""

    def __init__(self, db):
        self.tokens = db["access_tokens"]

    def insert(self, user_id, token_hash, name, scopes, expires_at):
        """Store a new token of user_id; returns its record."""
        doc = {"_id": uuid.uuid4().hex, "user_id": str(user_id), "hash": token_hash, "name": name,
               "scopes": list(scopes), "created_at": utcnow(), "expires_at": expires_at, "last_used_at": None,
               "revoked_at": None}
        self.tokens.insert_one(doc)
        return doc

    def by_hash(self, token_hash):
        """The record whose hash is token_hash (revoked and expired ones too), or None."""
        return self.tokens.find_one({"hash": token_hash})

    def for_user(self, user_id):
        """The user's unrevoked tokens (expired ones too), newest first."""
        found = [doc for doc in self.tokens.find({"user_id": str(user_id)}) if not doc.get("revoked_at")]
        return sorted(found, key=lambda doc: doc["created_at"], reverse=True)

    def count_live(self, user_id):
        """How many unrevoked tokens the user holds."""
        return len(self.for_user(user_id))

    def revoke_own(self, token_id, user_id):
        """Revoke one unrevoked token of the user; False when the user has no such token."""
        result = self.tokens.update_one({"_id": token_id, "user_id": str(user_id), "revoked_at": None},
                                        {"$set": {"revoked_at": utcnow()}})
        return result.modified_count == 1

    def touch(self, token_id, now):
        """Record a use (LastUsedAt)."""
        self.tokens.update_one({"_id": token_id}, {"$set": {"last_used_at": now}})

    def remove_all(self, user_id):
        """Delete every token of the user (a deleted account or bot keeps none)."""
        self.tokens.delete_many({"user_id": str(user_id)})
