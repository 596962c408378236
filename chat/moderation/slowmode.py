"""Slow mode: in a group with `slow_mode` seconds (0..3600, 0 or missing: off), a member who is neither the admin
nor a moderator sends at most one message per that many seconds.

The rule rides the one update that takes a send's Seq (chat/chats/repository.py `take_seq`), so it costs a send
no command of its own, holds on every send path (socket, REST, anything that takes a Seq), and is shared by
every process through the database (with or without REDIS_URL): the filter refuses a sender whose `spoke.<user
id>` (seconds since the epoch of their last message, written by the same update while slow mode is on) is less
than `slow_mode` seconds ago, so nothing is stored and no Seq is taken. Two sends racing from one member: one
update wins, the other no longer matches. A refused send reads the chat once to say why (`refusal`).
No database here: the filter and the field the chat repository uses.
"""
import math

from ..kernel import errors

MAX_SECONDS = 3600


def spoke_field(member_id):
    """Where a member's last send time is kept on the group."""
    return f"spoke.{member_id}"


def allows(member_id, now):
    """The filter clause of `take_seq`: member_id may send at `now` (seconds since the epoch): the admin or a
    moderator, or no slow mode, or their last send is at least `slow_mode` seconds ago."""
    waited = {"$lte": [{"$add": [{"$ifNull": [f"${spoke_field(member_id)}", 0]}, {"$ifNull": ["$slow_mode", 0]}]},
                       now]}
    return {"$or": [{"admin_id": member_id}, {"moderators": member_id}, {"$expr": waited}]}


def spoke_value(now):
    """The pipeline value of `spoke.<member>` after a send at now: kept while slow mode is on, dropped when off."""
    return {"$cond": [{"$gt": [{"$ifNull": ["$slow_mode", 0]}, 0]}, now, "$$REMOVE"]}


def refusal(chat, member_id, now):
    """rate_limited (with the seconds left) when slow mode refused member_id's send to chat, else None."""
    member_id = str(member_id)
    if chat.admin_id == member_id or member_id in chat.moderators:
        return None
    left = chat.spoke.get(member_id, 0) + chat.slow_mode - now
    if left <= 0:
        return None
    error = errors.rate_limited(left)
    error.message = f"Slow mode: one message every {chat.slow_mode} s; retry in {math.ceil(left)} s."
    return error
