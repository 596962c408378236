"""The `users` collection: the only code that reads or writes user documents."""
from bson import ObjectId
from pymongo import ASCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from ..kernel.clock import utcnow
from ..kernel.ids import to_object_id


class DuplicateUser(Exception):
    """A user with this username or email exists; `field` says which."""

    def __init__(self, field):
        super().__init__(field)
        self.field = field


class UserRepository:
    """Reads and writes user documents."""

    def __init__(self, db):
        self.users = db["users"]

    def create(self, username, email, password_hash):
        """Insert an unverified user; raises DuplicateUser when the username or email is taken."""
        doc = {"username": username, "username_lower": username.lower(), "email": email.lower(),
               "password_hash": password_hash, "verified": False, "created_at": utcnow(), "verified_at": None}
        try:
            self.users.insert_one(doc)
        except DuplicateKeyError:
            raise DuplicateUser(self._taken_field(username, email)) from None
        return doc

    def insert_bot(self, owner_id, username):
        """Insert a bot user owned by owner_id: verified, with no password (it cannot log in) and no address (its
        `email` key is a placeholder without "@", unique as the index wants, that no login or mail can name).
        Raises DuplicateUser("username") when the username is taken."""
        oid, now = ObjectId(), utcnow()
        doc = {"_id": oid, "username": username, "username_lower": username.lower(), "email": f"bot:{oid}",
               "password_hash": None, "verified": True, "created_at": now, "verified_at": now, "bot": True,
               "owner_id": str(owner_id)}
        try:
            self.users.insert_one(doc)
        except DuplicateKeyError:
            raise DuplicateUser("username") from None
        return doc

    def bots_of(self, owner_id):
        """The bots owner_id owns (those being deleted too), oldest first."""
        return sorted(self.users.find({"owner_id": str(owner_id)}), key=lambda doc: doc["created_at"])

    def _taken_field(self, username, email):
        if self.users.find_one({"username_lower": username.lower()}, {"_id": 1}):
            return "username"
        return "email"

    def exists(self, username=None, email=None):
        """Which of username/email is taken: "username", "email" or None."""
        if username and self.users.find_one({"username_lower": username.lower()}, {"_id": 1}):
            return "username"
        if email and self.users.find_one({"email": email.lower()}, {"_id": 1}):
            return "email"
        return None

    def by_id(self, user_id):
        """The user document, or None."""
        oid = to_object_id(user_id)
        return self.users.find_one({"_id": oid}) if oid else None

    def by_ids(self, user_ids):
        """{str id: document} for the given ids (unknown ids are left out)."""
        oids = [oid for oid in (to_object_id(u) for u in user_ids) if oid]
        return {str(doc["_id"]): doc for doc in self.users.find({"_id": {"$in": oids}})}

    def by_login(self, login):
        """The user whose username (any case) or email is login, or None."""
        login = login.lower()
        field = "email" if "@" in login else "username_lower"
        return self.users.find_one({field: login})

    def by_email(self, email):
        return self.users.find_one({"email": email.lower()})

    def mark_verified(self, user_id):
        """Set verified; returns the updated document."""
        return self.users.find_one_and_update(
            {"_id": to_object_id(user_id)},
            {"$set": {"verified": True, "verified_at": utcnow()}},
            return_document=ReturnDocument.AFTER)

    def set_password_hash(self, user_id, password_hash, verified=False):
        """Store a new password hash (and mark the address verified when a mailed link proved it)."""
        fields = {"password_hash": password_hash, **({"verified": True} if verified else {})}
        self.users.update_one({"_id": to_object_id(user_id)}, {"$set": fields})

    def change_credentials(self, user_id, epoch, **fields):
        """Set fields (a new `password_hash`, `email`, `verified`; none for a cancelled address change) and move the
        account's `links_epoch` on, which every mailed reset or address-change link names: the older ones stop
        working. Only while the epoch is still epoch (0: never moved; None: whatever it is); returns the updated user,
        None when it moved or the account is gone. Raises DuplicateUser("email") when another account has the new
        address."""
        if "email" in fields:
            fields["email"] = fields["email"].lower()
        query = {"_id": to_object_id(user_id), "deleting_at": None}
        if epoch is not None:
            query["links_epoch"] = epoch or {"$in": [0, None]}
        try:
            return self.users.find_one_and_update(
                query,
                {"$set": {**fields, "links_changed_at": utcnow()}, "$inc": {"links_epoch": 1}},
                return_document=ReturnDocument.AFTER)
        except DuplicateKeyError:
            raise DuplicateUser("email") from None

    # Expiry and deletion

    def remove_expired_unverified(self, created_before, username=None, email=None):
        """Delete the unverified accounts created before the given time: all of them, or only the one holding
        username and the one holding email when either is given. Returns how many. Safe to run from several
        processes at once."""
        expired = {"verified": False, "created_at": {"$lt": created_before}}
        if not (username or email):
            return self.users.delete_many(expired).deleted_count
        # Each holder is found through its own unique index, then deleted by id only if it is still expired.
        holders = [{"username_lower": username.lower()}] if username else []
        holders += [{"email": email.lower()}] if email else []
        ids = {doc["_id"] for holder in holders for doc in self.users.find(holder, {"_id": 1})}
        return sum(self.users.delete_one({"_id": oid, **expired}).deleted_count for oid in ids)

    def begin_deletion(self, user_id):
        """Mark the account as being deleted (from now on it cannot log in); returns it, None when it is gone.
        Marking it again keeps the first time."""
        oid = to_object_id(user_id)
        self.users.update_one({"_id": oid, "deleting_at": None}, {"$set": {"deleting_at": utcnow()}})
        return self.users.find_one({"_id": oid})

    def claim_stalled_deletion(self, started_before):
        """One account whose deletion started before the given time, marked as started now (so that no other
        process claims it before it stalls again), or None."""
        return self.users.find_one_and_update({"deleting_at": {"$lt": started_before}},
                                              {"$set": {"deleting_at": utcnow()}}, return_document=ReturnDocument.AFTER)

    def remove(self, user_id):
        """Delete the user document: its username and address are free again."""
        self.users.delete_one({"_id": to_object_id(user_id)})

    def search_prefix(self, prefix, exclude_id, limit):
        """Verified users whose lower-cased username starts with prefix, by username (an index range), but the
        caller (exclude_id) and whoever blocks them (read from each candidate's own `blocks`: no query more)."""
        prefix, exclude = prefix.lower(), to_object_id(exclude_id)
        query = {"username_lower": {"$gte": prefix, "$lt": prefix + "\uffff"}}
        found = []
        # The filter is the index range alone, so every server reads it through the index; the few
        # unverified accounts and the caller are skipped here.
        with self.users.find(query).sort("username_lower", ASCENDING).batch_size(2 * limit) as cursor:
            for user in cursor:
                if user.get("verified") and not user.get("deleting_at") and user["_id"] != exclude \
                        and str(exclude) not in (user.get("blocks") or ()):
                    found.append(user)
                    if len(found) == limit:
                        break
        return found
