"""Which chats a user may open, and the inbox lists with last message and unread counts."""
from .. import errors
from .repository import GROUP, PERSONAL, pair_key


class ChatService:
    """Resolves self and personal chats for a user and builds their lists."""

    def __init__(self, chats, users, messages):
        self.chats = chats
        self.users = users
        self.messages = messages

    def personal_chat(self, user, partner_id, chat_id=None, create=True):
        """(chat, partner) for the chat between user ({"id", "username"}) and partner, created on first use.

        The partner must be another verified user (not_found otherwise, revealing nothing about unverified
        accounts). A ChatId, when given, must be the user's chat with that partner; it is checked before
        anything is created, so a stranger's ChatId leaves no chat behind. An existing chat knows both
        usernames, so opening it is one lookup.
        """
        user_id = str(user["id"])
        if str(partner_id) == user_id:
            raise errors.validation_error({"Partner": ["Use the self chat for notes to yourself."]})
        if chat_id is not None and chat_id != pair_key(user_id, partner_id):
            raise errors.not_found("No such chat.")
        chat = self.chats.find_personal(user_id, partner_id)
        if chat is not None and user_id in chat["members"]:
            partner_id = str(partner_id)
            return chat, {"_id": partner_id, "username": chat["names"][partner_id]}
        if chat_id is not None:
            raise errors.not_found("No such chat.")
        partner = self.users.by_id(partner_id)
        if partner is None or not partner.get("verified"):
            raise errors.not_found("No such user.")
        if create:
            chat = self.chats.ensure_personal(user, {"id": str(partner["_id"]), "username": partner["username"]})
        return chat, partner

    # Reading and writing with first use: a refused request must not leave a new chat behind, so
    # everything that can be checked is checked before the chat is created.

    def personal_page(self, user, partner_id, chat_id=None, before=None, after=None, limit=None):
        """(chat, partner, messages, has_more) for a page of the chat with partner (created by a first fetch)."""
        chat, partner = self.personal_chat(user, partner_id, chat_id, create=before is None and after is None)
        return (chat, partner, *self._page(chat, user["id"], before, after, limit))

    def self_page(self, user_id, before=None, after=None, limit=None):
        """(chat, messages, has_more) for a page of the user's self chat (created by a first fetch)."""
        fresh = before is None and after is None
        chat = self.chats.ensure_self(user_id) if fresh else self.chats.get(str(user_id))
        return (chat, *self._page(chat, user_id, before, after, limit))

    def _page(self, chat, user_id, before, after, limit):
        if chat is None:  # a cursor into a chat that does not exist yet
            cursor = "Before" if before is not None else "After"
            raise errors.validation_error({cursor: ["Not a message of this chat."]})
        return self.messages.history(chat, user_id, before, after, limit)

    def send_to_partner(self, sender, partner_id, content, client_id=None):
        """(chat, message, created): a message to partner; the chat is created by the first valid one."""
        return self.messages.send(PERSONAL, pair_key(sender["id"], partner_id), sender, content, client_id,
                                  create=lambda: self.personal_chat(sender, partner_id))

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

