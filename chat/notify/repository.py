"""The notification collections: the only code that touches them.

`push_subscriptions`: one browser subscription each, keyed by the SHA-256 of its endpoint (a browser that signs
in as another user moves its subscription over): `user_id`, `endpoint`, `p256dh`, `auth`, `created_at`.
`notify_state`: one per user who has settings or a digest pending, keyed by the user's id: `email` (all,
mentions, off; none means all), `due_at` (when a digest may be due: set by the digest sweep, chat/notify/sweep.py),
`not_before` (the end of the last digest's window), `digested.<chat id>` (the Seq the last digest covered).
`notify_sweep`: one document, `_id` "digests": `swept_to`, the time up to which the sweep has looked at `chats`.
`push_claims`: one per message and subscription pushed (`_id` `<message id>|<subscription id>`), so that no
message is pushed twice to one subscription; deleted after a day, in code. `server_keys`: the VAPID key.
The sweep reads `chats` (their Seq, read positions, mutes and blocks) and `messages` (who sent the unread ones,
for members who blocked someone in a group), never writing them.

Settings and subscriptions are read and written on the request path's client (`db`); what the push workers and
the digest loop do goes through `background` (chat/db.py: a client with its own small pool), so that background
work never holds a connection a send or a connect is waiting for.
"""
import hashlib
from datetime import timedelta

from pymongo import ReturnDocument, UpdateOne
from pymongo.errors import DuplicateKeyError

from ..kernel.clock import utcnow
from ..kernel.records import Chat
from ..messages.repository import message_id

VAPID_KEY_ID = "vapid"
SWEEP_ID = "digests"
# What the sweep reads of a chat: enough to tell who has unread messages in it and who muted it.
_SWEPT = {"kind": 1, "members": 1, "reads": 1, "seq": 1, "gaps": 1, "muted": 1, "deleted": 1, "updated_at": 1,
          "blocks": 1}
NEWEST_LOOKED_AT = 100  # messages, when telling whether only blocked users wrote since a Seq


def subscription_id(endpoint):
    return hashlib.sha256(endpoint.encode("utf-8")).hexdigest()


class NotifyRepository:
    """Subscriptions, settings and digest state, push claims and the VAPID key."""

    def __init__(self, db, background=None):
        background = db if background is None else background
        self.subscriptions, self.state = db["push_subscriptions"], db["notify_state"]
        self.keys = db["server_keys"]
        # The same collections on the background client (push workers, the digest loop).
        self.bg_subscriptions, self.bg_state = background["push_subscriptions"], background["notify_state"]
        self.claims, self.sweeps = background["push_claims"], background["notify_sweep"]
        self.chats, self.messages = background["chats"], background["messages"]

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
        self.bg_subscriptions.delete_one({"_id": sub_id})

    def subscriptions_of(self, user_ids):
        """The subscriptions of all these users: one query whatever their number."""
        return list(self.bg_subscriptions.find({"user_id": {"$in": list(user_ids)}}))

    def subscriptions_by_ids(self, user_id, sub_ids):
        """Those of the subscriptions sub_ids that still exist and still belong to user_id."""
        return list(self.bg_subscriptions.find({"_id": {"$in": list(sub_ids)}, "user_id": user_id}))

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
        """{user id: notify_state document} of those that have one (one query)."""
        return {doc["_id"]: doc for doc in self.bg_state.find({"_id": {"$in": list(user_ids)}})}

    def state_of(self, user_id):
        return self.state.find_one({"_id": user_id}) or {"_id": user_id}

    def set_email(self, user_id, value):
        self.state.update_one({"_id": user_id}, {"$set": {"email": value}}, upsert=True)

    def mark_due(self, due):
        """{user id: time}: a digest may be due for each at that time (or earlier, if it already was)."""
        if due:
            self.bg_state.bulk_write([UpdateOne({"_id": user_id}, {"$min": {"due_at": when}}, upsert=True)
                                      for user_id, when in due.items()], ordered=False)

    def due(self, now, limit):
        """Users whose digest may be due by now, the most overdue first."""
        return list(self.bg_state.find({"due_at": {"$lte": now}}).sort("due_at", 1).limit(limit))

    # The digest sweep

    def swept_to(self):
        """The time up to which the digest sweep has looked at the chats, or None before its first pass."""
        found = self.sweeps.find_one({"_id": SWEEP_ID})
        return found and found.get("swept_to")

    def advance_sweep(self, until):
        """The sweep has looked up to `until` (it never moves back, whichever process sweeps)."""
        self.sweeps.update_one({"_id": SWEEP_ID}, {"$max": {"swept_to": until}}, upsert=True)

    def active_chats(self, since, until):
        """The chats (their Seq, members, read positions, mutes) with activity in (since, until]: one query
        through the index `chats_by_activity`, read on the background client."""
        return [Chat.from_doc(doc) for doc in self.chats.find({"updated_at": {"$gt": since, "$lte": until}}, _SWEPT)]

    def sent_by_others(self, chat_id, after, last, excluded):
        """Whether a message of the chat with after < Seq <= last (the newest NEWEST_LOOKED_AT of them) was sent by
        someone not in excluded: one lookup of computed ids."""
        ids = [message_id(chat_id, seq) for seq in range(max(after, last - NEWEST_LOOKED_AT) + 1, last + 1)]
        return bool(ids) and self.messages.find_one(
            {"_id": {"$in": ids}, "sender_id": {"$nin": list(excluded)}}, {"_id": 1}) is not None

    def move_due(self, state, when):
        """Compare-and-set: the due time read becomes `when` (None: no digest pending). True when this call did it."""
        change = {"$set": {"due_at": when}} if when is not None else {"$unset": {"due_at": ""}}
        return self.bg_state.update_one({"_id": state["_id"], "due_at": state["due_at"]}, change).modified_count == 1

    def claim_digest(self, state, lease_until):
        """The one claim on this due digest: compare-and-set of the due time read to lease_until (so a crash
        before the digest is finished makes it due again then). Returns the state after, or None when another
        process claimed it first."""
        return self.bg_state.find_one_and_update({"_id": state["_id"], "due_at": state["due_at"]},
                                                 {"$set": {"due_at": lease_until}},
                                                 return_document=ReturnDocument.AFTER)

    def finish_digest(self, user_id, claimed_due, window_end, covered):
        """A digest went out: its window ends at window_end, it covered {chat id: Seq}; the claim ends (unless a
        new message moved the due time meanwhile, which then stays)."""
        self.bg_state.update_one({"_id": user_id}, {"$set": {
            "not_before": window_end, "last_digest_at": utcnow(),
            **{f"digested.{chat_id}": seq for chat_id, seq in covered.items()}}})
        self.bg_state.update_one({"_id": user_id, "due_at": claimed_due}, {"$unset": {"due_at": ""}})

    def forget(self, user_id):
        """Everything about the user here (account deletion)."""
        self.subscriptions.delete_many({"user_id": user_id})
        self.state.delete_one({"_id": user_id})
