"""The notification collections: the only code that touches them.

`push_subscriptions`: one browser subscription each, keyed by the SHA-256 of its endpoint (a browser that signs
in as another user moves its subscription over): `user_id`, `endpoint`, `p256dh`, `auth`, `created_at`.
`notify_state`: one per user who has settings or a digest pending, keyed by the user's id: `email` (all,
mentions, off; none means all), `due_at` (when a digest may be due: set when a message reaches them while away),
`not_before` (the end of the last digest's window), `digested.<chat id>` (the Seq the last digest covered).
`push_claims`: one per message and subscription pushed (`_id` `<message id>|<subscription id>`), so that no
message is pushed twice to one subscription; deleted after a day, in code. `server_keys`: the VAPID key.
"""
import hashlib
from datetime import timedelta

from pymongo import ReturnDocument, UpdateOne
from pymongo.errors import DuplicateKeyError

from ..clock import utcnow

VAPID_KEY_ID = "vapid"


def subscription_id(endpoint):
    return hashlib.sha256(endpoint.encode("utf-8")).hexdigest()


class NotifyRepository:
    """Subscriptions, settings and digest state, push claims and the VAPID key."""

    def __init__(self, db):
        self.subscriptions = db["push_subscriptions"]
        self.state = db["notify_state"]
        self.claims = db["push_claims"]
        self.keys = db["server_keys"]

    # The VAPID key

    def vapid_key(self, make):
        """The stored VAPID private key (PEM), made with make() and stored on first use; racing processes
        agree on the first one stored."""
        found = self.keys.find_one({"_id": VAPID_KEY_ID})
        if found:
            return found["private_pem"]
        try:
            self.keys.insert_one({"_id": VAPID_KEY_ID, "private_pem": make(), "created_at": utcnow()})
        except DuplicateKeyError:
            pass
        return self.keys.find_one({"_id": VAPID_KEY_ID})["private_pem"]

    # Subscriptions

    def count_subscriptions(self, user_id):
        return self.subscriptions.count_documents({"user_id": user_id})

    def subscription(self, sub_id):
        return self.subscriptions.find_one({"_id": sub_id})

    def save_subscription(self, user_id, endpoint, p256dh, auth):
        """Store (or move to user_id, with new keys) the subscription of this endpoint. True when it is new."""
        result = self.subscriptions.update_one(
            {"_id": subscription_id(endpoint)},
            {"$set": {"user_id": user_id, "endpoint": endpoint, "p256dh": p256dh, "auth": auth},
             "$setOnInsert": {"created_at": utcnow()}}, upsert=True)
        return result.upserted_id is not None

    def delete_subscription(self, user_id, endpoint):
        """Delete the user's subscription of this endpoint; True when there was one."""
        return self.subscriptions.delete_one({"_id": subscription_id(endpoint), "user_id": user_id}).deleted_count == 1

    def drop_subscription(self, sub_id):
        """Delete a subscription its push service says is gone (404/410)."""
        self.subscriptions.delete_one({"_id": sub_id})

    def subscriptions_of(self, user_ids):
        return list(self.subscriptions.find({"user_id": {"$in": list(user_ids)}}))

    # Push claims

    def claim_push(self, message_id, sub_id):
        """True for the one caller that may push this message to this subscription (a unique insert)."""
        try:
            self.claims.insert_one({"_id": f"{message_id}|{sub_id}", "created_at": utcnow()})
            return True
        except DuplicateKeyError:
            return False

    def purge_claims(self, older_than=timedelta(days=1)):
        return self.claims.delete_many({"created_at": {"$lt": utcnow() - older_than}}).deleted_count

    # Settings and digest state

    def states(self, user_ids):
        """{user id: notify_state document} of those that have one."""
        return {doc["_id"]: doc for doc in self.state.find({"_id": {"$in": list(user_ids)}})}

    def state_of(self, user_id):
        return self.state.find_one({"_id": user_id}) or {"_id": user_id}

    def set_email(self, user_id, value):
        self.state.update_one({"_id": user_id}, {"$set": {"email": value}}, upsert=True)

    def mark_due(self, due):
        """{user id: time}: a digest may be due for each at that time (or earlier, if it already was)."""
        if due:
            self.state.bulk_write([UpdateOne({"_id": user_id}, {"$min": {"due_at": when}}, upsert=True)
                                   for user_id, when in due.items()], ordered=False)

    def due(self, now, limit):
        """Users whose digest may be due by now, the most overdue first."""
        return list(self.state.find({"due_at": {"$lte": now}}).sort("due_at", 1).limit(limit))

    def move_due(self, state, when):
        """Compare-and-set: the due time read becomes `when` (None: no digest pending). True when this call did it."""
        change = {"$set": {"due_at": when}} if when is not None else {"$unset": {"due_at": ""}}
        return self.state.update_one({"_id": state["_id"], "due_at": state["due_at"]}, change).modified_count == 1

    def claim_digest(self, state, lease_until):
        """The one claim on this due digest: compare-and-set of the due time read to lease_until (so a crash
        before the digest is finished makes it due again then). Returns the state after, or None when another
        process claimed it first."""
        return self.state.find_one_and_update({"_id": state["_id"], "due_at": state["due_at"]},
                                              {"$set": {"due_at": lease_until}}, return_document=ReturnDocument.AFTER)

    def finish_digest(self, user_id, claimed_due, window_end, covered):
        """A digest went out: its window ends at window_end, it covered {chat id: Seq}; the claim ends (unless a
        new message moved the due time meanwhile, which then stays)."""
        self.state.update_one({"_id": user_id}, {"$set": {
            "not_before": window_end, "last_digest_at": utcnow(),
            **{f"digested.{chat_id}": seq for chat_id, seq in covered.items()}}})
        self.state.update_one({"_id": user_id, "due_at": claimed_due}, {"$unset": {"due_at": ""}})

    def forget(self, user_id):
        """Everything about the user here (account deletion)."""
        self.subscriptions.delete_many({"user_id": user_id})
        self.state.delete_one({"_id": user_id})
