"""Search of the messages of the caller's chats: every term of a query anywhere in a word, ignoring case and
accents, newest first, paged by an opaque cursor (chat/search/grams.py says how text is matched).

A search costs one read of the caller's chats and one aggregate per batch of candidates (chat/search/
repository.py); candidates are checked exactly, and a page reads at most SCAN_BATCHES batches: when the terms'
grams are common and the matches rare, it ends early with fewer results and a `Next` that goes on from the
last message read, so a page's cost stays bounded and paging never repeats or skips a message.
"""
import base64
import binascii
from dataclasses import dataclass
from datetime import datetime, timezone

from ..kernel import errors
from . import grams

DEFAULT_LIMIT, MAX_LIMIT = 20, 50
MAX_TERMS = 10
BATCH, SCAN_BATCHES = 100, 10
MAX_FILTER_GRAMS = 16  # the grams a candidate is filtered by in the database (the exact check sees every term)


@dataclass(frozen=True)
class Hit:
    """One result: the stored message and the kind of its chat ("self", "personal" or "group")."""

    message: dict
    kind: str


@dataclass(frozen=True)
class SearchPage:
    """A page of results, newest first, and the cursor of the next page (None: there is none)."""

    hits: list
    next: str | None


def encode_cursor(message):
    """The opaque cursor after message: its CreatedAt (ms) and id, base64url."""
    millis = int(message["created_at"].timestamp() * 1000)
    return base64.urlsafe_b64encode(f"{millis}:{message['_id']}".encode()).decode().rstrip("=")


def decode_cursor(cursor):
    """(created_at, id) of a cursor this service made; validation_error for anything else."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        millis, _, id_ = text.partition(":")
        if not millis.isdigit() or not id_:
            raise ValueError(text)
        return datetime.fromtimestamp(int(millis) / 1000, timezone.utc), id_
    except (ValueError, binascii.Error, UnicodeDecodeError, OverflowError, OSError):
        raise errors.validation_error({"cursor": ["Not a cursor of a search (pass Next as it came)."]}) from None


def parse_terms(q):
    """The normalised terms of q; validation_error unless there are 1..MAX_TERMS of 2..100 characters."""
    found = grams.terms(q or "")
    if not found:
        raise errors.validation_error({"q": ["Give at least one term to search for."]})
    if len(found) > MAX_TERMS:
        raise errors.validation_error({"q": [f"At most {MAX_TERMS} terms."]})
    if any(not grams.MIN_TERM <= len(term) <= grams.MAX_TERM for term in found):
        raise errors.validation_error({"q": [f"Each term is {grams.MIN_TERM} to {grams.MAX_TERM} characters "
                                             "(accents and marks not counted)."]})
    return found


class SearchService:
    """`search`: the one operation, for REST (and any other transport)."""

    def __init__(self, repository):
        self.repository = repository

    def search(self, user_id, q, chat=None, sender=None, has_file=False, before=None, after=None, limit=None,
               cursor=None):
        """A SearchPage of the messages matching q in the chats user_id is a member of now (only `chat` when given:
        not_found unless it is one of them), from `sender`, with attachments (has_file), created before/after
        the given times; at most limit (1..50, default 20), after cursor (a `Next` of an earlier page)."""
        wanted = parse_terms(q)
        limit = DEFAULT_LIMIT if limit is None else limit
        if not 1 <= limit <= MAX_LIMIT:
            raise errors.validation_error({"limit": [f"Between 1 and {MAX_LIMIT}."]})
        if before is not None and after is not None and after >= before:
            raise errors.validation_error({"after": ["Must be earlier than before."]})
        position = None if cursor is None else decode_cursor(cursor)
        chats = self.repository.member_chats(user_id)
        if chat is not None:
            if chat not in chats:
                raise errors.not_found("No such chat.")
            chats = {chat: chats[chat]}
        if not chats:
            return SearchPage([], None)
        lead, others = grams.lead(set().union(*map(grams.term_grams, wanted)))
        filters = {"from": sender, "file": has_file, "before": before, "after": after}
        hits = []
        for _ in range(SCAN_BATCHES):
            batch = self.repository.candidates(lead, others[:MAX_FILTER_GRAMS], chats, filters, position, BATCH)
            for message in batch:
                position = (message["created_at"], message["_id"])
                if grams.contains(message.get("content"), wanted):
                    hits.append(Hit(message, chats[message["chat_id"]]))
                    if len(hits) > limit:
                        return SearchPage(hits[:limit], encode_cursor(hits[limit - 1].message))
            if len(batch) < BATCH:
                return SearchPage(hits, None)
        return SearchPage(hits, encode_cursor({"created_at": position[0], "_id": position[1]}))

    def backfill(self, batch=500):
        """Give the messages stored before search existed their grams (deleted ones: none); returns how many.
        Run once after upgrading (`flask search backfill`); messages sent, edited or deleted since are left alone."""
        done = 0
        while rows := self.repository.unindexed(batch):
            self.repository.set_grams([(row["_id"], [] if row.get("deleted") else grams.grams(row.get("content")))
                                       for row in rows])
            done += len(rows)
        return done
