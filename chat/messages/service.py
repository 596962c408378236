"""Every operation on messages, one method each, whatever the transport: send, page, read, edit, delete, react
and the edit history.

Each takes the user and a `ChatRef` (how the request names the chat), resolves the chat, checks
membership once, stores, and returns what the transport pushes and answers. A send is two database
commands whatever the chat: one update of the chat document (membership, the next Seq, activity time and
the sender's read position, atomically, and refusing a sender the partner blocked) and one insert of the
message with its idempotency key; a repeated ClientId costs two more (reading the message stored first, and
giving its Seq back in one conditional update of the chat), a refused send one read of the chat to say why
(`blocked` or not_found). A reply costs one read more (the replied-to message, by id); mentions cost nothing
more (they are resolved from the group document the Seq update returns). A page is two: the chat and the
messages of the Seqs next to its cursor (more only past empty Seqs, chat/messages/paging.py). A reaction is
two: the chat (membership) and one conditional update of the message, which checks both emoji limits.
"""
import unicodedata

from .. import errors
from ..chats.service import NEWEST_LOOKBACK
from ..clock import utcnow
from ..fields import storable
from ..kinds import GROUP
from . import paging, reactions, rules
from .repository import chat_id_of, client_key, message_id, seq_of

DEFAULT_LIMIT, MAX_LIMIT = 20, 100
# Characters that show nothing on their own, besides whitespace, controls (Cc) and format characters (Cf:
# zero-width space and joiners, BOM, bidi marks): variation selectors, the combining grapheme joiner, Hangul
# fillers, the braille blank.
INVISIBLE = frozenset("\u034f\u115f\u1160\u2800\u3164\uffa0" + "".join(map(chr, range(0xFE00, 0xFE10)))
                      + "".join(map(chr, range(0xE0100, 0xE01F0))))


def shows_nothing(text):
    """Whether text would display as nothing: only whitespace, control, format or other invisible characters."""
    return all(ch.isspace() or ch in INVISIBLE or unicodedata.category(ch) in ("Cc", "Cf") for ch in text)


