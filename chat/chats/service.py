"""Which chats a user may open, and the chat lists (inbox) with last message and unread counts.

Resolving a chat is the first step of every message operation (chat/messages/service.py); creating the
self and personal chats on first use happens here too, after everything that can be checked is checked,
so that a refused request leaves no chat behind.
"""
from ..kernel import errors
from ..kernel.clock import utcnow
from ..kernel.kinds import GROUP, PERSONAL, SELF, pair_key
from ..moderation import slowmode
from .mute import mute_end

# How far below the chat's Seq to look for its newest message (a Seq taken by a send that is still
# being written, or that failed, has no message yet).
NEWEST_LOOKBACK = 5


class ChatService:
    """Resolves and creates chats for a user, and lists them."""

    def __init__(self, chat_repo, message_repo, user_repo):
        self.chat_repo = chat_repo
        self.message_repo = message_repo
        self.user_repo = user_repo

    # Resolving

    def member_chat(self, user_id, chat_id, kind=None):
        """A live chat of this kind (any kind for None) that the user is a member of; not_found otherwise."""
        chat = self.chat_repo.get(chat_id)
        if (chat is None or (kind is not None and chat.kind != kind)
                or str(user_id) not in chat.members or chat.deleted):
            raise errors.not_found("No such group." if kind == GROUP else "No such chat.")
        return chat

    def chat_id(self, user_id, ref):
        """The id of the chat ref names for this user (the self chat's is the user's; a partner names a pair)."""
        if ref.kind == SELF:
            return str(user_id)
        if ref.kind == PERSONAL and ref.partner_id is not None:
            if str(ref.partner_id) == str(user_id):
                raise errors.validation_error({"Partner": ["Use the self chat for notes to yourself."]})
            pair = pair_key(user_id, ref.partner_id)
            if ref.chat_id is not None and ref.chat_id != pair:
                raise errors.not_found("No such chat.")
            return pair
        return ref.chat_id

    def creatable(self, ref):
        """True when ref names a chat made on first use: the self chat, or a personal chat by its partner."""
        return ref.kind == SELF or (ref.kind == PERSONAL and ref.partner_id is not None)

    def create(self, user, ref, create=True):
        """Create the self chat, or the personal chat with ref's partner, who must be a verified user
        (not_found otherwise, revealing nothing about unverified accounts). With create False, only check."""
        if ref.kind == SELF:
            return self.chat_repo.ensure_self(user["id"]) if create else None
        partner = self.user_repo.by_id(ref.partner_id)
        if partner is None or not partner.get("verified"):
            raise errors.not_found("No such user.")
        if not create:
            return None
        user_id, partner_id = str(user["id"]), str(partner["_id"])
        if user_id in (partner.get("blocks") or ()):  # the partner blocked the user: no chat is made
            raise errors.blocked()
        blocked = [partner_id] if user_id in (partner.get("blocked_by") or ()) else []
        chat = self.chat_repo.ensure_personal(user, {"id": partner_id, "username": partner["username"],
                                                         "Bot": bool(partner.get("bot"))}, blocked)
        return self._with_blocks_since(chat, user_id, partner_id)

    def _with_blocks_since(self, chat, user_id, partner_id):
        """A personal chat just made, with any block between the two that raced its creation (made after the
        partner was read, written to the chat before it existed) copied in: the partner is read once more, on
        first use only. `blocked` when the partner blocked the user meanwhile."""
        partner = self.user_repo.by_id(partner_id) or {}
        now_blocked = ({user_id} if user_id in (partner.get("blocks") or ()) else set()) | (
            {partner_id} if user_id in (partner.get("blocked_by") or ()) else set())
        for member in now_blocked - set(chat.blocked):
            self.chat_repo.set_blocked(chat.id, member, True)
        if user_id in now_blocked:
            raise errors.blocked()
        return chat

    def refusal(self, user_id, chat_id, kind=None):
        """Why a send to chat_id was refused (the Seq update matched nothing), read once, on failure only:
        `blocked` for a member the partner blocked, `rate_limited` for one a group's slow mode holds back, else
        not_found."""
        chat = self.member_chat(user_id, chat_id, kind)
        if str(user_id) in chat.blocked:
            return errors.blocked()
        held_back = slowmode.refusal(chat, user_id, utcnow().timestamp())
        if held_back is not None:
            return held_back
        return errors.not_found("No such group." if kind == GROUP else "No such chat.")

    def check_not_blocked(self, chat, user_id):
        """blocked when the chat's other member blocked user_id (edits and reactions would reach them)."""
        if str(user_id) in chat.blocked:
            raise errors.blocked()

    # Mute

    def mute(self, user_id, chat_id, until):
        """Mute a chat the user is a member of until `until` (an aware datetime; None: with no end), or unmute
        it (until False): (kind, until stored or None). One conditional update; not_found for anyone else.
        An `until` already past is stored as given and reads as not muted."""
        stored = None if until is False else mute_end(until)
        kind = self.chat_repo.set_mute(chat_id, str(user_id), stored) if isinstance(chat_id, str) else None
        if kind is None:
            raise errors.not_found("No such chat.")
        return kind, stored

    def open(self, user, ref, create):
        """The chat ref names, for a user ({"id", "username"}) who must be a member; created first when
        `create` and ref names a chat made on first use. None when it does not exist and is not created."""
        chat_id = self.chat_id(user["id"], ref)
        if not self.creatable(ref):
            return self.member_chat(user["id"], chat_id, ref.kind)
        chat = self.chat_repo.get(chat_id)
        return chat if chat is not None else self.create(user, ref, create)

    # Lists

    def lists(self, user_id):
        """(personal list, group list): [(chat, last message or None, unread)] of the user's personal chats and of
        their live groups, each most recent activity first, from one query of the chats and one lookup of their
        newest messages (a socket's connect on `/` sends both lists)."""
        rows = self._summarized(user_id, [c for c in self.chat_repo.for_member(user_id, (PERSONAL, GROUP))
                                          if not (c.is_group and c.deleted)])
        return [row for row in rows if row[0].is_personal], [row for row in rows if row[0].is_group]

    def group_ids(self, user_id):
        """The ids of the user's live groups (their rooms, joined on connect): one query, no message lookup."""
        return [c.id for c in self.chat_repo.for_member(user_id, GROUP) if not c.deleted]

    def inbox(self, user_id, page, per_page):
        """(total, [(chat, last message or None, unread)]) for one page of personal and group chats."""
        total, chats = self.chat_repo.inbox_page(user_id, (page - 1) * per_page, per_page)
        return total, self._summarized(user_id, chats)

    def _summarized(self, user_id, chats):
        """Each chat with its newest message (one lookup for all of them) and the user's unread count."""
        ids = [self.message_repo.id_of(chat.id, seq) for chat in chats
               for seq in range(max(1, chat.seq - NEWEST_LOOKBACK + 1), chat.seq + 1)]
        newest = {}
        for message in self.message_repo.by_ids(ids):
            if message["seq"] > newest.get(message["chat_id"], {"seq": 0})["seq"]:
                newest[message["chat_id"]] = message
        return [(chat, newest.get(chat.id), unread(chat, user_id)) for chat in chats]

    def unread_mentions(self, user_id, rows):
        """{group id: unread messages that mention the user} for the groups among the list rows
        [(chat, last, unread)]: counted among each group's Seqs beyond the user's read position (so it drops with
        read receipts as Unread does, and a member added later starts from the Seq they joined at), in one
        query for all the groups, and none when no group has anything unread."""
        after = {chat.id: chat.read_by(user_id) for chat, _last, count in rows if chat.is_group and count > 0}
        return self.message_repo.count_mentions(str(user_id), after)

    def newest(self, chat):
        """The chat's newest stored message, or None (a Seq still being written is skipped)."""
        top = chat.seq
        found = self.message_repo.in_range(chat.id, top - NEWEST_LOOKBACK + 1, top)
        return found[-1] if found else None

    def partners_of(self, user_id):
        """Ids of everyone who shares a personal chat or a live (not deleted) group with the user."""
        return self.chat_repo.partners_of(user_id)


def unread(chat, user_id):
    """How many messages of the chat lie beyond the user's read position."""
    return stored_beyond(chat, chat.read_by(user_id))


def stored_beyond(chat, seq):
    """How many Seqs of the chat lie beyond seq, leaving out the known empty ones (`gaps`: the Seqs of repeated
    ClientIds that could not be given back, chat/chats/repository.py `give_back_seq`)."""
    empty = sum(1 for gap in chat.gaps if gap > seq)
    return max(0, chat.seq - seq - empty)
