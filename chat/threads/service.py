"""Threads (SPEC v3 "Threads"): a reply into a thread, a thread's pages, following and reading threads, and the
list of the threads a user follows. `MessageService.send` hands a send with `ThreadOf` to `reply` here.

A reply is at most seven commands: one update of the chat (membership, no block, and two Revs: the reply's and
the root's new summary, chat/chats/repository.py `take_reply_revs`), one update of the root (the next ThreadSeq,
taken with `$inc` semantics in the update that also checks the root is undeleted and top-level, and the summary),
the insert of the reply, and the follows (chat/threads/repository.py `replied`: the sender's, the root author's,
every follow of the thread moved up, its followers read). So ThreadSeq is gap-free however many race, and a
reply never touches the chat's Seq, read positions or activity time: it stays out of the main timeline and
`Unread`. Announces `thread_replied` (the reply and the root's new summary) through the events port.
"""
from ..events import NOBODY
from ..kernel import errors
from ..kernel.clock import utcnow
from ..messages import rules
from ..messages.repository import chat_id_of, client_key, reply_id, seq_of
from ..search.grams import grams as search_grams

DEFAULT_LIMIT = 20
NOT_A_ROOT = "Not an undeleted top-level message of this chat."


class ThreadService:
    """Replies, pages, follows and reads of threads."""

    def __init__(self, messages, repo, events):
        self.messages = messages  # MessageService: content rules, chats, the chat and message repositories, files
        self.chats, self.chat_repo = messages.chats, messages.chat_repo
        self.message_repo = messages.message_repo
        self.repo = repo
        self.events = events

    # Replying

    def reply(self, sender, ref, content, client_id, reply_to, attachments, thread_of, origin=NOBODY):
        """Store a reply from sender into the thread of the message thread_of: (chat, reply, created).

        thread_of must be an undeleted top-level message of the chat ref names (validation_error otherwise, and
        not_found for someone who is not a member; nothing is written either way). A repeated ClientId returns
        the stored reply (created False). Mentions, ReplyTo and attachments work as in a send."""
        user_id = sender["id"]
        chat_id = self.chats.chat_id(user_id, ref)
        if not isinstance(thread_of, str) or chat_id_of(thread_of) != chat_id or seq_of(thread_of, chat_id) is None:
            self.chats.open(sender, ref, create=False)  # a stranger learns nothing (not_found); nothing is made
            raise errors.validation_error({"ThreadOf": [NOT_A_ROOT]})
        key = None if client_id is None else client_key(chat_id, user_id, client_id)
        if key is not None and (stored := self.repo.by_client_key(key)) is not None:
            return self.chats.member_chat(user_id, chat_id, ref.kind), stored, False
        reply = None if reply_to is None else self.messages._reply_target(user_id, ref, chat_id, reply_to)
        attached, fresh, claim = [], False, None
        if attachments is not None:
            claim = self.messages.files.claim_key(key)
            attached, fresh = self.messages.files.attach(user_id, chat_id, attachments, claim)
        now = utcnow()
        try:
            chat, root = self._take(sender, ref, chat_id, thread_of, now)
        except errors.ApiError:
            if fresh:
                self.messages.files.release(attached, claim)
            raise
        doc = {"_id": reply_id(chat_id, chat.rev - 1), "chat_id": chat_id, "thread_of": thread_of,
               "thread_seq": root["thread"]["seq"], "sender_id": user_id, "sender_name": sender["username"],
               "content": content, "created_at": now, "edited_at": None, "deleted": False,
               "client_id": client_id, "reply_to": reply, "reactions": [], "grams": search_grams(content),
               "rev": chat.rev - 1, "revs": [chat.rev - 1, chat.rev]}  # its Rev, and the root's landed
        mentions = rules.mentioned(content, chat, user_id) if chat.is_group else []
        if mentions:
            doc["mentions"] = mentions
        if attached:
            doc["attachments"] = attached
        if key is not None:
            doc["client_key"] = key
        message, created = self.message_repo.insert(doc)
        if not created:  # a racing send with the same ClientId stored first: one reply fewer on the root
            self.repo.reply_gone(thread_of, chat.rev)
            self.chat_repo.release_rev(chat_id, chat.rev)  # nothing will land under this reply's id
            self.chat_repo.release_rev(chat_id, chat.rev - 1)
            return chat, message, False
        newcomers = {m: message["thread_seq"] - 1 for m in mentions}
        if root["sender_id"] in chat.members and root["sender_id"] != user_id:
            newcomers[root["sender_id"]] = 0
        followers = self.repo.replied(chat_id, root, message, newcomers)
        self.events.thread_replied(chat, root, message, followers, origin)
        return chat, message, True

    def _take(self, sender, ref, chat_id, root_id, now):
        """(chat, root after): the two Revs from the chat, then the ThreadSeq and summary from the root; a root that
        does not qualify gives both Revs back (validation_error), a refused chat takes none."""
        chat = self.chat_repo.take_reply_revs(chat_id, sender["id"], ref.kind)
        if chat is None:
            if self.chats.creatable(ref) and self.chats.open(sender, ref, create=False) is None:
                raise errors.validation_error({"ThreadOf": [NOT_A_ROOT]})  # a chat not made yet has no message
            raise self.chats.refusal(sender["id"], chat_id, ref.kind)
        root = self.repo.add_reply(chat_id, root_id, sender["id"], now, chat.rev)
        if root is None:
            self.chat_repo.release_rev(chat_id, chat.rev)
            self.chat_repo.release_rev(chat_id, chat.rev - 1)
            raise errors.validation_error({"ThreadOf": [NOT_A_ROOT]})
        return chat, root

    def reply_deleted(self, chat, reply, origin=NOBODY):
        """A reply was deleted (chat/messages/changing.py): its root counts one reply fewer, at a new Rev, and
        the new summary is announced."""
        rev = self.chat_repo.take_rev(chat.id, reply["thread_of"])
        if rev is None:
            return
        root = self.repo.reply_gone(reply["thread_of"], rev)
        if root is None:
            self.chat_repo.release_rev(chat.id, rev)
            return
        self.events.thread_updated(chat, root, origin)

    # Reading

    @staticmethod
    def chat_of(message_id_):
        """The id of the chat a message id names (None when it names none), for requests that name only it."""
        return chat_id_of(message_id_)

    def _root(self, user_id, ref, root_id):
        """(chat, root) for a member: the root must be a top-level message of the chat (deleted ones too: their
        thread stays readable). not_found for a non-member, validation_error for anything else (a self chat
        not made yet has no message)."""
        chat = self.chats.open({"id": str(user_id)}, ref, create=False)  # a self chat not made yet: no message
        root = None
        if chat is not None and seq_of(root_id, chat.id) is not None:
            root = self.message_repo.get(chat.id, root_id)
        if root is None:
            raise errors.validation_error({"MessageId": ["Not a top-level message of this chat."]})
        return chat, root

    def _reply_seq(self, root, message_id_, name):
        reply = self.message_repo.get(root["chat_id"], message_id_)
        if reply is None or reply.get("thread_of") != root["_id"]:
            raise errors.validation_error({name: ["Not a reply of this thread."]})
        return reply["thread_seq"]

    def page(self, user_id, ref, root_id, before=None, after=None, limit=None):
        """(chat, root, replies oldest→newest, has_more): a page of the thread by ThreadSeq, as history pages go
        (Before/After a reply's MessageId; neither: the newest)."""
        if before is not None and after is not None:
            raise errors.validation_error({"Before": ["Give Before or After, not both."]})
        chat, root = self._root(user_id, ref, root_id)
        limit = DEFAULT_LIMIT if limit is None else limit
        below = None if before is None else self._reply_seq(root, before, "Before")
        above = None if after is None else self._reply_seq(root, after, "After")
        return chat, root, *self.repo.page(root["_id"], below, above, limit)

    def follow(self, user_id, ref, root_id, on):
        """Follow (on) or stop following a thread: (chat, root). A new follow has read every reply so far."""
        chat, root = self._root(user_id, ref, root_id)
        thread = root.get("thread") or {}
        self.repo.set_follow(chat.id, root, str(user_id), on, thread.get("seq", 0),
                             thread.get("last_at") or root["created_at"])
        return chat, root

    def read(self, user_id, ref, root_id, up_to=None):
        """Mark the thread read up to the reply up_to (default: the newest): (chat, root, moved)."""
        chat, root = self._root(user_id, ref, root_id)
        thread = root.get("thread") or {}
        seq = thread.get("seq", 0) if up_to is None else self._reply_seq(root, up_to, "UpTo")
        moved = self.repo.mark_read(chat.id, root, str(user_id), seq, thread.get("last_at") or root["created_at"])
        return chat, root, moved

    def followed(self, user_id, page, per_page):
        """(total, [(chat kind, root, unread)]) of the threads user_id follows, most recent reply first: one page
        of the follows index, the roots and the chats of that page (two lookups). A follow of a chat the user is
        no longer in ends here and is left out."""
        user_id = str(user_id)
        total, rows = self.repo.followed(user_id, (page - 1) * per_page, per_page)
        roots = self.repo.roots([row["root_id"] for row in rows])
        chats = self.repo.chats({row["chat_id"] for row in rows})
        entries, gone = [], []
        for row in rows:
            chat, root = chats.get(row["chat_id"]), roots.get(row["root_id"])
            if chat is None or root is None or chat.deleted or user_id not in chat.members:
                gone.append(row["_id"])
                continue
            unread = max(0, (root.get("thread") or {}).get("seq", 0) - row.get("read", 0))
            entries.append((chat, root, unread))
        self.repo.stop_following(gone)
        return total - len(gone), entries