class MessageService:
    """Send, page, read, edit and delete messages in any kind of chat."""

    def __init__(self, chats, chat_repo, message_repo, content_max=4000, files=None):
        self.chats = chats  # ChatService: resolving and creating chats
        self.chat_repo = chat_repo
        self.message_repo = message_repo
        self.content_max = content_max
        self.files = files  # FileService: attachments

    def clean_content(self, content, allow_empty=False):
        """Content trimmed; validation_error unless it is 1..content_max characters that show something (content
        of only whitespace, control, zero-width or other invisible characters counts as empty) and can be stored.
        With allow_empty (a send with attachments), content that shows nothing is "".
        """
        content = content.strip() if isinstance(content, str) else ""
        if allow_empty and (not content or shows_nothing(content)):
            return ""
        if not 1 <= len(content) <= self.content_max or shows_nothing(content):
            raise errors.validation_error({"Content": [f"Between 1 and {self.content_max} characters."]})
        if not storable(content):  # the schemas refuse it first; checked here too, before anything is written
            raise errors.validation_error({"Content": ["Not valid Unicode text (it holds a lone surrogate)."]})
        return content

    def send(self, sender, ref, content, client_id=None, reply_to=None, attachments=None):
        """Store a message from sender ({"id", "username"}) in the chat ref names: (chat, message, created).

        The message is stored (with the chat's next Seq) before anyone is told. A repeated ClientId from the
        same sender returns the stored message with created=False; the Seq it took is given back (or, when a
        later send took the next one meanwhile, recorded as a gap that pages skip and Unread does not count). The
        self chat and a personal chat named by its partner are created by their first valid message. reply_to, a
        MessageId, must name an undeleted message of the same chat (validation_error otherwise, nothing written);
        in a group, `@username` of a current member becomes one of the message's Mentions. attachments, a list
        of 1..10 FileIds of the sender's own uploads not attached before, go with the message (Content may then be
        empty); they are claimed before the Seq is taken and given back if the send is refused (two commands
        more: chat/files/service.py).
        """
        content = self.clean_content(content, allow_empty=bool(attachments))
        if client_id is not None and not (isinstance(client_id, str) and storable(client_id)):
            raise errors.validation_error({"ClientId": ["Not valid Unicode text (it holds a lone surrogate)."]})
        chat_id = self.chats.chat_id(sender["id"], ref)
        reply = None if reply_to is None else self._reply_target(sender["id"], ref, chat_id, reply_to)
        key = None if client_id is None else client_key(chat_id, sender["id"], client_id)
        attached, fresh = [], False
        if attachments is not None:
            key = self.files.claim_key(key)
            attached, fresh = self.files.attach(sender["id"], chat_id, attachments, key)
        try:
            chat = self.chat_repo.take_seq(chat_id, sender["id"], ref.kind)
            if chat is None:
                chat = self._refused_send(sender, ref, chat_id)
        except errors.ApiError:
            if fresh:  # nothing was stored: the files are the sender's to attach again
                self.files.release(attached, key)
            raise
        doc = {"_id": message_id(chat_id, chat["seq"]), "chat_id": chat_id, "seq": chat["seq"],
               "sender_id": sender["id"], "sender_name": sender["username"], "content": content,
               "created_at": utcnow(), "edited_at": None, "deleted": False, "client_id": client_id,
               "reply_to": reply, "reactions": []}
        mentions = rules.mentioned(content, chat, sender["id"]) if chat["kind"] == GROUP else []
        if mentions:  # only messages that mention someone carry the field
            doc["mentions"] = mentions
        if attached:
            doc["attachments"] = attached
        if client_id is not None:
            doc["client_key"] = client_key(chat_id, sender["id"], client_id)
        message, created = self.message_repo.insert(doc)
        if not created:  # a repeated ClientId: the Seq taken stays empty; given back, or kept as a known gap
            self.chat_repo.give_back_seq(chat_id, chat["seq"])
        return chat, message, created

    def _refused_send(self, sender, ref, chat_id):
        """After the Seq update matched nothing: the chat made on first use (the self chat, a personal chat named
        by its partner) and its Seq, or why not: `blocked` when the partner blocked the sender (nothing stored),
        not_found otherwise. Costs commands only on this path, never on a send that went through."""
        if self.chats.creatable(ref):  # its own chat: made now (`blocked` if the partner blocked the sender)
            self.chats.create(sender, ref)
            chat = self.chat_repo.take_seq(chat_id, sender["id"], ref.kind)
            if chat is not None:
                return chat
        raise self.chats.refusal(sender["id"], chat_id, ref.kind)

    def _reply_target(self, user_id, ref, chat_id, reply_to):
        """What the reply keeps of the message it answers (one read). A missing or deleted one is validation_error
        for a member, and not_found for anyone else, exactly as their send would have been refused."""
        message = self.message_repo.get(chat_id, reply_to) if isinstance(reply_to, str) else None
        if message is None or message.get("deleted"):
            if not self.chats.creatable(ref):  # reveal nothing of a chat the user is not in
                self.chats.member_chat(user_id, chat_id, ref.kind)
            raise errors.validation_error({"ReplyTo": ["Not a message of this chat (or it was deleted)."]})
        return rules.reply_of(message)

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
        end = self._cursor(chat, before, "Before") - 1 if before is not None else chat.get("seq", 0)
        return chat, *paging.older(self.message_repo, chat, end, limit)

    @staticmethod
    def _cursor(chat, message_id_, name):
        """The Seq of a cursor message id, read from the id itself (a page costs no lookup of the cursor)."""
        seq = seq_of(message_id_, chat["_id"])
        if seq is None or not 1 <= seq <= chat.get("seq", 0):
            raise errors.validation_error({name: ["Not a message of this chat."]})
        return seq

    def mark_read(self, user_id, ref, up_to=None):
        """Move the reader's position to up_to (default: the newest message): (chat, receipt or None).

        The receipt {"UpTo", "ReadAt", "Seq"} comes when it moved forward; None when it did not (read state
        never moves backwards) or the chat is empty. Reading the newest stored message, with or without UpTo,
        reads the whole chat, including Seqs above it that were taken by sends that failed (gaps at the top), so
        nothing stays unread.
        """
        chat = self.chats.member_chat(user_id, ref.chat_id, ref.kind)
        if up_to is not None:
            message = self.message_repo.get(chat["_id"], up_to)
            if message is None:
                raise errors.validation_error({"UpTo": ["Not a message of this chat."]})
            position = message["seq"]
            top = chat.get("seq", 0)
            if position < top and self._is_newest(chat, message):
                position = top
        else:
            message = self.chats.newest(chat)
            position = chat.get("seq", 0)
        if message is None or not self.chat_repo.advance_read(chat["_id"], str(user_id), position):
            return chat, None
        return chat, {"UpTo": message["_id"], "ReadAt": utcnow(), "Seq": message["seq"]}

    def _is_newest(self, chat, message):
        """Whether message is the chat's newest stored one: only gaps lie above it (one lookup, and only when
        it is near the top)."""
        if chat.get("seq", 0) - message["seq"] >= NEWEST_LOOKBACK:
            return False
        newest = self.chats.newest(chat)
        return newest is not None and newest["_id"] == message["_id"]

    def edit(self, user_id, message_id_, content, ref=None):
        """Replace the content of the user's own message, keeping the version it replaces in its history:
        (chat, message). ref, when the request names the chat too, must be the message's chat; without it any
        chat the user is a member of. In a group the mentions are resolved again, against the current members."""
        content = self.clean_content(content)
        chat = self._chat_of(user_id, message_id_, ref)
        self.chats.check_not_blocked(chat, user_id)
        mentions = rules.mentioned(content, chat, str(user_id)) if chat["kind"] == GROUP else None
        updated = self.message_repo.edit_own(chat["_id"], message_id_, str(user_id), content, utcnow(), mentions,
                                             rules.HISTORY_MAX)
        return self._changed_own(chat, message_id_, updated)

    def delete(self, user_id, message_id_, ref=None):
        """Soft-delete the user's own message: it keeps its Seq; its content, earlier versions, reactions,
        mentions and reply are emptied in the same update; replies to it now quote nothing, and its attached files
        are deleted. (chat, message)."""
        chat = self._chat_of(user_id, message_id_, ref)
        updated = self.message_repo.update_own(chat["_id"], message_id_, str(user_id), {
            "deleted": True, "content": "", "edited_at": utcnow(), "history": [], "reactions": [], "mentions": [],
            "reply_to": None})
        chat, message = self._changed_own(chat, message_id_, updated)
        self.message_repo.mark_reply_targets_deleted(message["_id"])
        if message.get("attachments"):
            self.files.remove_attached(message["attachments"])
        return chat, message

    def react(self, user_id, message_id_, emoji, on, ref=None):
        """Add (on True) or take back the user's emoji on a message of a chat they are a member of:
        (chat, message). Idempotent; a deleted message, a 21st distinct emoji, an 11th distinct one of the same
        member, or tag characters other than a subdivision flag (chat/messages/reactions.py) are validation_error.
        """
        emoji = rules.clean_emoji(emoji)
        if on:  # one already stored can always be taken back
            reactions.check_new(emoji)
        chat = self._chat_of(user_id, message_id_, ref)
        self.chats.check_not_blocked(chat, user_id)
        user_id = str(user_id)
        message = self.message_repo.react(chat["_id"], message_id_, user_id, emoji, bool(on), rules.MAX_EMOJI,
                                          reactions.MEMBER_MAX_EMOJI)
        if message is None:
            if self.message_repo.get(chat["_id"], message_id_) is None:
                raise errors.not_found("No such message.")
            raise errors.validation_error({"MessageId": ["This message was deleted."]})
        if on and {"emoji": emoji, "user_id": user_id} not in message.get("reactions", []):
            raise reactions.refusal(message, user_id, rules.MAX_EMOJI)
        return chat, message

    def message(self, user_id, message_id_):
        """(chat, message) of a message in a chat the user is a member of (not_found otherwise): for its
        history, whose versions are in the message itself."""
        chat = self._chat_of(user_id, message_id_, None)
        message = self.message_repo.get(chat["_id"], message_id_)
        if message is None:
            raise errors.not_found("No such message.")
        return chat, message

    def _chat_of(self, user_id, message_id_, ref):
        """The chat of message_id_, which the user must be a member of; ref, when the request names the chat too,
        must be that chat. not_found otherwise, revealing nothing about chats the user is not in."""
        chat_id = chat_id_of(message_id_)
        if ref is not None:
            chat = self.chats.member_chat(user_id, self.chats.chat_id(user_id, ref), ref.kind)
            if chat_id != chat["_id"]:
                raise errors.not_found("No such message.")
            return chat
        try:
            return self.chats.member_chat(user_id, chat_id)
        except errors.ApiError:
            raise errors.not_found("No such message.") from None

    def _changed_own(self, chat, message_id_, updated):
        """(chat, updated), or why the user's own message could not be changed."""
        if updated is not None:
            return chat, updated
        message = self.message_repo.get(chat["_id"], message_id_)
        if message is None or message.get("deleted"):
            raise errors.not_found("No such message.")
        raise errors.forbidden("Only the author can change a message.")
