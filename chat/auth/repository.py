"""Sessions and one-time tokens: the only code that touches their collections."""
import uuid

from pymongo import ReturnDocument

from ..clock import as_utc, utcnow


class SessionRepository:
    """A session is one login on one device: it owns the current refresh token id."""

    def __init__(self, db):
        self.sessions = db["sessions"]

    def create(self, user_id, refresh_jti, expires_at):
        """Start a session; returns its id."""
        session_id = uuid.uuid4().hex
        self.sessions.insert_one({"_id": session_id, "user_id": str(user_id), "refresh_jti": refresh_jti,
                                  "created_at": utcnow(), "expires_at": expires_at, "revoked_at": None})
        return session_id

    def active(self, session_id):
        """The session when it exists, is not revoked and has not expired (checked here, not by TTL)."""
        doc = self.sessions.find_one({"_id": session_id})
        if not doc or doc.get("revoked_at") or as_utc(doc["expires_at"]) <= utcnow():
            return None
        return doc

    def rotate(self, session_id, old_jti, new_jti, expires_at):
        """Swap the refresh token id, only if old_jti is still the current one. True on success."""
        doc = self.sessions.find_one_and_update(
            {"_id": session_id, "refresh_jti": old_jti, "revoked_at": None, "expires_at": {"$gt": utcnow()}},
            {"$set": {"refresh_jti": new_jti, "expires_at": expires_at, "rotated_at": utcnow()}},
            return_document=ReturnDocument.AFTER)
        return doc is not None

    def revoke(self, session_id, reason):
        """Revoke the session (idempotent); its record stays until it would have expired."""
        self.sessions.update_one({"_id": session_id, "revoked_at": None},
                                 {"$set": {"revoked_at": utcnow(), "revoked_reason": reason}})


class OneTimeTokenRepository:
    """Hashed single-use tokens (email verification), with a purpose and an expiry."""

    def __init__(self, db):
        self.tokens = db["one_time_tokens"]

    def issue(self, token_hash, user_id, purpose, expires_at):
        """Store a new token and supersede every older unused one of the same user and purpose."""
        self.tokens.update_many({"user_id": str(user_id), "purpose": purpose}, {"$set": {"superseded": True}})
        self.tokens.insert_one({"_id": token_hash, "user_id": str(user_id), "purpose": purpose,
                                "created_at": utcnow(), "expires_at": expires_at,
                                "used_at": None, "superseded": False})

    def find(self, token_hash):
        return self.tokens.find_one({"_id": token_hash})

    def mark_used(self, token_hash):
        self.tokens.update_one({"_id": token_hash, "used_at": None}, {"$set": {"used_at": utcnow()}})
