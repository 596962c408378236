"""Every operation on messages, one method each, whatever the transport: send, page, read, edit, delete, react,
the edit history and catch-up. `MessageService` is the one object both transports call (`services().messages`);
its operations live in cohesive parts: sending in chat/messages/sending.py, edit/delete/react in
chat/messages/changing.py, paging and reading here (the page walk in chat/messages/paging.py), catch-up in
chat/messages/sync.py.

Each takes the user and a `ChatRef` (how the request names the chat), resolves the chat, checks
membership once, stores, and returns what the transport pushes and answers. A page is two database commands: the
chat and the messages of the Seqs next to its cursor (more only past empty Seqs, chat/messages/paging.py).

Each operation that changes something announces it, once stored, to the events port (chat/events.py); `origin`
says who asked and from which socket.
"""
from ..chats.service import NEWEST_LOOKBACK
from ..events import NOBODY, Publisher
from ..governance.service import NoLog
from ..kernel import errors
from ..kernel.clock import utcnow
from ..kernel.records import Chat
from . import paging, sync
from .changing import Changing
from .repository import seq_of
from .sending import INVISIBLE, Sending, shows_nothing

__all__ = ["MessageService", "INVISIBLE", "shows_nothing", "DEFAULT_LIMIT", "MAX_LIMIT"]

DEFAULT_LIMIT, MAX_LIMIT = 20, 100


class MessageService(Sending, Changing):
    """Send, page, read, edit and delete messages in any kind of chat."""

    def __init__(self, chats, chat_repo, message_repo, content_max=4000, files=None, events=None):
        self.chats = chats  # ChatService: resolving and creating chats
        self.events = events or Publisher()
        self.chat_repo = chat_repo
        self.message_repo = message_repo
        self.content_max = content_max
        self.files = files  # FileService: attachments
        self.threads = None  # ThreadService (chat/threads/service.py): sends with ThreadOf, deleted replies
        self.audit = NoLog()  # the groups' audit log (chat/governance/): a moderator's deletion of others' messages

    def page(self, user, ref, before=None, after=None, limit=None):
        """(chat, messages oldest→newest, has_more) of the chat ref names (more: older for Before and the newest
        page, newer for After). A first page without a cursor creates the self chat or a personal chat.

        The page is the ids of the Seqs next to the cursor, looked up at once (the cursor's Seq is read from its
        id): its cost does not grow with the chat. Empty Seqs are skipped (chat/messages/paging.py), so a page holds
        `limit` messages whenever has_more is true.
        """
        if before is not None and after is not None:
            raise errors.validation_error({"Before": ["Give Before or After, not both."]})
        chat = self.chats.open(user, ref, create=before is None and after is None)
        if chat is None:  # a cursor into a chat that does not exist yet
            cursor = "Before" if before is not None else "After"
            raise errors.validation_error({cursor: ["Not a message of this chat."]})
        limit = DEFAULT_LIMIT if limit is None else limit
        if after is not None:
            return chat, *paging.newer(self.message_repo, chat, self._cursor(chat, after, "After") + 1, limit)
        end = self._cursor(chat, before, "Before") - 1 if before is not None else chat.seq
        return chat, *paging.older(self.message_repo, chat, end, limit)

    @staticmethod
    def _cursor(chat, message_id_, name):
        """The Seq of a cursor message id, read from the id itself (a page costs no lookup of the cursor)."""
        seq = seq_of(message_id_, chat.id)
        if seq is None or not 1 <= seq <= chat.seq:
            raise errors.validation_error({name: ["Not a message of this chat."]})
        return seq

    def mark_read(self, user_id, ref, up_to=None, origin=NOBODY):
        """Move the reader's position to up_to (default: the newest message): (chat, receipt or None).

        The receipt {"UpTo", "ReadAt", "Seq"} comes when it moved forward; None when it did not (read state
        never moves backwards) or the chat is empty. Reading the newest stored message, with or without UpTo,
        reads the whole chat, including Seqs above it that were taken by sends that failed (gaps at the top), so
        nothing stays unread. Announces `read_moved` when it moved.
        """
        chat = self.chats.member_chat(user_id, ref.chat_id, ref.kind)
        if up_to is not None:
            message = self.message_repo.get(chat.id, up_to)
            if message is None or message.get("thread_of"):  # a thread reply is read with read-thread
                raise errors.validation_error({"UpTo": ["Not a message of this chat."]})
            position = message["seq"]
            top = chat.seq
            if position < top and self._is_newest(chat, message):
                position = top
        else:
            message = self.chats.newest(chat)
            position = chat.seq
        if message is None or not self.chat_repo.advance_read(chat.id, str(user_id), position):
            return chat, None
        receipt = {"UpTo": message["_id"], "ReadAt": utcnow(), "Seq": message["seq"]}
        self.events.read_moved(chat, str(user_id), receipt, origin)
        return chat, receipt

    def typing(self, user, ref, started, origin=NOBODY):
        """Announce that user ({"id", "username"}) started (or stopped) typing in the personal chat ref names; a
        non-member gets not_found. Nothing is stored."""
        chat = self.chats.member_chat(user["id"], ref.chat_id, ref.kind)
        self.events.typing(chat, user, started, origin)

    def _is_newest(self, chat, message):
        """Whether message is the chat's newest stored one: only gaps lie above it (one lookup, and only when
        it is near the top)."""
        if chat.seq - message["seq"] >= NEWEST_LOOKBACK:
            return False
        newest = self.chats.newest(chat)
        return newest is not None and newest["_id"] == message["_id"]

    def changes(self, user, ref, since_rev, limit=None):
        """Catch-up: (chat or None, messages changed since the Rev since_rev in Rev order, the Rev to pass next,
        has_more), of a chat the user is a member of (chat/messages/sync.py). A self chat or a personal chat not
        made yet has no changes (Rev 0)."""
        chat = self.chats.open(user, ref, create=False)
        if chat is None:
            # A chat made on first use (self, or personal by its partner: ref.kind is set) is at Rev 0 until then.
            return None, *sync.changes(self.message_repo, Chat(id="", kind=ref.kind), since_rev, limit)
        return chat, *sync.changes(self.message_repo, chat, since_rev, limit)
