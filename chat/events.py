"""The events port: what services announce after an operation has stored its change.

A service stores, then tells its one injected `Publisher` what happened (`message_sent`, `member_kicked`, ...),
as Zulip's actions call `send_event_on_commit` and Synapse's handlers notify after persisting. The transports
never push: a socket handler or an HTTP route loads its input, makes one service call, and answers.

The Socket.IO implementation (chat/sockets/publisher.py) decides namespaces, rooms, payloads and the
notification enqueue; `Publisher` itself does nothing, for a process without sockets; a test records the calls
(tests/events_capture.py). Every method funnels through `publish`, so a recorder overrides that one alone.
Nothing here imports Flask or Socket.IO.
"""
from dataclasses import dataclass


@dataclass(frozen=True)
class Origin:
    """Who asked and from where: `user` the caller as {"id", "username"} (the `By` of group pushes), `sid` the
    socket that asked (left out of pushes that reach "everyone but the sender's own socket", which has its ack;
    None over HTTP)."""

    user: dict | None = None
    sid: str | None = None


NOBODY = Origin()


class Publisher:
    """The port. Each method is one thing that happened; `origin` says who made it happen."""

    def publish(self, name, **fields):
        """Every method below ends here (does nothing in this base)."""

    # Messages (chat/messages/service.py)

    def message_sent(self, chat, message, origin=NOBODY):
        """A new message was stored (not a repeated ClientId)."""
        self.publish("message_sent", chat=chat, message=message, origin=origin)

    def message_edited(self, chat, message, origin=NOBODY):
        """The author replaced a message's content."""
        self.publish("message_edited", chat=chat, message=message, origin=origin)

    def message_deleted(self, chat, message, origin=NOBODY):
        """The author, or a group's admin or moderator (the message's `deleted_by`), soft-deleted a message."""
        self.publish("message_deleted", chat=chat, message=message, origin=origin)

    def message_pinned(self, chat, message, pinned, by, origin=NOBODY):
        """by ({"id", "username"}) pinned (or unpinned) a message (chat/moderation/service.py)."""
        self.publish("message_pinned", chat=chat, message=message, pinned=pinned, by=by, origin=origin)

    def reactions_changed(self, chat, message, origin=NOBODY):
        """A reaction was added or taken back (idempotent calls announce too)."""
        self.publish("reactions_changed", chat=chat, message=message, origin=origin)

    def read_moved(self, chat, reader_id, receipt, origin=NOBODY):
        """reader_id's read position moved forward to receipt {"UpTo", "ReadAt", "Seq"}."""
        self.publish("read_moved", chat=chat, reader_id=reader_id, receipt=receipt, origin=origin)

    def typing(self, chat, user, started, origin=NOBODY):
        """user started (or, started False, stopped) typing in chat."""
        self.publish("typing", chat=chat, user=user, started=started, origin=origin)

    # Threads (chat/threads/service.py)

    def thread_replied(self, chat, root, reply, followers, origin=NOBODY):
        """A reply was stored in root's thread (root: after its new summary); followers: who follows it now."""
        self.publish("thread_replied", chat=chat, root=root, reply=reply, followers=followers, origin=origin)

    def thread_updated(self, chat, root, origin=NOBODY):
        """root's thread summary changed otherwise (a reply was deleted)."""
        self.publish("thread_updated", chat=chat, root=root, origin=origin)

    # Groups (chat/groups/service.py; member_left also from an account deletion)

    def group_created(self, group, origin=NOBODY):
        """A group was created with its first members."""
        self.publish("group_created", group=group, origin=origin)

    def member_added(self, group, member, by):
        """member ({"id", "username"}) is in group now: by the admin `by`, or by themself (a join)."""
        self.publish("member_added", group=group, member=member, by=by)

    def group_updated(self, group, origin=NOBODY):
        """The admin changed the name, description or visibility."""
        self.publish("group_updated", group=group, origin=origin)

    def member_kicked(self, group, member, origin=NOBODY):
        """The admin removed member ({"id", "username"}) from group (the group after)."""
        self.publish("member_kicked", group=group, member=member, origin=origin)

    def admin_changed(self, group, admin, origin=NOBODY):
        """The admin handed the role to admin ({"id", "username"})."""
        self.publish("admin_changed", group=group, admin=admin, origin=origin)

    def member_left(self, before, after, member):
        """member left the group (before and after the leave; after None when it is gone)."""
        self.publish("member_left", before=before, after=after, member=member)

    def group_deleted(self, group, origin=NOBODY):
        """The admin deleted the group (as it was)."""
        self.publish("group_deleted", group=group, origin=origin)

    # Accounts and blocks

    def session_revoked(self, session_id):
        """A session ended (logout, refresh-token reuse, sign-out elsewhere, account deletion)."""
        self.publish("session_revoked", session_id=session_id)

    def user_blocked(self, user_id, target_id):
        """user_id blocked target_id: each must read as offline to the other from now on."""
        self.publish("user_blocked", user_id=user_id, target_id=target_id)

    def user_unblocked(self, user_id, target_id):
        """user_id unblocked target_id, and each may see the other's presence again."""
        self.publish("user_unblocked", user_id=user_id, target_id=target_id)

    def presence_changed(self, user_id, state, viewer_ids):
        """user_id's presence changed (state: {"Online"} and maybe {"Away"}), for the viewers' eyes."""
        self.publish("presence_changed", user_id=user_id, state=state, viewer_ids=viewer_ids)
