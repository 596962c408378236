"""Sessions and one-time tokens: the only code that touches their collections."""
import uuid

from pymongo import ReturnDocument

from ..kernel.clock import as_utc, utcnow


class SessionRepository:
    """A session is one login on one device: it owns the current refresh token id."""

    def __init__(self, db):
        self.sessions = db["sessions"]

    def create(self, user_id, refresh_jti, expires_at, user_agent=None):
        """Start a session; returns its id."""
        session_id = uuid.uuid4().hex
        now = utcnow()
        self.sessions.insert_one({"_id": session_id, "user_id": str(user_id), "refresh_jti": refresh_jti,
                                  "created_at": now, "last_used_at": now, "user_agent": user_agent,
                                  "expires_at": expires_at, "revoked_at": None})
        return session_id

    def active(self, session_id):
        """The session when it exists, is not revoked and has not expired (checked here, not by TTL)."""
        doc = self.sessions.find_one({"_id": session_id})
        return doc if doc and self._live(doc) else None

    def owner(self, session_id):
        """The user id of a session (live or not), or None."""
        doc = self.sessions.find_one({"_id": session_id}, {"user_id": 1}) if isinstance(session_id, str) else None
        return doc and doc["user_id"]

    def rotate(self, session_id, old_jti, new_jti, expires_at):
        """Swap the refresh token id, only if old_jti is still the current one. True on success."""
        now = utcnow()
        doc = self.sessions.find_one_and_update(
            {"_id": session_id, "refresh_jti": old_jti, "revoked_at": None, "expires_at": {"$gt": now}},
            {"$set": {"refresh_jti": new_jti, "expires_at": expires_at, "rotated_at": now, "last_used_at": now}},
            return_document=ReturnDocument.AFTER)
        return doc is not None

    def use(self, session_id, user_id):
        """The session of user_id when it is live, its LastUsedAt moved to now in the same command; else None."""
        now = utcnow()
        return self.sessions.find_one_and_update(
            {"_id": session_id, "user_id": str(user_id), "revoked_at": None, "expires_at": {"$gt": now}},
            {"$set": {"last_used_at": now}}, return_document=ReturnDocument.AFTER)

    def for_user(self, user_id):
        """The user's live sessions (unrevoked, unexpired), most recently used first."""
        return sorted((doc for doc in self._of_user(user_id) if self._live(doc)),
                      key=lambda doc: as_utc(doc.get("last_used_at") or doc["created_at"]), reverse=True)

    def revoke_all(self, user_id, reason, keep=None):
        """Revoke every live session of the user but keep; returns the ids revoked."""
        ids = [doc["_id"] for doc in self._of_user(user_id) if doc["_id"] != keep and not doc.get("revoked_at")]
        for session_id in ids:  # by id: a user has a few sessions
            self.revoke(session_id, reason)
        return ids

    def _of_user(self, user_id):
        # Every session record of the user, through `sessions_by_user` alone (a user has a few): the live ones are
        # picked here rather than in the filter, which a server could then read without the index.
        return self.sessions.find({"user_id": str(user_id)})

    @staticmethod
    def _live(doc):
        return not doc.get("revoked_at") and as_utc(doc["expires_at"]) > utcnow()

    def revoke_own(self, session_id, user_id, reason):
        """Revoke one live session of this user; False when the user has no such live session."""
        if not isinstance(session_id, str):
            return False
        result = self.sessions.update_one({"_id": session_id, "user_id": str(user_id), "revoked_at": None,
                                           "expires_at": {"$gt": utcnow()}},
                                          {"$set": {"revoked_at": utcnow(), "revoked_reason": reason}})
        return result.modified_count == 1

    def remove_all(self, user_id):
        """Delete every session record of the user (a deleted account keeps none)."""
        self.sessions.delete_many({"user_id": str(user_id)})

    def revoke(self, session_id, reason):
        """Revoke the session (idempotent); its record stays until it would have expired."""
        self.sessions.update_one({"_id": session_id, "revoked_at": None},
                                 {"$set": {"revoked_at": utcnow(), "revoked_reason": reason}})


class OneTimeTokenRepository:
    """Hashed single-use tokens (email verification, password reset, email change), with a purpose and an expiry."""

    def __init__(self, db):
        self.tokens = db["one_time_tokens"]

    def issue(self, token_hash, user_id, purpose, expires_at, **extra):
        """Store a new token (with extra fields, such as the address it confirms) and supersede every older one
        of the same user and purpose."""
        self.tokens.update_many({"user_id": str(user_id), "purpose": purpose}, {"$set": {"superseded": True}})
        self.tokens.insert_one({**extra, "_id": token_hash, "user_id": str(user_id), "purpose": purpose,
                                "created_at": utcnow(), "expires_at": expires_at,
                                "used_at": None, "superseded": False})

    def find(self, token_hash):
        return self.tokens.find_one({"_id": token_hash})

    def mark_used(self, token_hash):
        """Use the token up; True for the one caller that did (of two racing uses, one wins)."""
        result = self.tokens.update_one({"_id": token_hash, "used_at": None}, {"$set": {"used_at": utcnow()}})
        return result.modified_count == 1

    def remove_all(self, user_id):
        """Delete every token of the user."""
        self.tokens.delete_many({"user_id": str(user_id)})
