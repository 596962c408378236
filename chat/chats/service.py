"""Which chats a user may open, and the inbox lists with last message and unread counts."""
from .. import errors
from .repository import GROUP, PERSONAL


class ChatService:
    """Resolves self and personal chats for a user and builds their lists."""

    def __init__(self, chats, users, messages):
        self.chats = chats
        self.users = users
        self.messages = messages

    def personal_chat(self, user_id, partner_id, chat_id=None, create=True):
        """The chat between user and partner, created on first use.

        The partner must be another verified user (not_found otherwise, revealing nothing about
        unverified accounts). A ChatId, when given, must be the user's chat with that partner; it is
        checked before anything is created, so a stranger's ChatId leaves no chat behind.
        """
        if str(partner_id) == str(user_id):
            raise errors.validation_error({"Partner": ["Use the self chat for notes to yourself."]})
        if chat_id is not None:
            chat = self.member_chat(user_id, chat_id, PERSONAL)
            if self.partner_of(chat, user_id) != str(partner_id):
                raise errors.not_found("No such chat.")
        partner = self.users.by_id(partner_id)
        if partner is None or not partner.get("verified"):
            raise errors.not_found("No such user.")
        if chat_id is None:
            chat = (self.chats.ensure_personal if create else self.chats.find_personal)(user_id, partner_id)
        return chat, partner

    # Reading and writing with first use: a refused request must not leave a new chat behind, so
    # everything that can be checked is checked before the chat is created.

    def personal_page(self, user_id, partner_id, chat_id=None, before=None, after=None, limit=None):
        """(chat, partner, messages, has_more) for a page of the chat with partner (created by a first fetch)."""
        chat, partner = self.personal_chat(user_id, partner_id, chat_id, create=before is None and after is None)
        return (chat, partner, *self._page(chat, user_id, before, after, limit))

    def self_page(self, user_id, before=None, after=None, limit=None):
        """(chat, messages, has_more) for a page of the user's self chat (created by a first fetch)."""
        fresh = before is None and after is None
        chat = self.chats.ensure_self(user_id) if fresh else self.chats.get(str(user_id))
        return (chat, *self._page(chat, user_id, before, after, limit))

    def _page(self, chat, user_id, before, after, limit):
        if chat is None:  # a cursor into a chat that does not exist yet
            raise errors.validation_error({"Before" if before is not None else "After": ["Not a message of this chat."]})
        return self.messages.history(chat, user_id, before, after, limit)

    def send_to_partner(self, sender, partner_id, content, client_id=None):
        """(chat, message, created): store a message to partner, creating the chat only for valid content."""
        self.messages.clean_content(content)
        chat, _partner = self.personal_chat(sender["id"], partner_id)
        return (chat, *self.messages.send(chat, sender, content, client_id))

    def send_to_self(self, sender, content, client_id=None):
        """(chat, message, created): store a note to self, creating the self chat only for valid content."""
        self.messages.clean_content(content)
        chat = self.chats.ensure_self(sender["id"])
        return (chat, *self.messages.send(chat, sender, content, client_id))

    def member_chat(self, user_id, chat_id, kind):
        """A chat of this kind that the user is a member of; not_found for anything else."""
        chat = self.chats.get(chat_id)
        if chat is None or chat.get("kind") != kind or str(user_id) not in chat["members"] or chat.get("deleted"):
            raise errors.not_found("No such chat.")
        return chat

    def partner_of(self, chat, user_id):
        """The other member's id of a personal chat."""
        return next(m for m in chat["members"] if m != str(user_id))

    def personal_list(self, user_id):
        """[(chat, partner doc, last message, unread)] most recent activity first."""
        chats = self.chats.for_member(user_id, PERSONAL)
        partners = self.users.by_ids([self.partner_of(c, user_id) for c in chats])
        summaries = self.messages.summaries(str(user_id), chats)
        return [(chat, partners.get(self.partner_of(chat, user_id)), *summaries[chat["_id"]])
                for chat in chats if partners.get(self.partner_of(chat, user_id))]

    def group_list(self, user_id):
        """[(group chat, last message, unread)] most recent activity first."""
        chats = [c for c in self.chats.for_member(user_id, GROUP) if not c.get("deleted")]
        summaries = self.messages.summaries(str(user_id), chats)
        return [(chat, *summaries[chat["_id"]]) for chat in chats]

    def inbox(self, user_id, page, per_page):
        """(total, [(chat, partner doc or None, last message, unread)]) for one page of the inbox."""
        total, chats = self.chats.inbox_page(user_id, (page - 1) * per_page, per_page)
        partners = self.users.by_ids([self.partner_of(c, user_id) for c in chats if c["kind"] == PERSONAL])
        summaries = self.messages.summaries(str(user_id), chats)
        return total, [(chat, partners.get(self.partner_of(chat, user_id)) if chat["kind"] == PERSONAL else None,
                        *summaries[chat["_id"]]) for chat in chats]

    def any_member_chat(self, user_id, chat_id):
        """A self, personal or group chat the user is a member of; not_found otherwise."""
        chat = self.chats.get(chat_id)
        if chat is None or str(user_id) not in chat["members"] or chat.get("deleted"):
            raise errors.not_found("No such chat.")
        return chat

    def chat_of_message(self, user_id, message_id):
        """The chat holding this message, if the user is a member of it; not_found otherwise."""
        message = self.messages.find(message_id)
        if message is None:
            raise errors.not_found("No such message.")
        try:
            return self.any_member_chat(user_id, message["chat_id"])
        except errors.ApiError:
            raise errors.not_found("No such message.") from None

    def partners_of(self, user_id):
        """Ids of everyone who shares a personal chat or a live (not deleted) group with the user."""
        return self.chats.partners_of(user_id)

