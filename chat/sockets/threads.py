"""`fetch-thread`, `follow-thread` and `read-thread` on `/self`, `/personal` and `/group` (SPEC v3 "Threads").

`ThreadEvents` holds the three operations for any namespace; each namespace mixes in its own subclass, which says
how its payloads name the chat (`ref`) and loads them with its schemas. Each handler loads, calls the thread service
once and acks; replies into a thread are the namespaces' sends with `ThreadOf`.
"""
from ..kernel.kinds import ChatRef
from ..services import services
from ..threads import schemas
from ..threads.wire import thread_page, thread_state
from .base import event


class ThreadEvents:
    """The thread operations of a namespace whose payloads name the chat as `thread_ref(data)` says."""

    @staticmethod
    def thread_ref(data):
        raise NotImplementedError

    def thread_fetch(self, connection, data):
        """ack {"ChatId"|"GroupId", "Root", "Messages", "HasMore"}: a page of the thread by ThreadSeq (Before or
        After a reply, Limit); not_found for a chat the user is not in, validation_error for a MessageId that is
        not a top-level message of the chat."""
        return thread_page(*services().threads.page(connection.user_id, self.thread_ref(data), data["MessageId"],
                                                    data.get("Before"), data.get("After"), data.get("Limit")),
                           urls=services().file_urls)

    def thread_follow(self, connection, data):
        """Follow (On true) or stop following; ack {"ChatId"|"GroupId", "MessageId", "Following"}."""
        chat, root = services().threads.follow(connection.user_id, self.thread_ref(data), data["MessageId"], data["On"])
        return thread_state(chat, root, Following=data["On"])

    def thread_read(self, connection, data):
        """Mark the thread read up to UpTo (a reply; default: the newest); ack {"ChatId"|"GroupId", "MessageId",
        "Moved"}. Its Unread in `GET /threads` drops accordingly; it never moves back."""
        chat, root, moved = services().threads.read(connection.user_id, self.thread_ref(data), data["MessageId"],
                                                    data.get("UpTo"))
        return thread_state(chat, root, Moved=moved)


class SelfThreads(ThreadEvents):
    """Threads of notes to self."""

    @staticmethod
    def thread_ref(data):
        return ChatRef.self_chat()

    @event(schemas.FetchThreadSelfSchema, limit="fetch")
    def on_fetch_thread(self, connection, data):
        """A page of a thread of the self chat (see ThreadEvents.thread_fetch)."""
        return self.thread_fetch(connection, data)

    @event(schemas.FollowThreadSelfSchema)
    def on_follow_thread(self, connection, data):
        """Follow a thread of the self chat, or not (see ThreadEvents.thread_follow)."""
        return self.thread_follow(connection, data)

    @event(schemas.ReadThreadSelfSchema)
    def on_read_thread(self, connection, data):
        """Mark a thread of the self chat read (see ThreadEvents.thread_read)."""
        return self.thread_read(connection, data)


class PersonalThreads(ThreadEvents):
    """Threads of personal chats (named by ChatId)."""

    @staticmethod
    def thread_ref(data):
        return ChatRef.personal(data["ChatId"])

    @event(schemas.FetchThreadSchema, limit="fetch")
    def on_fetch_thread(self, connection, data):
        """A page of a thread of the personal chat ChatId (see ThreadEvents.thread_fetch)."""
        return self.thread_fetch(connection, data)

    @event(schemas.FollowThreadSchema)
    def on_follow_thread(self, connection, data):
        """Follow a thread of the personal chat ChatId, or not (see ThreadEvents.thread_follow)."""
        return self.thread_follow(connection, data)

    @event(schemas.ReadThreadSchema)
    def on_read_thread(self, connection, data):
        """Mark a thread of the personal chat ChatId read (see ThreadEvents.thread_read)."""
        return self.thread_read(connection, data)


class GroupThreads(ThreadEvents):
    """Threads of groups (named by GroupId)."""

    @staticmethod
    def thread_ref(data):
        return ChatRef.group(data["GroupId"])

    @event(schemas.FetchThreadGroupSchema, limit="fetch")
    def on_fetch_thread(self, connection, data):
        """A page of a thread of the group GroupId (see ThreadEvents.thread_fetch)."""
        return self.thread_fetch(connection, data)

    @event(schemas.FollowThreadGroupSchema)
    def on_follow_thread(self, connection, data):
        """Follow a thread of the group GroupId, or not (see ThreadEvents.thread_follow)."""
        return self.thread_follow(connection, data)

    @event(schemas.ReadThreadGroupSchema)
    def on_read_thread(self, connection, data):
        """Mark a thread of the group GroupId read (see ThreadEvents.thread_read)."""
        return self.thread_read(connection, data)
