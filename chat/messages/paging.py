"""History pages that hold `Limit` stored messages whenever `HasMore` is true, whatever holes the Seq has.

A page is the ids of the Seqs next to its cursor, looked up at once: `Limit` + 1 of them, so that the extra one
says whether there is more, and its cost does not grow with the chat. A Seq can be empty: the chat's `gaps` list
the Seqs taken by sends whose ClientId repeated after a later send had taken the next one (chat/chats/repository.py
`give_back_seq`), and those are skipped before anything is read; a Seq taken by a send that failed, or one still
being written, is found empty and the walk reads further (one lookup more, each asking twice as many ids as the
one before, at most READ_MOST), so a page comes back short only at the end of the history.
"""
from itertools import islice

READ_MOST = 1000  # ids asked for in one lookup at most, however many holes a walk meets


def older(messages, chat, end, limit):
    """(the newest `limit` stored messages with Seq <= end, oldest→newest; has_more: an older one is stored)."""
    found, more = _walk(messages, chat, range(end, 0, -1), limit, newest_first=True)
    return found[::-1], more


def newer(messages, chat, start, limit):
    """(the oldest `limit` stored messages with start <= Seq <= the chat's, oldest→newest; has_more)."""
    return _walk(messages, chat, range(max(start, 1), chat.seq + 1), limit, newest_first=False)


def _walk(messages, chat, seqs, limit, newest_first):
    """(up to `limit` stored messages in the order of seqs, whether one more is stored), reading the ids of seqs
    that are not known gaps, `limit` + 1 at first and more only while some turn out empty."""
    gaps = set(chat.gaps)
    candidates = (seq for seq in seqs if seq not in gaps)
    found, want = [], limit + 1
    while len(found) <= limit:
        batch = list(islice(candidates, want))
        if not batch:
            break
        ids = [messages.id_of(chat.id, seq) for seq in batch]
        found += sorted(messages.by_ids(ids), key=lambda m: m["seq"], reverse=newest_first)
        want = min(READ_MOST, max(2 * want, limit + 1 - len(found)))
    return found[:limit], len(found) > limit
