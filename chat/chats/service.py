"""Which chats a user may open, and the chat lists (inbox) with last message and unread counts.

Resolving a chat is the first step of every message operation (chat/messages/service.py); creating the
self and personal chats on first use happens here too, after everything that can be checked is checked,
so that a refused request leaves no chat behind.
"""
from .. import errors
from ..kinds import GROUP, PERSONAL, SELF, pair_key

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
        if (chat is None or (kind is not None and chat.get("kind") != kind)
                or str(user_id) not in chat["members"] or chat.get("deleted")):
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
        return self.chat_repo.ensure_personal(user, {"id": str(partner["_id"]), "username": partner["username"]})

    def open(self, user, ref, create):
        """The chat ref names, for a user ({"id", "username"}) who must be a member; created first when
        `create` and ref names a chat made on first use. None when it does not exist and is not created."""
        chat_id = self.chat_id(user["id"], ref)
        if not self.creatable(ref):
            return self.member_chat(user["id"], chat_id, ref.kind)
        chat = self.chat_repo.get(chat_id)
        return chat if chat is not None else self.create(user, ref, create)

    # Lists

    def personal_list(self, user_id):
        """[(chat, last message or None, unread)] of the user's personal chats, most recent activity first."""
        return self._summarized(user_id, self.chat_repo.for_member(user_id, PERSONAL))

    def group_list(self, user_id):
        """[(group, last message or None, unread)] of the user's live groups, most recent activity first."""
        return self._summarized(user_id, [c for c in self.chat_repo.for_member(user_id, GROUP) if not c.get("deleted")])

    def inbox(self, user_id, page, per_page):
        """(total, [(chat, last message or None, unread)]) for one page of personal and group chats."""
        total, chats = self.chat_repo.inbox_page(user_id, (page - 1) * per_page, per_page)
        return total, self._summarized(user_id, chats)

    def _summarized(self, user_id, chats):
        """Each chat with its newest message (one lookup for all of them) and the user's unread count."""
        ids = [self.message_repo.id_of(chat["_id"], seq) for chat in chats
               for seq in range(max(1, chat.get("seq", 0) - NEWEST_LOOKBACK + 1), chat.get("seq", 0) + 1)]
        newest = {}
        for message in self.message_repo.by_ids(ids):
            if message["seq"] > newest.get(message["chat_id"], {"seq": 0})["seq"]:
                newest[message["chat_id"]] = message
        return [(chat, newest.get(chat["_id"]), unread(chat, user_id)) for chat in chats]

    def newest(self, chat):
        """The chat's newest stored message, or None (a Seq still being written is skipped)."""
        top = chat.get("seq", 0)
        found = self.message_repo.in_range(chat["_id"], top - NEWEST_LOOKBACK + 1, top)
        return found[-1] if found else None

    def partners_of(self, user_id):
        """Ids of everyone who shares a personal chat or a live (not deleted) group with the user."""
        return self.chat_repo.partners_of(user_id)


def unread(chat, user_id):
    """How many Seqs of the chat lie beyond the user's read position."""
    return max(0, chat.get("seq", 0) - chat.get("reads", {}).get(str(user_id), 0))
