"""Moderators and pins (SPEC v3 "Moderation in groups"): the admin names moderators; the admin, a moderator or
any member of a personal chat pins messages.

Every moderator action is a method of a service here or of GroupService (kickout, slow mode through `update`),
and announces through the events port (chat/events.py) once stored: what an audit log would hook into.

A pin is three commands: the chat's `pins` list (one conditional update: the message is added unless the chat
has PIN_MAX pins already, `conflict` then), the chat's next Rev (chat/chats/revs.py), and the message (`pinned`,
written with that Rev, so `sync-chat` returns it). Pinning what is pinned already, or unpinning what is not,
changes nothing and announces nothing. Deleting a message unpins it (chat/messages/changing.py).
"""
from ..events import NOBODY, Publisher
from ..governance import service as logs
from ..groups.service import by_name
from ..kernel import errors
from ..kernel.clock import utcnow
from . import roles

PIN_MAX = 50


class ModerationService:
    """set-moderator and pins; `invites` holds the invite links, `reports` the reports."""

    def __init__(self, groups, group_repo, chats, chat_repo, pin_repo, message_repo, events=None, invites=None,
                 reports=None):
        self.groups = groups  # GroupService: membership checks
        self.group_repo = group_repo
        self.chats = chats  # ChatService: resolving chats
        self.chat_repo = chat_repo
        self.pin_repo = pin_repo
        self.message_repo = message_repo
        self.events = events or Publisher()
        self.invites = invites  # InviteService (chat/moderation/invites.py)
        self.reports = reports  # ReportService (chat/moderation/reports.py)

    def set_moderator(self, admin_id, group_id, member_id, on, origin=NOBODY):
        """Admin only: make a member (not the admin) a moderator (on) or not; returns the group after. Members
        get `group-updated` (also when nothing changed: the answer is the same)."""
        group = self.groups.admin_group(admin_id, group_id)
        member_id = str(member_id)
        if member_id == str(admin_id):
            raise errors.validation_error({"UserId": ["The admin has every right already."]})
        if member_id not in group.members:
            raise errors.not_found("No such member.")
        if not self.group_repo.set_moderator(group.id, str(admin_id), member_id, bool(on)):
            self.groups.admin_group(admin_id, group_id)
            raise errors.ApiError("conflict", "The group changed meanwhile; try again.", 409)
        group = self.group_repo.get(group.id)
        self.groups.audit.record(group.id, by_name(group, admin_id), logs.MODERATOR_CHANGED,
                                 by_name(group, member_id), {"On": bool(on)})  # the audit log (chat/governance/)
        self.events.group_updated(group, origin)
        return group

    # Pins

    def pin(self, user, ref, message_id, on, origin=NOBODY):
        """Pin (on) or unpin a message of a chat: any member of a personal chat, the admin or a moderator of a
        group (forbidden for other members, not_found for anyone else). Returns (chat, message after)."""
        chat = self.chats.member_chat(user["id"], self.chats.chat_id(user["id"], ref), ref.kind)
        if chat.is_self:  # notes to self have no pins
            raise errors.not_found("No such chat.")
        if chat.is_group:
            roles.check_moderates(chat, user["id"])
        message = self.message_repo.get(chat.id, message_id)
        if message is None:
            raise errors.not_found("No such message.")
        if message.get("deleted"):
            raise errors.validation_error({"MessageId": ["This message was deleted."]})
        if bool(message.get("pinned")) == bool(on):
            return chat, message
        if on and not self.pin_repo.add(chat.id, message["_id"], PIN_MAX):
            if message["_id"] not in self.chat_repo.get(chat.id).pins:
                raise errors.ApiError("conflict", f"A chat has at most {PIN_MAX} pinned messages; unpin one.", 409)
        if not on:
            self.pin_repo.remove(chat.id, message["_id"])
        rev = self.chat_repo.take_rev(chat.id, message["_id"])
        if rev is None:
            raise errors.not_found("No such chat.")
        by = {"id": str(user["id"]), "username": user["username"], "Bot": bool(user.get("Bot"))}
        written = self.pin_repo.mark(message["_id"], bool(on), utcnow(), by, rev)
        if written is None:  # deleted meanwhile: the deletion unpinned it
            self.chat_repo.release_rev(chat.id, rev)
            self.pin_repo.remove(chat.id, message["_id"])
            raise errors.validation_error({"MessageId": ["This message was deleted."]})
        self.events.message_pinned(chat, written, bool(on), by, origin)
        return chat, written

    def pins(self, user_id, chat_id):
        """(chat, pinned messages, most recently pinned first) of a chat or group the user is a member of."""
        chat = self.chats.member_chat(user_id, chat_id)
        if chat.is_self:
            raise errors.not_found("No such chat.")
        ids = list(reversed(chat.pins))
        found = {m["_id"]: m for m in self.message_repo.by_ids(ids)}
        return chat, [found[i] for i in ids if i in found and not found[i].get("deleted")]

