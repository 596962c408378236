"""The rules of messages: who may write, what content is, idempotent sends, pages, read state.

Callers pass a chat document they have already resolved for the user (see ChatService.member_chat);
this service checks membership again, because every write must.
"""
from bson import ObjectId

from .. import errors
from ..clock import utcnow

DEFAULT_LIMIT, MAX_LIMIT = 20, 100


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
            existing = self.messages.by_client_key(chat_id, sender["id"], client_id)
            if existing:
                return existing, False
        seq = self.chats.next_seq(chat_id, sender["id"])
        if seq is None:
            raise errors.not_found("No such chat.")
        message_id = ObjectId()
        now = utcnow()
        doc = {"_id": message_id, "chat_id": chat_id, "seq": seq, "sender_id": sender["id"],
               "sender_name": sender["username"], "content": content, "created_at": now, "edited_at": None,
               "deleted": False, "client_id": client_id,
               "client_key": client_id if client_id is not None else f"server:{message_id}"}
        stored, created = self.messages.insert(doc)
        if created:
            # Whoever writes has read everything before: their own messages never count as unread.
            self.read_state.advance(chat_id, sender["id"], seq, now)
        return stored, created

    def history(self, chat, user_id, before=None, after=None, limit=DEFAULT_LIMIT):
        """A page oldest→newest and whether there is more beyond it (older for Before/newest, newer for After)."""
        self.require_member(chat, user_id)
        if before is not None and after is not None:
            raise errors.validation_error({"Before": ["Give Before or After, not both."]})
        limit = DEFAULT_LIMIT if limit is None else limit
        if after is not None:
            cursor = self._cursor(chat, after, "After")
            page = self.messages.oldest_after(chat["_id"], cursor["seq"], limit + 1)
            return page[:limit], len(page) > limit
        below = self._cursor(chat, before, "Before")["seq"] if before is not None else None
        page = self.messages.newest(chat["_id"], limit + 1, below_seq=below)
        return list(reversed(page[:limit])), len(page) > limit

    def _cursor(self, chat, message_id, name):
        message = self.messages.get(chat["_id"], message_id)
        if message is None:
            raise errors.validation_error({name: ["Not a message of this chat."]})
        return message

    def mark_read(self, chat, reader_id, up_to=None):
        """Move the reader's position to up_to (default: the newest message).

        Returns the receipt {"UpTo", "ReadAt", "Seq"} when it moved forward, None when it did not
        (read state never moves backwards) or the chat is empty.
        """
        self.require_member(chat, reader_id)
        if up_to is not None:
            message = self._cursor(chat, up_to, "UpTo")
        else:
            newest = self.messages.newest(chat["_id"], 1)
            if not newest:
                return None
            message = newest[0]
        now = utcnow()
        if not self.read_state.advance(chat["_id"], reader_id, message["seq"], now):
            return None
        return {"UpTo": str(message["_id"]), "ReadAt": now, "Seq": message["seq"]}

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
        for chat in chats:
            newest = self.messages.newest(chat["_id"], 1) if chat.get("seq") else []
            unread = max(0, chat.get("seq", 0) - positions.get(chat["_id"], 0))
            result[chat["_id"]] = (newest[0] if newest else None, unread)
        return result
