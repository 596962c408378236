"""The rules of messages: who may write, what content is, idempotent sends, pages, read state.

A send is two database commands whatever the chat: one update of the chat document (membership, the next
Seq, activity time and the sender's read position, atomically) and one insert of the message with its
idempotency key. A repeated ClientId costs a third (reading the message stored first).
"""
from .. import errors
from ..chats.repository import GROUP, SELF
from ..clock import utcnow
from .repository import client_key, message_id, seq_of

DEFAULT_LIMIT, MAX_LIMIT = 20, 100
# How far below the chat's Seq to look for its newest message (a Seq taken by a send that is still
# being written, or that failed, has no message yet).
NEWEST_LOOKBACK = 5


class MessageService:
    """Send, page, read, edit and delete messages in any kind of chat."""

    def __init__(self, chats, messages, content_max=4000):
        self.chats = chats
        self.messages = messages
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

    def send(self, kind, chat_id, sender, content, client_id=None, create=None):
        """Store a message from sender ({"id", "username"}) in their chat of this kind: (chat, message, created).

        The message is stored (with the chat's next Seq) before anyone is told. A repeated ClientId from the
        same sender returns the stored message with created=False. `create`, for chats made on first use (self,
        personal), is called when the chat does not exist yet and may raise to refuse; it runs only once the
        content is known to be valid, so a refused send leaves no chat behind.
        """
        content = self.clean_content(content)
        chat = self.chats.take_seq(chat_id, sender["id"], kind)
        if chat is None and create is not None:
            create()
            chat = self.chats.take_seq(chat_id, sender["id"], kind)
        if chat is None:
            raise errors.not_found("No such group." if kind == GROUP else "No such chat.")
        doc = {"_id": message_id(chat_id, chat["seq"]), "chat_id": chat_id, "seq": chat["seq"],
               "sender_id": sender["id"], "sender_name": sender["username"], "content": content,
               "created_at": utcnow(), "edited_at": None, "deleted": False, "client_id": client_id}
        if client_id is not None:
            doc["client_key"] = client_key(chat_id, sender["id"], client_id)
        return (chat, *self.messages.insert(doc))

    def send_to_self(self, sender, content, client_id=None):
        """(chat, message, created): a note to self; the self chat is created by the first valid one."""
        return self.send(SELF, str(sender["id"]), sender, content, client_id,
                         create=lambda: self.chats.ensure_self(sender["id"]))

    def history(self, chat, user_id, before=None, after=None, limit=DEFAULT_LIMIT):
        """A page oldest→newest and whether there is more beyond it (older for Before/newest, newer for After).

        The page is the ids of a Seq range, looked up at once: its cost does not grow with the chat.
        """
        self.require_member(chat, user_id)
        if before is not None and after is not None:
            raise errors.validation_error({"Before": ["Give Before or After, not both."]})
        limit = DEFAULT_LIMIT if limit is None else limit
        if after is not None:
            start = self._cursor(chat, after, "After") + 1
            end = min(chat["seq"], start + limit - 1)
            return self.messages.in_range(chat["_id"], start, end), end < chat["seq"]
        end = self._cursor(chat, before, "Before") - 1 if before is not None else chat["seq"]
        start = max(1, end - limit + 1)
        return self.messages.in_range(chat["_id"], start, end), start > 1

    @staticmethod
    def _cursor(chat, message_id_, name):
        """The Seq of a cursor message id, read from the id itself (a page costs no lookup of the cursor)."""
        seq = seq_of(message_id_, chat["_id"])
        if seq is None or not 1 <= seq <= chat.get("seq", 0):
            raise errors.validation_error({name: ["Not a message of this chat."]})
        return seq

    def newest(self, chat):
        """The chat's newest stored message, or None (a Seq still being written is skipped)."""
        top = chat.get("seq", 0)
        found = self.messages.in_range(chat["_id"], top - NEWEST_LOOKBACK + 1, top)
        return found[-1] if found else None

    def mark_read(self, chat, reader_id, up_to=None):
        """Move the reader's position to up_to (default: the newest message).

        Returns the receipt {"UpTo", "ReadAt", "Seq"} when it moved forward, None when it did not
        (read state never moves backwards) or the chat is empty. Reading the newest message reads the whole
        chat, including a Seq above it that was taken by a send that failed, so nothing stays unread.
        """
        self.require_member(chat, reader_id)
        if up_to is not None:
            message = self.messages.get(chat["_id"], up_to)
            if message is None:
                raise errors.validation_error({"UpTo": ["Not a message of this chat."]})
            position = message["seq"]
        else:
            message = self.newest(chat)
            position = chat.get("seq", 0)
        if message is None or not self.chats.advance_read(chat["_id"], str(reader_id), position):
            return None
        return {"UpTo": message["_id"], "ReadAt": utcnow(), "Seq": message["seq"]}

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
        result = {}
        ids = [message_id(chat["_id"], seq) for chat in chats
               for seq in range(max(1, chat.get("seq", 0) - NEWEST_LOOKBACK + 1), chat.get("seq", 0) + 1)]
        newest = {}
        for message in self.messages.by_ids(ids):  # one lookup for every chat's last message
            if message["seq"] > newest.get(message["chat_id"], {"seq": 0})["seq"]:
                newest[message["chat_id"]] = message
        for chat in chats:
            unread = max(0, chat.get("seq", 0) - chat.get("reads", {}).get(str(user_id), 0))
            result[chat["_id"]] = (newest.get(chat["_id"]), unread)
        return result
