"""Sending a message (the `send` of MessageService, chat/messages/service.py): content rules, the reply it
answers, its attachments, and the one update of the chat and the one insert that store it.

A send is two database commands whatever the chat: one update of the chat document (membership, the next Seq and
Rev, activity time and the sender's read position, atomically, and refusing a sender the partner blocked) and one
insert of the message with its idempotency key; a repeated ClientId costs two more (reading the message stored
first, and giving its Seq back in one conditional update of the chat), a refused send one read of the chat to say
why (`blocked` or not_found). A reply costs one read more (the replied-to message, by id); mentions cost nothing
more (they are resolved from the group document the Seq update returns).
"""
import unicodedata

from ..events import NOBODY
from ..kernel import errors
from ..kernel.clock import utcnow
from ..kernel.fields import storable
from ..search.grams import grams as search_grams
from . import rules
from .repository import client_key, message_id

# Characters that show nothing on their own, besides whitespace, controls (Cc) and format characters (Cf:
# zero-width space and joiners, BOM, bidi marks): variation selectors, the combining grapheme joiner, Hangul
# fillers, the braille blank.
INVISIBLE = frozenset("\u034f\u115f\u1160\u2800\u3164\uffa0" + "".join(map(chr, range(0xFE00, 0xFE10)))
                      + "".join(map(chr, range(0xE0100, 0xE01F0))))


def shows_nothing(text):
    """Whether text would display as nothing: only whitespace, control, format or other invisible characters."""
    return all(ch.isspace() or ch in INVISIBLE or unicodedata.category(ch) in ("Cc", "Cf") for ch in text)


class Sending:
    """The send half of MessageService (it provides chats, chat_repo, message_repo, files, events, content_max)."""

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

    def send(self, sender, ref, content, client_id=None, reply_to=None, attachments=None, origin=NOBODY,
             thread_of=None):
        """Store a message from sender ({"id", "username"}) in the chat ref names: (chat, message, created).

        The message is stored (with the chat's next Seq) before anyone is told. A repeated ClientId from the
        same sender returns the stored message with created=False; the Seq it took is given back (or, when a
        later send took the next one meanwhile, recorded as a gap that pages skip and Unread does not count). The
        self chat and a personal chat named by its partner are created by their first valid message. reply_to, a
        MessageId, must name an undeleted message of the same chat (validation_error otherwise, nothing written);
        in a group, `@username` of a current member becomes one of the message's Mentions. attachments, a list
        of 1..10 FileIds of the sender's own uploads not attached before, go with the message (Content may then be
        empty); they are claimed before the Seq is taken and given back if the send is refused (two commands
        more: chat/files/service.py). Announces `message_sent` when created. With thread_of, the message is a reply
        in that message's thread, out of the main timeline (chat/threads/service.py `reply`).
        """
        content = self.clean_content(content, allow_empty=bool(attachments))
        if client_id is not None and not (isinstance(client_id, str) and storable(client_id)):
            raise errors.validation_error({"ClientId": ["Not valid Unicode text (it holds a lone surrogate)."]})
        if thread_of is not None:
            return self.threads.reply(sender, ref, content, client_id, reply_to, attachments, thread_of, origin)
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
        doc = {"_id": message_id(chat_id, chat.seq), "chat_id": chat_id, "seq": chat.seq,
               "sender_id": sender["id"], "sender_name": sender["username"], "content": content,
               "created_at": utcnow(), "edited_at": None, "deleted": False, "client_id": client_id,
               "reply_to": reply, "reactions": [], "grams": search_grams(content),  # search: in the same insert
               "rev": chat.rev, "revs": [chat.rev]}  # its Rev, taken with the Seq (chat/chats/revs.py)
        mentions = rules.mentioned(content, chat, sender["id"]) if chat.is_group else []
        if mentions:  # only messages that mention someone carry the field
            doc["mentions"] = mentions
        if attached:
            doc["attachments"] = attached
        if sender.get("Bot"):  # only a bot's messages carry the field
            doc["sender_bot"] = True
        if client_id is not None:
            doc["client_key"] = client_key(chat_id, sender["id"], client_id)
        message, created = self.message_repo.insert(doc)
        if created:
            self.events.message_sent(chat, message, origin)
        else:  # a repeated ClientId: the Seq taken stays empty; given back, or kept as a known gap
            self.chat_repo.give_back_seq(chat_id, chat.seq, chat.rev)
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
