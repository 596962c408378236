"""The rules of messages: who may write, what content is, idempotent sends, pages, read state.

Callers pass a chat document they have already resolved for the user (see ChatService.member_chat);
this service checks membership again, because every write must.
"""
from .. import errors
from ..clock import utcnow
from .repository import message_id

DEFAULT_LIMIT, MAX_LIMIT = 20, 100
# How far below the chat's Seq to look for its newest message (a Seq taken by a send that is still
# being written, or that failed, has no message yet).
NEWEST_LOOKBACK = 5


class MessageService:
    """Send, page, read, edit and delete messages in any kind of chat."""

    def __init__(self, chats, messages, read_state, content_max=4000):
        self.chats = chats
        self.messages = messages
        self.read_state = read_state
        self.content_max = content_max

    def clean_content(self, content):
        """Content trimmed; validation_error unless it is 1..content_max characters."""
        content = content.strip() if isinstance(content, str) else ""
        if not 1 <= len(content) <= self.content_max:
            raise errors.validation_error({"Content": [f"Between 1 and {self.content_max} characters."]})
        return content

    @staticmethod
    def require_member(chat, user_id):
        if chat is None or str(user_id) not in chat["members"]:
            raise errors.not_found("No such chat.")

    def send(self, chat, sender, content, client_id=None):
        """Store a message and return (message, created).

        The message is stored (with the chat's next Seq) before anyone is told. A repeated
        ClientId from the same sender returns the stored message with created=False.
        """
        self.require_member(chat, sender["id"])
        content = self.clean_content(content)
        chat_id = chat["_id"]
        if client_id is not None:
            existing = self.messages.by_client_id(chat_id, sender["id"], client_id)
            if existing:
                return existing, False
        seq = self.chats.next_seq(chat_id, sender["id"])
        if seq is None:
            raise errors.not_found("No such chat.")
        now = utcnow()
        doc = {"_id": message_id(chat_id, seq), "chat_id": chat_id, "seq": seq, "sender_id": sender["id"],
               "sender_name": sender["username"], "content": content, "created_at": now, "edited_at": None,
               "deleted": False, "client_id": client_id}
        stored, created = self.messages.insert(doc, client_id)
        if created:
            # Whoever writes has read everything before: their own messages never count as unread.
            self.read_state.advance(chat_id, sender["id"], seq, now)
        return stored, created

    def history(self, chat, user_id, before=None, after=None, limit=DEFAULT_LIMIT):
        """A page oldest→newest and whether there is more beyond it (older for Before/newest, newer for After).

        The page is the ids of a Seq range, looked up at once: its cost does not grow with the chat.
        """
        self.require_member(chat, user_id)
        if before is not None and after is not None:
            raise errors.validation_error({"Before": ["Give Before or After, not both."]})
        limit = DEFAULT_LIMIT if limit is None else limit
        if after is not None:
            start = self._cursor(chat, after, "After")["seq"] + 1
            end = min(chat["seq"], start + limit - 1)
            return self.messages.in_range(chat["_id"], start, end), end < chat["seq"]
        end = self._cursor(chat, before, "Before")["seq"] - 1 if before is not None else chat["seq"]
        start = max(1, end - limit + 1)
        return self.messages.in_range(chat["_id"], start, end), start > 1

    def _cursor(self, chat, message_id_, name):
        message = self.messages.get(chat["_id"], message_id_)
        if message is None:
            raise errors.validation_error({name: ["Not a message of this chat."]})
        return message

    def newest(self, chat):
        """The chat's newest stored message, or None (a Seq still being written is skipped)."""
        top = chat.get("seq", 0)
        found = self.messages.in_range(chat["_id"], top - NEWEST_LOOKBACK + 1, top)
        return found[-1] if found else None

    def mark_read(self, chat, reader_id, up_to=None):
        """Move the reader's position to up_to (default: the newest message).

        Returns the receipt {"UpTo", "ReadAt", "Seq"} when it moved forward, None when it did not
        (read state never moves backwards) or the chat is empty.
        """
        self.require_member(chat, reader_id)
        message = self._cursor(chat, up_to, "UpTo") if up_to is not None else self.newest(chat)
        if message is None:
            return None
        now = utcnow()
        if not self.read_state.advance(chat["_id"], reader_id, message["seq"], now):
            return None
        return {"UpTo": message["_id"], "ReadAt": now, "Seq": message["seq"]}

    def edit(self, chat, user_id, message_id, content):
        """Replace the content of the user's own message; not_found or forbidden otherwise."""
        self.require_member(chat, user_id)
        content = self.clean_content(content)
        return self._change_own(chat, user_id, message_id, {"content": content, "edited_at": utcnow()})

    def delete(self, chat, user_id, message_id):
        """Soft-delete the user's own message: it keeps its Seq, its content is emptied."""
        self.require_member(chat, user_id)
        return self._change_own(chat, user_id, message_id, {"deleted": True, "content": "", "edited_at": utcnow()})

    def _change_own(self, chat, user_id, message_id, fields):
        updated = self.messages.update_own(chat["_id"], message_id, user_id, fields)
        if updated is not None:
            return updated
        message = self.messages.get(chat["_id"], message_id)
        if message is None or message.get("deleted"):
            raise errors.not_found("No such message.")
        raise errors.forbidden("Only the author can change a message.")

    def find(self, message_id):
        """A message by id, in whatever chat (callers check membership), or None."""
        return self.messages.by_id(message_id)

    def summaries(self, user_id, chats):
        """{chat_id: (last message or None, unread count)} for the user's chats."""
        positions = self.read_state.positions(user_id, [c["_id"] for c in chats])
        result = {}
        ids = [message_id(chat["_id"], seq) for chat in chats
               for seq in range(max(1, chat.get("seq", 0) - NEWEST_LOOKBACK + 1), chat.get("seq", 0) + 1)]
        newest = {}
        for message in self.messages.by_ids(ids):  # one lookup for every chat's last message
            if message["seq"] > newest.get(message["chat_id"], {"seq": 0})["seq"]:
                newest[message["chat_id"]] = message
        for chat in chats:
            unread = max(0, chat.get("seq", 0) - positions.get(chat["_id"], 0))
            result[chat["_id"]] = (newest.get(chat["_id"]), unread)
        return result
