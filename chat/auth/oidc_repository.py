"""OpenID Connect records: sign-in flows in progress, accounts linked to a provider's subject, and the one-time
hand-off codes of finished sign-ins. The only code that touches `oidc_flows`, `oidc_links` and `oidc_handoffs`.

Expiry is always checked here in code; the TTL indexes (chat/db.py) only clean up.
"""
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from ..kernel.clock import utcnow


class DuplicateLink(Exception):
    """The provider's subject is linked to an account already."""


class OidcRepository:
    """Flows (keyed by the hash of their `state`), links and hand-offs (keyed by the hash of their code)."""

    def __init__(self, db):
        self.flows = db["oidc_flows"]
        self.links = db["oidc_links"]
        self.handoffs = db["oidc_handoffs"]

    # Flows

    def add_flow(self, state_hash, provider, nonce, code_verifier, browser_hash, expires_at):
        """Remember a started sign-in until expires_at."""
        self.flows.insert_one({"_id": state_hash, "provider": provider, "nonce": nonce,
                               "code_verifier": code_verifier, "browser": browser_hash, "created_at": utcnow(),
                               "expires_at": expires_at, "used_at": None})

    def take_flow(self, state_hash):
        """The unexpired flow of this state, used up by this call (of two racing callbacks, one gets it); None
        when it is unknown, expired or used already."""
        now = utcnow()
        return self.flows.find_one_and_update({"_id": state_hash, "used_at": None, "expires_at": {"$gt": now}},
                                              {"$set": {"used_at": now}}, return_document=ReturnDocument.AFTER)

    # Links

    def linked_user(self, provider, subject):
        """The user id linked to the provider's subject, or None."""
        doc = self.links.find_one({"provider": provider, "subject": subject}, {"user_id": 1})
        return doc["user_id"] if doc else None

    def link(self, provider, subject, user_id):
        """Link the subject to the user; raises DuplicateLink when it is linked already."""
        try:
            self.links.insert_one({"provider": provider, "subject": subject, "user_id": str(user_id),
                                   "created_at": utcnow()})
        except DuplicateKeyError:
            raise DuplicateLink(provider) from None

    def unlink(self, provider, subject):
        """Forget the subject's link (its account is gone)."""
        self.links.delete_one({"provider": provider, "subject": subject})

    def remove_user(self, user_id):
        """Forget every link, and every hand-off, of a deleted account."""
        self.links.delete_many({"user_id": str(user_id)})
        self.handoffs.delete_many({"user_id": str(user_id)})

    def links_of(self, user_id):
        """The providers the user is linked with, by name."""
        return sorted(doc["provider"] for doc in self.links.find({"user_id": str(user_id)}, {"provider": 1}))

    # Hand-offs

    def add_handoff(self, code_hash, expires_at, user_id=None, pending=None):
        """A one-time code for a finished sign-in: of a linked user, or of a new account still `pending` (the
        provider's claims, until the person picks a free username)."""
        self.handoffs.insert_one({"_id": code_hash, "user_id": str(user_id) if user_id else None,
                                  "pending": pending, "created_at": utcnow(), "expires_at": expires_at,
                                  "used_at": None})

    def claim_handoff(self, code_hash):
        """The unexpired, unused hand-off of this code, used up by this call; None otherwise."""
        now = utcnow()
        return self.handoffs.find_one_and_update(
            {"_id": code_hash, "used_at": None, "expires_at": {"$gt": now}}, {"$set": {"used_at": now}},
            return_document=ReturnDocument.AFTER)

    def release_handoff(self, code_hash):
        """Make a claimed hand-off usable again (its new account's username was taken: the person picks another)."""
        self.handoffs.update_one({"_id": code_hash}, {"$set": {"used_at": None}})
