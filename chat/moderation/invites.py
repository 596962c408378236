"""Invite links (SPEC v3 "Moderation in groups"): the admin or a moderator makes, lists and revokes them; anyone
signed in accepts one and joins the group, private ones included, as `join-group` does.

A code is `secrets.token_urlsafe(CODE_BYTES)`: unguessable. Accepting takes one use in one conditional update of
the invite (chat/moderation/invite_repository.py: not revoked, not expired, uses left), then joins through
GroupService.join (the size limit and `kicked` hold, in its one conditional update of the group); a join that is
refused gives the use back, and someone who is a member already uses nothing. A revoked, expired, used-up or
unknown code is `not_found`, the same answer for each.
"""
import secrets
from datetime import timedelta

from ..governance import service as logs
from ..groups.service import by_name
from ..kernel import errors
from ..kernel.clock import utcnow
from . import roles

CODE_BYTES = 16  # 128 bits


class InviteService:
    """Create, list, revoke and accept invite links."""

    def __init__(self, groups, invite_repo, group_repo):
        self.groups = groups  # GroupService: membership and the join itself
        self.invite_repo = invite_repo
        self.group_repo = group_repo

    def _moderated(self, user_id, group_id):
        group = self.groups.member_group(user_id, group_id)
        roles.check_moderates(group, user_id)
        return group

    def create(self, user_id, group_id, max_uses=None, expires_in=None):
        """A new invite to the group (the admin or a moderator): max_uses None is unlimited, expires_in (seconds)
        None never expires."""
        group = self._moderated(user_id, group_id)
        now = utcnow()
        invite = self.invite_repo.create({
            "_id": secrets.token_urlsafe(CODE_BYTES), "group_id": group.id, "created_by": str(user_id),
            "created_at": now, "max_uses": max_uses, "uses": 0, "revoked": False,
            "expires_at": None if expires_in is None else now + timedelta(seconds=expires_in)})
        self.groups.audit.record(group.id, by_name(group, user_id), logs.INVITE_CREATED, None,
                                 {"MaxUses": max_uses, "ExpiresIn": expires_in})  # never the code: it lets people in
        return invite

    def list(self, user_id, group_id):
        """The group's invites that are not revoked, newest first (used-up and expired ones too: they say so)."""
        return self.invite_repo.for_group(self._moderated(user_id, group_id).id)

    def revoke(self, user_id, group_id, code):
        """Revoke one of the group's invites; not_found when it has no such live invite."""
        group = self._moderated(user_id, group_id)
        if not self.invite_repo.revoke(code, group.id):
            raise errors.not_found("No such invite.")
        self.groups.audit.record(group.id, by_name(group, user_id), logs.INVITE_REVOKED)

    def accept(self, user, code):
        """Join the invite's group: (group after, joined). A member already gets the group and uses nothing."""
        invite = self.invite_repo.get(code)
        if invite is None or invite["revoked"]:
            raise errors.not_found("No such invite (it may have been revoked, expired or used up).")
        group = self.group_repo.get(invite["group_id"])
        if group is not None and not group.deleted and str(user["id"]) in group.members:
            return group, False
        if not self.invite_repo.take_use(code, utcnow()):
            raise errors.not_found("No such invite (it may have been revoked, expired or used up).")
        try:
            group, joined = self.groups.join(user, invite["group_id"], invited=True)
        except errors.ApiError:
            self.invite_repo.give_back(code)
            raise
        if not joined:  # became a member meanwhile
            self.invite_repo.give_back(code)
        return group, joined
