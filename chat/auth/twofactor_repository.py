"""Two-factor sign-in records: the only code that touches `two_factor` and `mfa_challenges`.

`two_factor` has one document per account that has begun or finished enrolling, keyed by the user id:
the TOTP secret (encrypted by the service), whether it is enabled, the hashes of the unused recovery codes,
and `last_step`, the newest TOTP time step used. A code is accepted only for a step after `last_step`, set in
the same atomic update, so a code works once in its window whichever process sees it.
`mfa_challenges` are the `mfa_token`s of passwords checked at `/login`, stored hashed, single-use.
"""
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from ..kernel.clock import utcnow


class TwoFactorRepository:
    """An account's TOTP enrolment."""

    def __init__(self, db):
        self.docs = db["two_factor"]

    def get(self, user_id):
        """The account's record, or None."""
        return self.docs.find_one({"_id": str(user_id)})

    def set_pending(self, user_id, secret):
        """Start (or restart) enrolment with a new secret, unless 2FA is enabled. True when set."""
        try:  # an enabled record does not match, and the upsert then collides with its _id
            self.docs.update_one({"_id": str(user_id), "enabled": {"$ne": True}},
                                 {"$set": {"pending_secret": secret, "pending_at": utcnow(), "enabled": False}},
                                 upsert=True)
        except DuplicateKeyError:
            return False
        return True

    def enable(self, user_id, secret, recovery_hashes, step):
        """Turn 2FA on with the pending secret (only if it is still the one checked); True when done."""
        doc = self.docs.find_one_and_update(
            {"_id": str(user_id), "enabled": False, "pending_secret": secret},
            {"$set": {"enabled": True, "secret": secret, "recovery": list(recovery_hashes), "last_step": step,
                      "enabled_at": utcnow()}, "$unset": {"pending_secret": "", "pending_at": ""}},
            return_document=ReturnDocument.AFTER)
        return doc is not None

    def use_step(self, user_id, step):
        """Record that a code of this time step was used; False when it (or a later one) already was."""
        result = self.docs.update_one({"_id": str(user_id), "enabled": True, "last_step": {"$lt": step}},
                                      {"$set": {"last_step": step}})
        return result.modified_count == 1

    def use_recovery(self, user_id, code_hash):
        """Use up one recovery code; False when it is not (or no longer) one of the account's."""
        result = self.docs.update_one({"_id": str(user_id), "enabled": True, "recovery": code_hash},
                                      {"$pull": {"recovery": code_hash}})
        return result.modified_count == 1

    def remove(self, user_id):
        """Forget the account's enrolment (2FA disabled, or the account deleted)."""
        self.docs.delete_one({"_id": str(user_id)})


class ChallengeRepository:
    """`mfa_token`s: a checked password waiting for its second factor."""

    def __init__(self, db):
        self.challenges = db["mfa_challenges"]

    def create(self, token_hash, user_id, expires_at, user_agent=None, epoch=0):
        """Store a new challenge; epoch is the account's link generation (a password change moves it on)."""
        self.challenges.insert_one({"_id": token_hash, "user_id": str(user_id), "expires_at": expires_at,
                                    "user_agent": user_agent, "epoch": epoch, "failures": 0, "created_at": utcnow()})

    def find(self, token_hash):
        return self.challenges.find_one({"_id": token_hash})

    def failed(self, token_hash):
        """Count a wrong code; returns the failures so far (0 when the challenge is gone)."""
        doc = self.challenges.find_one_and_update({"_id": token_hash}, {"$inc": {"failures": 1}},
                                                  return_document=ReturnDocument.AFTER)
        return doc["failures"] if doc else 0

    def consume(self, token_hash):
        """Use the challenge up; True for the one caller that did."""
        return self.challenges.delete_one({"_id": token_hash}).deleted_count == 1

    def remove_all(self, user_id):
        """Delete every challenge of the user."""
        self.challenges.delete_many({"user_id": str(user_id)})
