"""Mute: how long a member has silenced a chat, kept in the chat document and read without any background job.

A member's mute is `muted.<user id>` in the chat (self, personal or group) document: the time it ends, or
FOREVER for a mute without `Until`. Nothing ever clears an expired mute: a chat reads as muted only while
that time is in the future, so it simply stops reading as muted. The notification code (push, email digests)
reads the same field through `is_muted`, from the chat document it already holds.
"""
from datetime import datetime, timezone

from ..kernel.clock import as_utc, iso, utcnow

# A mute without Until ends at the end of the last day BSON dates and Python both represent.
FOREVER = datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone.utc)


# Ends before this are all alike (long past); clamping keeps every stored end a date BSON can hold.
LONG_AGO = datetime(1970, 1, 1, tzinfo=timezone.utc)


def mute_end(until):
    """The end to store for a requested Until (an aware datetime; None: no end), in UTC within
    [LONG_AGO, FOREVER], milliseconds as the database keeps them."""
    if until is None:
        return FOREVER
    try:
        until = until.astimezone(timezone.utc)
    except OverflowError:  # an offset pushed it past year 1 or 9999
        return FOREVER if until.year > 5000 else LONG_AGO
    until = min(max(until, LONG_AGO), FOREVER)
    return until.replace(microsecond=until.microsecond // 1000 * 1000)


def mute_field(user_id):
    return f"muted.{user_id}"


def muted_until(chat, user_id):
    """When the member's mute of the chat ends (FOREVER for no end), or None when they never muted it."""
    return as_utc(chat.muted.get(str(user_id)))


def is_muted(chat, user_id, now=None):
    """Whether the member has the chat muted at `now` (default: now): an expired mute reads as not muted."""
    until = muted_until(chat, user_id)
    return until is not None and until > (now or utcnow())


def mute_wire(chat, user_id, now=None):
    """{"Muted": bool, "MutedUntil": time or null}: null when not muted, or muted with no end."""
    return until_wire(muted_until(chat, user_id), now)


def until_wire(until, now=None):
    """`mute_wire` of a mute that ends at until (None: not muted)."""
    if until is None or until <= (now or utcnow()):
        return {"Muted": False, "MutedUntil": None}
    return {"Muted": True, "MutedUntil": None if until >= FOREVER else iso(until)}
