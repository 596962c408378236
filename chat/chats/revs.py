"""A chat's revision `Rev` and the revisions still in flight (SPEC v3, "Catch-up that never misses a change").

Every change to a chat's messages takes the chat's next Rev in one update of the chat document (a send in the
same update as its Seq), then writes it on the message. Between the two, the change is *in flight*: the same
update that takes the Rev records it in the chat's `pending` list as {"r": Rev, "m": message id, "at": time}, and
the message write adds the Rev to the message's `revs` (its last few revisions). A sync (chat/messages/sync.py)
answers only up to the lowest Rev still in flight minus one, so no answer ever moves a client past a change that
has not landed yet.

`pending` is never cleaned by the writer (that would cost a send a third command): each update that takes a Rev
drops the entries older than PENDING_SECONDS, longer than any write can take (the driver gives up on a write
after 10 s). A write that failed or stored nothing takes its entry back at once (`release`). No database here:
these are the pipeline expressions the chat repository uses.
"""
from datetime import timedelta

PENDING_SECONDS = 20  # an entry older than this is taken as landed (or failed): no write takes that long
REVS_KEPT = 20  # the newest revisions a message remembers having been written


def next_rev():
    """The Rev the update takes: the chat's current one + 1 (0 for chats from before revisions)."""
    return {"$add": [{"$ifNull": ["$rev", 0]}, 1]}


def expired_before(now):
    """The time before which a pending entry no longer counts."""
    return now - timedelta(seconds=PENDING_SECONDS)


def pending_with(rev, message_id, now, expire=True):
    """The chat's `pending` with {"r": rev, "m": message_id, "at": now} added (rev and message_id are expressions
    of the same update), and the expired entries dropped unless expire is False."""
    kept = {"$ifNull": ["$pending", []]}
    if expire:
        kept = {"$filter": {"input": kept, "cond": {"$gt": ["$$this.at", {"$literal": expired_before(now)}]}}}
    return {"$concatArrays": [kept, [{"r": rev, "m": message_id, "at": {"$literal": now}}]]}


def pending_without(rev):
    """The chat's `pending` without the entry of rev (a change that stored nothing); no field when none is left,
    as before the first change (`pending` is never an empty list)."""
    rest = {"$filter": {"input": {"$ifNull": ["$pending", []]}, "cond": {"$ne": ["$$this.r", rev]}}}
    return {"$cond": [{"$eq": [{"$size": rest}, 0]}, "$$REMOVE", rest]}


def message_rev(rev):
    """A message's `rev` after a write at rev: the highest it has seen (writes may land out of order)."""
    return {"$max": [{"$ifNull": ["$rev", 0]}, rev]}


def message_revs(rev):
    """A message's `revs` after a write at rev: its newest REVS_KEPT revisions written."""
    return {"$slice": [{"$concatArrays": [{"$ifNull": ["$revs", []]}, [rev]]}, -REVS_KEPT]}


def in_flight(chat, since, now):
    """The pending entries of chat that a sync from `since` must wait for: Rev above since, not expired."""
    top, fresh = chat.rev, expired_before(now)
    return [entry for entry in chat.pending if since < entry["r"] <= top and entry["at"] > fresh]
