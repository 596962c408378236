"""Every operation on files, whatever the transport: upload, attach to a send, read, remove, clean up.

An upload is checked (its type from its bytes, its size, the owner's quota; an image decoded once by Pillow for
its size and thumbnail) before anything is written. A send attaches files by claiming them in one conditional
write each (MessageService calls `attach` before it takes the chat's Seq, and `release` if the send is then
refused), so a file is attached at most once. Reading checks the caller: the uploader, or a current member of
the chat the file was sent in (a signed URL stands for that check until it expires).
"""
import os
import re
import unicodedata
import uuid
from datetime import timedelta
from io import BytesIO

from ..kernel import errors
from ..kernel.clock import utcnow
from ..kernel.ids import to_object_id
from .kinds import IMAGES, sniff
from .urls import THUMBNAIL

MAX_ATTACHMENTS = 10
NAME_MAX = 200
UNATTACHED_TTL = timedelta(hours=24)
SWEEP_BATCH = 100
UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f\"\\/<>:|?*]")


def clean_name(name):
    """A display and download name from the client's file name: its last path component, without control
    characters or characters file systems refuse, at most 200 characters; `file` when nothing is left."""
    name = unicodedata.normalize("NFC", str(name or "")).replace("\\", "/").rsplit("/", 1)[-1]
    name = UNSAFE_NAME.sub("_", "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf", "Cs")))
    name = name.strip(" .")[:NAME_MAX].strip()
    return name or "file"


def summary(doc):
    """What a message keeps of an attached file: {"id", "name", "type", "size", "width"?, "height"?, "thumb"}."""
    meta = doc["metadata"]
    kept = {"id": str(doc["_id"]), "name": doc["filename"], "type": meta["content_type"], "size": doc["length"],
            "thumb": bool(meta.get("thumbnail"))}
    if "width" in meta:
        kept.update(width=meta["width"], height=meta["height"])
    return kept


