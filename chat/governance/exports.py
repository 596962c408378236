"""Data export: `POST /me/export` asks for a zip of the account, its chats and its uploads; a builder makes it in
the background, and a mail brings a single-use link that works for EXPORT_LINK_TTL seconds.

The request only records a pending export (one running per user, EXPORTS_PER_DAY a day). A builder (any
process's, with a lease, so one builds each export) streams the zip into GridFS (chat/governance/archive.py),
then queues the mail through the outbox (chat/auth/outbox.py). As with password resets, the mail's token is
minted when the mail is composed and only its hash is kept; a new mail's token replaces the last. A download uses
the token up (one atomic update), so each link works once; the zip streams from GridFS. The retention sweep
deletes exports EXPORT_KEEP seconds after they were asked for. No Flask, no Socket.IO.
"""
import logging
import os
import secrets
import uuid
from datetime import timedelta

from pymongo.errors import PyMongoError

from ..auth.mailer import compose, lifetime
from ..auth.service import hash_token
from ..kernel import errors
from ..kernel.clock import iso, utcnow
from ..kernel.ids import to_object_id
from ..kernel.kinds import GROUP, PERSONAL, SELF
from . import service as logs
from .archive import write_archive
from .exports_repository import READY

log = logging.getLogger(__name__)

EXPORT_READY = "export_ready"  # the mail kind
PAGE = 200  # messages read per query while writing a chat
FILE_IDS_MAX = 100_000
BUILD_LEASE = 600  # seconds a builder holds an export before another may take it over


def export_out(export):
    """An export on the wire: {"ExportId", "State", "CreatedAt"}."""
    return {"ExportId": str(export["_id"]), "State": export["state"], "CreatedAt": iso(export["created_at"])}


def export_message(sender, recipient, username, link, ttl_seconds):
    """The mail with the download link."""
    return compose(sender, recipient, "Your data export is ready", [
        f"Hello {username},", "The export of your account's data you asked for is ready. Download it here:",
        f"The link works once, for {lifetime(ttl_seconds)}. If you did not ask for this, change your password: "
        "someone signed in to your account."], link, "Download your data")


class ExportService:
    """Ask for, build, mail and download exports."""

    def __init__(self, repo, readers, is_live, queue_mail, security, settings):
        self.repo = repo
        # {"users", "chats", "messages", "files", "threads"}: the repositories the builder reads (background client).
        self.users, self.chats = readers["users"], readers["chats"]
        self.messages, self.files = readers["messages"], readers["files"]
        self.threads = readers["threads"]
        self.is_live, self.queue_mail, self.security = is_live, queue_mail, security
        self.per_day = settings["EXPORTS_PER_DAY"]
        self.link_ttl = settings["EXPORT_LINK_TTL"]
        self.keep = timedelta(seconds=settings["EXPORT_KEEP"])
        self.mail_from = settings["MAIL_FROM"]
        self.public_url = settings["PUBLIC_URL"]
        self.owner = f"{os.getpid()}:{uuid.uuid4().hex[:8]}"

    def request(self, user_id):
        """Ask for an export of user_id's data; returns it (pending). Raises export_running (409) while one is
        being made, rate_limited (429) past EXPORTS_PER_DAY in a day; both change nothing."""
        now = utcnow()
        running, recent = self.repo.counts(user_id, now - timedelta(days=1))
        if running:
            raise errors.conflict("export_running", "An export of your data is being made; its mail will follow.")
        if recent >= self.per_day:
            raise errors.rate_limited(timedelta(days=1).total_seconds())
        export = self.repo.create(user_id)
        if export is None:  # another request made one meanwhile
            raise errors.conflict("export_running", "An export of your data is being made; its mail will follow.")
        self.security.record(user_id, logs.EXPORT_REQUESTED)
        return export_out(export)

    # Building (the background loop)

    def build_due(self, limit=5):
        """Build the pending exports (at most limit); returns how many were built."""
        built = 0
        while built < limit and (export := self.repo.claim(self.owner, BUILD_LEASE)) is not None:
            self.build(export)
            built += 1
        return built

    def build(self, export):
        """Stream the export's zip into GridFS, mark it ready and queue its mail."""
        user = self.users.by_id(export["user_id"])
        if not self.is_live(user):
            self.repo.fail(export, "the account is gone")
            return
        upload = self.repo.upload_stream(export)
        try:
            write_archive(upload, user, self._chats(user), self._messages_of, self._uploads(user))
            upload.close()
        except PyMongoError:
            upload.abort()
            raise  # the lease runs out and a builder tries again
        except Exception as exc:  # noqa: BLE001  (a bug must fail this export, not the loop)
            upload.abort()
            log.exception("export %s failed", export["_id"])
            self.repo.fail(export, repr(exc))
            return
        if self.repo.finish(export, upload._id):
            self.queue_mail(EXPORT_READY, user["email"], {"export_id": str(export["_id"])})

    def _chats(self, user):
        return self.chats.for_member(str(user["_id"]), (SELF, PERSONAL, GROUP))

    def _messages_of(self, chat):
        """The chat's messages by Seq, each thread root followed by its replies by ThreadSeq."""
        for first in range(1, chat.seq + 1, PAGE):
            for message in self.messages.in_range(chat.id, first, first + PAGE - 1):
                yield message
                if message.get("thread"):
                    yield from self._replies_of(message["_id"])

    def _replies_of(self, root_id):
        above = 0
        while True:
            replies, more = self.threads.page(root_id, above=above, limit=PAGE)
            yield from replies
            if not more:
                return
            above = replies[-1]["thread_seq"]

    def _uploads(self, user):
        ids = self.files.owned_by(str(user["_id"]), FILE_IDS_MAX)
        for start in range(0, len(ids), 50):
            for doc in self.files.by_ids(ids[start:start + 50]):
                reader = self.files.open(doc["_id"])
                if reader is not None:
                    try:
                        yield doc, reader
                    finally:
                        reader.close()

    # The mail and the download

    def compose(self, address, export_id):
        """(message, link) of the ready mail, with a new single-use token; None when the export or the account is
        gone. The mail worker calls this when it sends, so the token is nowhere kept in clear."""
        export = self.repo.get(to_object_id(export_id))
        user = self.users.by_id(export["user_id"]) if export and export["state"] == READY else None
        if not self.is_live(user):
            return None
        token = secrets.token_urlsafe(32)
        if not self.repo.set_token(export["_id"], hash_token(token), utcnow() + timedelta(seconds=self.link_ttl)):
            return None
        link = f"{self.public_url}/exports/download?token={token}"
        return export_message(self.mail_from, user["email"], user["username"], link, self.link_ttl), link

    def download(self, token):
        """(export, GridOut) for a mailed token, used up by this call. invalid_token for an unknown, used or expired
        token, or an export that is gone."""
        export = self.repo.use_token(hash_token(token)) if token else None
        out = self.repo.open(export["file_id"]) if export else None
        if out is None:
            raise errors.invalid_token("This download link is unknown, was used already, or has expired.")
        return export, out

    def remove_old(self, now=None):
        """Delete the exports asked for more than EXPORT_KEEP ago, with their zips; returns how many."""
        removed = 0
        while old := self.repo.older_than((now or utcnow()) - self.keep):
            for export in old:
                self.repo.remove(export)
            removed += len(old)
        return removed
