"""Exports: the `exports` collection (one document per `POST /me/export`) and the `exports` GridFS bucket that
holds the built zips. The only code that touches them.

An export document: `user_id`, `running` (the user's id again, until it is built or failed), `state` (pending,
building, ready, failed), `created_at`, `lease_owner` and `lease_until` (while building), `file_id` and `built_at`
(ready), and the current download token of its mail: `token_hash` (until it is used), `token_expires_at`,
`token_used_at` (tokens are stored hashed; a new mail's token replaces the last).
"""
from datetime import timedelta

from bson import ObjectId
from gridfs import GridFSBucket, NoFile
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from ..files.kinds import CHUNK_SIZE
from ..kernel.clock import as_utc, utcnow

PENDING, BUILDING, READY, FAILED = "pending", "building", "ready", "failed"


class ExportRepository:
    """Export requests and their zips."""

    def __init__(self, db):
        self.exports = db["exports"]
        self.bucket = GridFSBucket(db, "exports", chunk_size_bytes=CHUNK_SIZE)
        self.files, self.chunks = db["exports.files"], db["exports.chunks"]

    def create(self, user_id):
        """A new pending export of user_id; returns it, or None when one of theirs is not finished yet (`running`
        holds the user's id until then, under a unique index: two racing requests cannot both insert)."""
        doc = {"user_id": str(user_id), "running": str(user_id), "state": PENDING, "created_at": utcnow(),
               "lease_owner": None, "lease_until": None, "file_id": None}
        try:
            doc["_id"] = self.exports.insert_one(doc).inserted_id
        except DuplicateKeyError:
            return None
        return doc

    def counts(self, user_id, since):
        """(exports of user_id not finished yet, exports of user_id asked for since `since`), from one read of the
        user's exports (a few: the sweep deletes them after EXPORT_KEEP)."""
        mine = list(self.exports.find({"user_id": str(user_id)}, {"state": 1, "created_at": 1}))
        running = sum(doc["state"] in (PENDING, BUILDING) for doc in mine)
        return running, sum(as_utc(doc["created_at"]) >= since for doc in mine)

    def claim(self, owner, lease):
        """Lease the oldest pending export (or else one whose builder's lease ran out) to owner; None when none."""
        now = utcnow()
        leased = {"$set": {"state": BUILDING, "lease_owner": owner, "lease_until": now + timedelta(seconds=lease)}}
        for query, order in (({"state": PENDING}, "created_at"), ({"state": BUILDING, "lease_until": {"$lt": now}},
                                                                    "lease_until")):
            found = self.exports.find_one_and_update(query, leased, sort=[("state", 1), (order, 1)],
                                                     return_document=ReturnDocument.AFTER)
            if found is not None:
                return found
        return None

    def upload_stream(self, export):
        """A writable stream (write, close, abort) storing the export's zip as a GridFS file of the `exports`
        bucket."""
        return GridWriter(self.files, self.chunks, f"export-{export['_id']}.zip",
                          {"user_id": export["user_id"], "export_id": export["_id"]})

    def finish(self, export, file_id):
        """Mark the export built (when its builder still holds it); False when the lease was lost."""
        return self.exports.update_one(
            {"_id": export["_id"], "state": BUILDING, "lease_owner": export["lease_owner"]},
            {"$set": {"state": READY, "file_id": file_id, "built_at": utcnow(), "lease_owner": None},
             "$unset": {"running": ""}}
        ).modified_count == 1

    def fail(self, export, error):
        """Mark the export failed."""
        self.exports.update_one({"_id": export["_id"], "lease_owner": export["lease_owner"]},
                                {"$set": {"state": FAILED, "error": error, "lease_owner": None},
                                 "$unset": {"running": ""}})

    def get(self, export_id):
        return self.exports.find_one({"_id": export_id})

    def set_token(self, export_id, token_hash, expires_at):
        """The download token of the mail being sent (replacing the earlier one); False when not ready."""
        return self.exports.update_one({"_id": export_id, "state": READY}, {"$set": {
            "token_hash": token_hash, "token_expires_at": expires_at, "token_used_at": None}}).modified_count == 1

    def use_token(self, token_hash):
        """Use up a token (atomically: the hash is taken off the export, so one download per token); the export
        when the token was its current one, unexpired, None otherwise."""
        now = utcnow()
        export = self.exports.find_one_and_update({"token_hash": token_hash}, {
            "$unset": {"token_hash": ""}, "$set": {"token_used_at": now}}, return_document=ReturnDocument.BEFORE)
        if export is None or export["state"] != READY or as_utc(export["token_expires_at"]) <= now:
            return None
        return export

    def open(self, file_id):
        """A GridOut of a built zip, or None."""
        try:
            return self.bucket.open_download_stream(file_id)
        except NoFile:
            return None

    def older_than(self, moment, limit=100):
        """Exports asked for before moment (any state), oldest first."""
        return list(self.exports.find({"created_at": {"$lt": moment}}).sort("created_at", 1).limit(limit))

    def remove(self, export):
        """Delete an export and its zip (and any zip a failed build left)."""
        for stored in self.files.find({"metadata.export_id": export["_id"]}, {"_id": 1}):
            try:
                self.bucket.delete(stored["_id"])
            except NoFile:
                pass
        self.exports.delete_one({"_id": export["_id"]})

    def forget_user(self, user_id):
        """A deleted account keeps no exports."""
        for export in self.exports.find({"user_id": str(user_id)}):
            self.remove(export)


class GridWriter:
    """Writes one file in GridFS's layout (CHUNK_SIZE chunks, a few per insert, then the file document, last, so a
    file document means a complete file), holding at most one chunk's bytes; any GridFS reader reads it."""

    def __init__(self, files, chunks, name, metadata):
        self.files, self.chunks, self.name, self.metadata = files, chunks, name, metadata
        self._id, self.length, self.n = ObjectId(), 0, 0
        self.pending, self.batch = bytearray(), []

    def write(self, data):
        """Add data; returns how many bytes were taken (all)."""
        self.pending += data
        while len(self.pending) >= CHUNK_SIZE:
            self._chunk(bytes(self.pending[:CHUNK_SIZE]))
            del self.pending[:CHUNK_SIZE]
        return len(data)

    def _chunk(self, data, last=False):
        if data:
            self.batch.append({"files_id": self._id, "n": self.n, "data": data})
            self.n, self.length = self.n + 1, self.length + len(data)
        if self.batch and (last or len(self.batch) == 4):
            self.chunks.insert_many(self.batch, ordered=True)
            self.batch = []

    def close(self):
        """Store what is left and the file document."""
        self._chunk(bytes(self.pending), last=True)
        self.pending = bytearray()
        self.files.insert_one({"_id": self._id, "length": self.length, "chunkSize": CHUNK_SIZE,
                               "uploadDate": utcnow(), "filename": self.name, "metadata": self.metadata})

    def abort(self):
        """Remove the chunks written so far."""
        self.chunks.delete_many({"files_id": self._id})
