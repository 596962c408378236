"""Changing a stored message (MessageService, chat/messages/service.py): edit, delete, react, and reading one
message for its edit history.

Each change takes the chat's next Rev first (one update of the chat, chat/chats/revs.py) and writes the message
with it second; a change that stored nothing gives the Rev up. A reaction is three commands: the chat
(membership), the Rev, and one conditional update of the message, which checks both emoji limits.
"""
from ..events import NOBODY
from ..governance import service as logs
from ..groups.wire import group_member
from ..kernel import errors
from ..kernel.clock import utcnow
from ..moderation import roles
from ..search.grams import grams as search_grams
from . import reactions, rules
from .repository import chat_id_of


class Changing:
    """The edit/delete/react half of MessageService (it provides chats, chat_repo, message_repo, files, events and
    clean_content)."""

    def edit(self, user_id, message_id_, content, ref=None, origin=NOBODY):
        """Replace the content of the user's own message, keeping the version it replaces in its history:
        (chat, message). ref, when the request names the chat too, must be the message's chat; without it any
        chat the user is a member of. In a group the mentions are resolved again, against the current members."""
        content = self.clean_content(content)
        chat = self._chat_of(user_id, message_id_, ref)
        self.chats.check_not_blocked(chat, user_id)
        mentions = rules.mentioned(content, chat, str(user_id)) if chat.is_group else None
        updated = self._at_new_rev(chat, message_id_, lambda rev: self.message_repo.edit_own(
            chat.id, message_id_, str(user_id), content, utcnow(), mentions, rules.HISTORY_MAX, rev=rev,
            grams=search_grams(content)))
        chat, message = self._changed_own(chat, message_id_, updated)
        self.events.message_edited(chat, message, origin)
        return chat, message

    def delete(self, user_id, message_id_, ref=None, origin=NOBODY, operator=None):
        """Soft-delete the user's own message (in a group, its admin or a moderator: anyone's, shown with
        `DeletedBy`; chat/moderation/roles.py; operator, {"id", "username"} of a server operator resolving a report
        (chat/moderation/reports.py), in any chat): it keeps its Seq and is unpinned; its content, earlier
        versions, reactions, mentions and reply are emptied in the same update; replies to it now quote nothing,
        and its attached files are deleted. (chat, message)."""
        chat = self._chat_of(user_id, message_id_, ref) if operator is None else self._operated(message_id_)
        emptied = {"deleted": True, "content": "", "edited_at": utcnow(), "history": [], "reactions": [],
                   "mentions": [], "reply_to": None, "grams": [], "pinned": False}
        updated = self._at_new_rev(chat, message_id_, lambda rev: self.message_repo.update_own(
            chat.id, message_id_, str(user_id), emptied, rev))
        if updated is None and (operator or roles.moderates(chat, user_id)):  # a moderator's or operator's
            emptied["deleted_by"] = operator or group_member(chat, str(user_id))
            updated = self._at_new_rev(chat, message_id_, lambda rev: self.message_repo.update_own(
                chat.id, message_id_, None, emptied, rev))
        chat, message = self._changed_own(chat, message_id_, updated)
        if emptied.get("deleted_by") and chat.is_group:  # someone else's message, by a moderator
            self.audit.record(chat.id, emptied["deleted_by"], logs.MESSAGE_DELETED,
                              {"id": message["sender_id"], "username": message["sender_name"]},
                              {"MessageId": message["_id"]})
        if message["_id"] in chat.pins:  # deleting unpins (chat/moderation/service.py)
            self.chat_repo.drop_pin(chat.id, message["_id"])
        self.message_repo.mark_reply_targets_deleted(message["_id"])
        if message.get("attachments"):
            self.files.remove_attached(message["attachments"])
        self.events.message_deleted(chat, message, origin)
        if message.get("thread_of"):  # a thread reply: its root counts one fewer (chat/threads/service.py)
            self.threads.reply_deleted(chat, message, origin)
        return chat, message

    def react(self, user_id, message_id_, emoji, on, ref=None, origin=NOBODY):
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
        message = self._at_new_rev(chat, message_id_, lambda rev: self.message_repo.react(
            chat.id, message_id_, user_id, emoji, bool(on), rules.MAX_EMOJI, reactions.MEMBER_MAX_EMOJI, rev))
        if message is None:
            if self.message_repo.get(chat.id, message_id_) is None:
                raise errors.not_found("No such message.")
            raise errors.validation_error({"MessageId": ["This message was deleted."]})
        if on and {"emoji": emoji, "user_id": user_id} not in message.get("reactions", []):
            raise reactions.refusal(message, user_id, rules.MAX_EMOJI)
        self.events.reactions_changed(chat, message, origin)
        return chat, message

    def message(self, user_id, message_id_):
        """(chat, message) of a message in a chat the user is a member of (not_found otherwise): for its
        history, whose versions are in the message itself."""
        chat = self._chat_of(user_id, message_id_, None)
        message = self.message_repo.get(chat.id, message_id_)
        if message is None:
            raise errors.not_found("No such message.")
        return chat, message

    def _chat_of(self, user_id, message_id_, ref):
        """The chat of message_id_, which the user must be a member of; ref, when the request names the chat too,
        must be that chat. not_found otherwise, revealing nothing about chats the user is not in."""
        chat_id = chat_id_of(message_id_)
        if ref is not None:
            chat = self.chats.member_chat(user_id, self.chats.chat_id(user_id, ref), ref.kind)
            if chat_id != chat.id:
                raise errors.not_found("No such message.")
            return chat
        try:
            return self.chats.member_chat(user_id, chat_id)
        except errors.ApiError:
            raise errors.not_found("No such message.") from None

    def _operated(self, message_id_):
        """The live chat of a message an operator acts on (not_found when it is gone)."""
        chat = self.chat_repo.get(chat_id_of(message_id_))
        if chat is None or chat.deleted:
            raise errors.not_found("No such message.")
        return chat

    def _at_new_rev(self, chat, message_id_, write):
        """write(rev) at the chat's next Rev (one update of the chat, chat/chats/revs.py): its result. A write
        that stored nothing (None) gives the Rev up at once (one update more, on that path only)."""
        rev = self.chat_repo.take_rev(chat.id, message_id_)
        if rev is None:
            raise errors.not_found("No such chat.")
        written = write(rev)
        if written is None:
            self.chat_repo.release_rev(chat.id, rev)
        return written

    def _changed_own(self, chat, message_id_, updated):
        """(chat, updated), or why the user's own message could not be changed."""
        if updated is not None:
            return chat, updated
        message = self.message_repo.get(chat.id, message_id_)
        if message is None or message.get("deleted"):
            raise errors.not_found("No such message.")
        raise errors.forbidden("Only the author can change a message.")
