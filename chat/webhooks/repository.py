"""The `webhooks` and `webhook_deliveries` collections: the only code that touches them.

A webhook: `_id` (its WebhookId), `group_id`, `kind` ("incoming" or "outgoing"), `name`, `owner_id` (the admin
who made it), `created_at`; an incoming one `secret_hash` (SHA-256 of the secret in its URL; the secret itself is
never stored) and `bot_id` (the user it posts as); an outgoing one `url`, `secret` (the HMAC key: it must be kept
to sign), `failing_since` (the first failure since the last success), `disabled_at`, and while a process
delivers, `lease_owner` and `lease_until`.

A delivery (the durable queue of outgoing webhooks): `_id` "<hook>:<Seq, 12 digits>" (one per message and hook
whatever writes it twice), `hook_id`, `seq`, `body` (the JSON that is POSTed, made once), `state` (pending,
delivered, dropped), `attempts`, `next_at`, `created_at`, `delivered_at`, `last_error`.
"""
import secrets

from pymongo import ASCENDING, ReturnDocument
from pymongo.errors import BulkWriteError

from ..kernel.clock import utcnow

INCOMING, OUTGOING = "incoming", "outgoing"
PENDING, DELIVERED, DROPPED = "pending", "delivered", "dropped"


def new_id():
    return secrets.token_hex(12)


class WebhookRepository:
    """Webhook documents and the hooks list of their group (`hooks_out`, read by every send)."""

    def __init__(self, db):
        self.hooks = db["webhooks"]
        self.chats = db["chats"]

    def insert(self, doc):
        self.hooks.insert_one(doc)
        if doc["kind"] == OUTGOING:  # a send learns from its group document that it has hooks to queue for
            self.chats.update_one({"_id": doc["group_id"]}, {"$addToSet": {"hooks_out": doc["_id"]}})
        return doc

    def of_group(self, group_id):
        return list(self.hooks.find({"group_id": group_id}).sort("created_at", ASCENDING))

    def get(self, group_id, hook_id):
        return self.hooks.find_one({"_id": hook_id, "group_id": group_id}) if isinstance(hook_id, str) else None

    def by_id(self, hook_id):
        return self.hooks.find_one({"_id": hook_id})

    def by_secret_hash(self, secret_hash):
        return self.hooks.find_one({"secret_hash": secret_hash, "kind": INCOMING})

    def delete(self, hook):
        """Remove the hook and take it off its group's list; True when it was there."""
        self.chats.update_one({"_id": hook["group_id"]}, {"$pull": {"hooks_out": hook["_id"]}})
        return self.hooks.delete_one({"_id": hook["_id"]}).deleted_count == 1

    def claim(self, hook_id, owner, now, until):
        """Lease an enabled outgoing hook to owner until `until`, unless another process holds it: the one
        delivery in flight per hook. The hook, or None."""
        return self.hooks.find_one_and_update(
            {"_id": hook_id, "kind": OUTGOING, "disabled_at": None,
             "$or": [{"lease_until": None}, {"lease_until": {"$lt": now}}, {"lease_owner": owner}]},
            {"$set": {"lease_owner": owner, "lease_until": until}}, return_document=ReturnDocument.AFTER)

    def release(self, hook_id, owner):
        self.hooks.update_one({"_id": hook_id, "lease_owner": owner}, {"$set": {"lease_owner": None,
                                                                                "lease_until": None}})

    def succeeded(self, hook_id):
        self.hooks.update_one({"_id": hook_id, "failing_since": {"$ne": None}}, {"$set": {"failing_since": None}})

    def failed(self, hook_id, now):
        """Record a failure; the hook after (its `failing_since` is the first failure in a row)."""
        self.hooks.update_one({"_id": hook_id, "failing_since": None}, {"$set": {"failing_since": now}})
        return self.hooks.find_one({"_id": hook_id})

    def disable(self, hook, now):
        """Disable the hook (once: True for the call that did it) and take it off its group's list."""
        done = self.hooks.update_one({"_id": hook["_id"], "disabled_at": None},
                                     {"$set": {"disabled_at": now}}).modified_count == 1
        self.chats.update_one({"_id": hook["group_id"]}, {"$pull": {"hooks_out": hook["_id"]}})
        return done


class DeliveryRepository:
    """The queue of outgoing deliveries."""

    def __init__(self, db):
        self.deliveries = db["webhook_deliveries"]

    def queue(self, hook_ids, seq, body):
        """One pending delivery per hook for the message Seq (a repeat is ignored)."""
        now = utcnow()
        docs = [{"_id": f"{hook_id}:{seq:012d}", "hook_id": hook_id, "seq": seq, "body": body, "state": PENDING,
                 "attempts": 0, "next_at": now, "created_at": now, "delivered_at": None, "last_error": None}
                for hook_id in hook_ids]
        if docs:
            try:
                self.deliveries.insert_many(docs, ordered=False)
            except BulkWriteError:
                pass  # already queued

    def due_hooks(self, now, limit=500):
        """Hooks with a pending delivery due now (each once)."""
        found = self.deliveries.find({"state": PENDING, "next_at": {"$lte": now}}, {"hook_id": 1}).limit(limit)
        return list(dict.fromkeys(doc["hook_id"] for doc in found))

    def oldest(self, hook_id):
        """The hook's oldest pending delivery (the only one that may go next: order per hook), or None."""
        return self.deliveries.find_one({"hook_id": hook_id, "state": PENDING}, sort=[("seq", ASCENDING)])

    def delivered(self, delivery, now):
        self.deliveries.update_one({"_id": delivery["_id"], "state": PENDING},
                                   {"$set": {"state": DELIVERED, "delivered_at": now, "body": None}})

    def retry_at(self, delivery, when, error):
        """Put the delivery off until when, and the hook's later ones with it (they wait behind it anyway, so the
        passes until then do not even claim the hook)."""
        self.deliveries.update_one({"_id": delivery["_id"], "state": PENDING},
                                   {"$set": {"next_at": when, "last_error": error[:300]}, "$inc": {"attempts": 1}})
        self.deliveries.update_many({"hook_id": delivery["hook_id"], "state": PENDING, "next_at": {"$lt": when}},
                                    {"$set": {"next_at": when}})

    def drop_pending(self, hook_id):
        self.deliveries.update_many({"hook_id": hook_id, "state": PENDING}, {"$set": {"state": DROPPED}})

    def purge(self, finished_before):
        """Delete delivered and dropped deliveries created before finished_before."""
        return self.deliveries.delete_many({"state": {"$in": [DELIVERED, DROPPED]},
                                           "created_at": {"$lt": finished_before}}).deleted_count

    def forget(self, hook_id):
        self.deliveries.delete_many({"hook_id": hook_id})