class FileService:
    """Upload, attach, read and remove files."""

    def __init__(self, repo, chats, max_bytes, quota_bytes, images):
        self.repo = repo
        self.chats = chats  # ChatService: membership of the chat a file was sent in
        self.max_bytes = max_bytes
        self.quota_bytes = quota_bytes
        self.images = images  # images.ImageInspector: decodes off the event loop, within its budgets

    def upload(self, owner_id, name, stream):
        """Store an upload (a seekable stream, e.g. werkzeug's spooled temporary file) of owner_id; returns its
        `summary`. 413 payload_too_large over max_bytes, 415 unsupported_media_type for a type not allowed (or
        an image Pillow refuses, or too large to decode), 413 quota_exceeded when the owner's files would exceed
        the quota, 503 unavailable when too many images are being decoded already."""
        stream.seek(0, os.SEEK_END)
        size = stream.tell()
        stream.seek(0)
        if size > self.max_bytes:
            raise errors.payload_too_large(f"A file may have at most {self.max_bytes} bytes.")
        kind = sniff(stream)
        metadata = {"owner": owner_id, "content_type": kind, "thumbnail": False, "attached": None, "chat_id": None}
        thumbnail = None
        if kind in IMAGES:
            width, height, thumbnail, thumb_type = self.images.inspect(stream, kind)
            metadata.update(width=width, height=height, thumbnail=True)
        if self.repo.used_by(owner_id) + size > self.quota_bytes:
            raise errors.ApiError("quota_exceeded", f"Your files may take at most {self.quota_bytes} bytes; "
                                  "delete messages with attachments to make room.", 413)
        file_id = self.repo.new_id()
        if thumbnail is not None:
            self.repo.store(file_id, "thumbnail", BytesIO(thumbnail), {"content_type": thumb_type}, thumbnail=True)
        return summary(self.repo.store(file_id, clean_name(name), stream, metadata))

    @staticmethod
    def claim_key(client_key=None):
        """What a send marks its files with: its idempotency key (so a repeated ClientId finds its own files
        attached), or a key of its own."""
        return client_key or f"send:{uuid.uuid4().hex}"

    def attach(self, owner_id, chat_id, file_ids, key):
        """Claim the owner's uploads file_ids (1..10, distinct) for a send into chat_id under key: (their
        summaries in the order given, fresh). fresh is True when this call claimed them all, False when they were
        claimed under this key before (a repeated ClientId): only a fresh claim may be released. validation_error
        (and nothing claimed) unless every one is the owner's and not attached elsewhere already."""
        if not isinstance(file_ids, list) or not 1 <= len(file_ids) <= MAX_ATTACHMENTS:
            raise errors.validation_error({"Attachments": [f"Between 1 and {MAX_ATTACHMENTS} FileIds."]})
        if len(set(file_ids)) != len(file_ids):
            raise errors.validation_error({"Attachments": ["Each file may be attached once."]})
        oids = [to_object_id(file_id) for file_id in file_ids]
        if None in oids:
            raise errors.validation_error({"Attachments": ["Not one of your uploads."]})
        modified = self.repo.claim(oids, owner_id, key, chat_id)
        found = {doc["_id"]: doc for doc in self.repo.by_ids(oids)}
        mine = [found.get(oid) for oid in oids]
        if any(doc is None or doc["metadata"].get("owner") != owner_id or doc["metadata"].get("attached") != key
               or doc["metadata"].get("chat_id") != chat_id for doc in mine):
            claimed = sum(doc is not None and doc["metadata"].get("attached") == key for doc in mine)
            if claimed and claimed == modified:  # every file under key was claimed by this call: undo it
                self.repo.release(oids, key)
            raise errors.validation_error({"Attachments": ["Not one of your uploads, or attached already."]})
        return [summary(doc) for doc in mine], modified == len(oids)

    def release(self, attached, key):
        """Undo `attach` (its summaries) for a send that was refused after it."""
        if attached:
            self.repo.release([to_object_id(kept["id"]) for kept in attached], key)

    def readable(self, user_id, file_id, variant, signed=False):
        """(file document, GridOut) of file_id's variant (FULL or THUMBNAIL) for user_id, or, when signed is
        True (a valid signed URL), for its bearer. not_found, revealing nothing, for anyone else, or a file
        without that variant."""
        doc = self.repo.get(file_id)
        if doc is None or not (signed or self._may_read(user_id, doc)):
            raise errors.not_found("No such file.")
        if variant == THUMBNAIL and not doc["metadata"].get("thumbnail"):
            raise errors.not_found("No such file.")
        out = self.repo.open(doc["_id"], thumbnail=variant == THUMBNAIL)
        if out is None:
            raise errors.not_found("No such file.")
        return doc, out

    def _may_read(self, user_id, doc):
        """The uploader, or a current member of the chat the file was sent in (one read of that chat)."""
        meta = doc["metadata"]
        if meta.get("owner") == user_id:
            return True
        if not meta.get("chat_id"):
            return False
        try:
            self.chats.member_chat(user_id, meta["chat_id"])
        except errors.ApiError:
            return False
        return True

    def remove_attached(self, attached):
        """Delete the files of a deleted message (its `attachments` summaries)."""
        for kept in attached or ():
            oid = to_object_id(kept.get("id"))
            if oid is not None:
                self.repo.remove(oid)

    def remove_owned_by(self, owner_id):
        """Delete every file owner_id uploaded, attached or not (for account deletion); returns how many.
        Safe to run again, and from several processes."""
        removed = 0
        while ids := self.repo.owned_by(owner_id, SWEEP_BATCH):
            removed += sum(self.repo.remove(oid) for oid in ids)
        return removed

    def sweep_unattached(self, now=None):
        """Delete uploads never attached within 24 h; returns how many this call deleted. Each is one
        conditional delete (still unattached), so processes sweeping at once, or a send attaching the file at
        that moment, never conflict."""
        before = (now or utcnow()) - UNATTACHED_TTL
        removed = 0
        while ids := self.repo.unattached_before(before, SWEEP_BATCH):
            done = sum(self.repo.remove(oid, unattached_only=True) for oid in ids)
            removed += done
            if not done:  # another process took this batch
                break
        return removed

