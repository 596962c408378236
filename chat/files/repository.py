"""The files themselves, in GridFS: the only code that touches the `files.*` and `thumbnails.*` collections.

An upload is one GridFS file in the `files` bucket (its `_id` is the FileId), and an image's thumbnail a GridFS
file with the same `_id` in the `thumbnails` bucket. The bytes are written here in GridFS's own layout
(`<bucket>.chunks` of CHUNK_SIZE, then the `<bucket>.files` document, last, so that a file document means a
complete file), so any GridFS reader (pymongo's GridFSBucket, which serves downloads, `mongofiles`) reads them;
a few chunks at a time, never the whole file. The file document's `metadata` holds what the chat needs:
{"owner", "content_type", "width"?, "height"?, "thumbnail": bool, "attached": claim key or None,
"chat_id": the chat it was sent in, or None}.
"""
from bson import ObjectId
from gridfs import GridFSBucket, NoFile
from pymongo import UpdateOne

from ..kernel.clock import utcnow
from ..kernel.ids import to_object_id
from .kinds import CHUNK_SIZE

CHUNKS_PER_INSERT = 4  # about 1 MiB per insert command


class FileRepository:
    """GridFS files with the chat's metadata."""

    def __init__(self, db):
        self.db = db
        self.files, self.chunks = db["files.files"], db["files.chunks"]
        self.thumb_files, self.thumb_chunks = db["thumbnails.files"], db["thumbnails.chunks"]
        self.buckets = {False: GridFSBucket(db, "files", chunk_size_bytes=CHUNK_SIZE),
                        True: GridFSBucket(db, "thumbnails", chunk_size_bytes=CHUNK_SIZE)}

    @staticmethod
    def new_id():
        return ObjectId()

    def store(self, file_id, name, stream, metadata, thumbnail=False):
        """Write stream (read CHUNK_SIZE at a time, from its current position) as a GridFS file; returns its
        document. A failure part-way removes the chunks written."""
        files, chunks = (self.thumb_files, self.thumb_chunks) if thumbnail else (self.files, self.chunks)
        length, n, batch = 0, 0, []
        try:
            while data := stream.read(CHUNK_SIZE):
                batch.append({"files_id": file_id, "n": n, "data": data})
                length, n = length + len(data), n + 1
                if len(batch) == CHUNKS_PER_INSERT:
                    chunks.insert_many(batch, ordered=True)
                    batch = []
            if batch:
                chunks.insert_many(batch, ordered=True)
            doc = {"_id": file_id, "length": length, "chunkSize": CHUNK_SIZE, "uploadDate": utcnow(),
                   "filename": name, "metadata": metadata}
            files.insert_one(doc)
        except BaseException:
            chunks.delete_many({"files_id": file_id})
            raise
        return doc

    def get(self, file_id):
        """The file document of an id (a string), or None."""
        oid = to_object_id(file_id)
        return self.files.find_one({"_id": oid}) if oid is not None else None

    def by_ids(self, oids):
        """The file documents among these ObjectIds (any order)."""
        return list(self.files.find({"_id": {"$in": list(oids)}})) if oids else []

    def used_by(self, owner_id):
        """The bytes owner_id has stored (thumbnails not counted)."""
        rows = list(self.files.aggregate([{"$match": {"metadata.owner": owner_id}},
                                          {"$group": {"_id": None, "total": {"$sum": "$length"}}}]))
        return rows[0]["total"] if rows else 0

    def claim(self, oids, owner_id, key, chat_id):
        """Mark the owner's unattached files among oids as attached under key, in chat_id: one command, each
        statement a conditional update of one file (so two sends cannot attach the same file). Returns how many
        this call claimed."""
        return self.files.bulk_write([UpdateOne({"_id": oid, "metadata.owner": owner_id, "metadata.attached": None},
                                         {"$set": {"metadata.attached": key, "metadata.chat_id": chat_id}})
                               for oid in oids], ordered=False).modified_count

    def release(self, oids, key):
        """Undo claim for the files still attached under key (a send that was refused after the claim)."""
        self.files.bulk_write([UpdateOne({"_id": oid, "metadata.attached": key},
                                         {"$set": {"metadata.attached": None, "metadata.chat_id": None}})
                               for oid in oids], ordered=False)

    def open(self, oid, thumbnail=False):
        """A GridOut (seekable, read in chunks) of the file or its thumbnail, or None."""
        try:
            return self.buckets[thumbnail].open_download_stream(oid)
        except NoFile:
            return None

    def remove(self, oid, unattached_only=False):
        """Delete a file, its chunks and its thumbnail; True when this call deleted the file document. With
        unattached_only, only a file no send has claimed: the conditional delete is what makes clean-up safe
        with several processes (and against a send attaching it at the same moment)."""
        query = {"_id": oid, "metadata.attached": None} if unattached_only else {"_id": oid}
        deleted = self.files.delete_one(query).deleted_count == 1
        if deleted:
            self.chunks.delete_many({"files_id": oid})
            self.thumb_files.delete_one({"_id": oid})
            self.thumb_chunks.delete_many({"files_id": oid})
        return deleted

    def unattached_before(self, moment, limit):
        """Ids of files never attached that were uploaded before moment, oldest first (at most limit)."""
        return [doc["_id"] for doc in self.files.find(
            {"metadata.attached": None, "uploadDate": {"$lt": moment}}, {"_id": 1}).sort("uploadDate", 1).limit(limit)]

    def owned_by(self, owner_id, limit):
        """Ids of owner_id's files (at most limit)."""
        return [doc["_id"] for doc in self.files.find({"metadata.owner": owner_id}, {"_id": 1}).limit(limit)]
