"""Catch-up (`sync-chat`, `GET /chats/<id>/changes`): the current state of every message changed since a Rev.

The answer never moves a client past a change that has not landed. Each change takes the chat's Rev first and
writes its message second (chat/chats/revs.py); the chat document lists the Revs taken in the last seconds
(`pending`) and each message the Revs written on it (`revs`). A sync reads the chat (its Rev and `pending`),
checks the in-flight entries above SinceRev against their messages (one lookup, only when there are any; a send's
message exists once landed, an edit, deletion or reaction has its Rev in the message's `revs`), waits a moment for
the few that have not landed, and answers up to the lowest Rev still in flight minus one. The messages are one
range of the (chat_id, rev) index: Rev in (SinceRev, bound], in Rev order, `Limit` + 1 of them.

Cost: the chat, at most a few lookups of in-flight messages, and one range read: it follows what changed.
"""
import time

from ..chats import revs
from ..kernel import errors
from ..kernel.clock import utcnow

DEFAULT_LIMIT = 100
WAIT_SECONDS, WAIT_STEP = 1.0, 0.01  # how long a sync waits for a change in flight to land, and how often it looks


def _landed(message_repo, waiting):
    """The entries of waiting that have not landed, after waiting up to WAIT_SECONDS for them (one lookup of
    their messages each look)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while waiting:
        written = message_repo.written({entry["m"] for entry in waiting})
        waiting = [entry for entry in waiting if entry["r"] not in written.get(entry["m"], ())]
        if not waiting or time.monotonic() >= deadline:
            break
        time.sleep(WAIT_STEP)  # cooperative under gevent: other requests run meanwhile
    return waiting


def changes(message_repo, chat, since, limit=None):
    """(messages in Rev order, the Rev to pass next, has_more) of chat since the Rev `since`.

    The range is read first; the changes in flight it would cover and whose write it does not show yet are
    looked up (and waited for); then, only if there were any, the range is read again up to the lowest one still
    in flight. validation_error when since is above the chat's Rev (no answer ever gave it)."""
    limit = DEFAULT_LIMIT if limit is None else limit
    upto = chat.rev
    if since > upto:
        raise errors.validation_error({"SinceRev": ["Above the chat's Rev: pass the Rev an earlier sync answered."]})
    found = message_repo.changed(chat.id, since, upto, limit + 1) if upto > since else []
    end = found[limit - 1]["rev"] if len(found) > limit else upto
    shown = {m["_id"]: m.get("revs") or () for m in found}
    waiting = [entry for entry in revs.in_flight(chat, since, utcnow())
               if entry["r"] <= end and entry["r"] not in shown.get(entry["m"], ())]
    if not waiting:
        return (found[:limit], end, True) if len(found) > limit else (found, upto, False)
    unlanded = _landed(message_repo, waiting)
    upto = min([entry["r"] - 1 for entry in unlanded] + [end])
    found = message_repo.changed(chat.id, since, upto, limit + 1) if upto > since else []
    if len(found) > limit:
        return found[:limit], found[limit - 1]["rev"], True
    # more when the first read was cut at Limit; none yet when a change below that is still in flight
    return found, upto, upto < chat.rev and not unlanded
