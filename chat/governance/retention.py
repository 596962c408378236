"""The retention sweep: messages older than their chat's retention become empty placeholders.

A chat keeps messages for RETENTION_DAYS (server-wide, 0: forever), or for a group's own `RetentionDays` when
that is shorter (an admin may only shorten it; with no server-wide limit a group's is its own). An older message
keeps its Seq (so `Seq` stays gap-free) and becomes `Deleted` and `expired`: its content, earlier versions,
reactions, mentions, quote, search grams and attached files are gone, and the quotes of it in replies are
emptied. Each batch of one chat takes the chat's next Rev (chat/chats/revs.py) and is written with it, so a
client's `sync-chat` gets the placeholders and drops what it showed.

One process sweeps at a time (a lease in `locks`, renewed after every batch); the others skip their turn. A batch
is RETENTION_BATCH messages of one chat, and the sweep pauses RETENTION_PAUSE seconds between batches, so the
database keeps answering requests while a large backlog goes. The same pass runs the other clean-ups given
(`extra`: old exports). No Flask, no Socket.IO.
"""
import logging
import os
import time
import uuid
from datetime import timedelta

from ..kernel.clock import utcnow

log = logging.getLogger(__name__)
LEASE = "retention"


def effective_days(server_days, group_days):
    """Days a chat keeps messages: the shorter of the server's and the group's (each 0: no limit); 0: forever."""
    limits = [days for days in (server_days, group_days or 0) if days > 0]
    return min(limits) if limits else 0


class RetentionSweep:
    """One pass of the sweep (`sweep`), as the background loop runs it."""

    def __init__(self, repo, take_rev, remove_files, server_days, batch=200, pause=0.05, extra=(), lease=300):
        self.repo = repo
        self.take_rev = take_rev  # (chat id, marker message id) → the chat's next Rev, or None (a deleted chat)
        self.remove_files = remove_files  # the attachments of a message → their files deleted
        self.server_days, self.batch, self.pause = server_days, max(1, batch), pause
        self.extra, self.lease = list(extra), lease
        self.owner = f"{os.getpid()}:{uuid.uuid4().hex[:8]}"

    def sweep(self, now=None):
        """Expire what is due in every chat, then run the extra clean-ups; returns how many messages expired
        (0, and nothing done, when another process holds the sweep)."""
        if not self.repo.take_lease(LEASE, self.owner, self.lease):
            return 0
        try:
            now = now or utcnow()
            expired = 0
            chats = self.repo.chat_ids() if self.server_days else self.repo.groups_with_retention()
            for chat in chats:
                days = effective_days(self.server_days, chat.get("retention_days"))
                if days:
                    expired += self.expire_chat(chat["_id"], now - timedelta(days=days))
            for job in self.extra:
                job()
            if expired:
                log.info("retention: %d messages expired", expired)
            return expired
        finally:
            self.repo.release_lease(LEASE, self.owner)

    def expire_chat(self, chat_id, cutoff):
        """Expire the chat's messages created before cutoff, a batch at a time, each batch at a new Rev."""
        done = 0
        while rows := self.repo.older_than(chat_id, cutoff, self.batch):
            ids = [row["_id"] for row in rows]
            self.repo.expire(ids, self.take_rev(chat_id, ids[-1]))
            for row in rows:
                if row.get("attachments"):
                    self.remove_files(row["attachments"])
            done += len(rows)
            self.repo.take_lease(LEASE, self.owner, self.lease)
            if len(rows) < self.batch:
                break
            time.sleep(self.pause)  # under gevent, other greenlets (requests) run meanwhile
        return done
