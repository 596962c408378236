"""The rules of group chats: who may add, kick, hand over, leave and delete, and the limits.

Only the admin adds, kicks, deletes, hands over the role and changes the name, description and
visibility; nobody kicks themself; an admin who leaves hands the role to the longest-standing member;
the last member leaving archives the group. Anyone may find a public group and join it, unless an admin
kicked them from it (only an admin can add them back); a private or deleted group reveals nothing.
Nobody brings into a group someone who has blocked them (`blocked`, for create and add-member alike); the
group keeps the blocks between its members (`blocks`) so that mentions of a blocker by the blocked do not count.
An account that is deleted or being deleted is `unauthorized` for every operation here: create and join read
the caller again after writing, so a group made or joined while `DELETE /me` ran is undone (one read more each),
and a check that fails reads the caller once to tell `unauthorized` from `not_found` (on failure only).
Each change is one conditional update (see GroupRepository), so racing commands cannot leave a group
without an admin who is a member, nor with more than GROUP_MAX_MEMBERS members. Returns plain
documents, and announces each change to the events port (chat/events.py) once it is stored.
"""
from ..events import NOBODY, Publisher
from ..governance import service as logs
from ..kernel import errors
from ..moderation import roles, slowmode
from .repository import block_pairs

LEAVE_ATTEMPTS = 5


def as_user(doc):
    """A user document as {"id", "username", "Bot"}."""
    return {"id": str(doc["_id"]), "username": doc["username"], "Bot": bool(doc.get("bot"))}


def by_name(group, user_id):
    """{"id", "username"} of user_id as the group names them (an admin who just handed the role on, too)."""
    return {"id": str(user_id), "username": group.names.get(str(user_id))}


def live(user):
    """Whether a user document is an account in use: it exists and is not being deleted."""
    return user is not None and not user.get("deleting_at")


class GroupService:
    """Create and administer groups."""

    def __init__(self, group_repo, user_repo, limits, events=None):
        self.events = events or Publisher()
        self.group_repo = group_repo
        self.user_repo = user_repo
        self.name_max = limits["GROUP_NAME_MAX"]
        self.description_max = limits["GROUP_DESCRIPTION_MAX"]
        self.max_members = limits["GROUP_MAX_MEMBERS"]
        self.retention_max = limits.get("RETENTION_DAYS") or 0  # a group may only shorten the server's retention
        self.audit = logs.NoLog()  # the groups' audit log (chat/governance/service.py): one record per admin change

    # Reading

    def member_group(self, user_id, group_id, leaving=False):
        """The live group if user is a member; not_found otherwise (revealing nothing), unauthorized for an account
        deleted or being deleted (with leaving, only for one deleted: the deletion leaves its groups itself)."""
        group = self.group_repo.get(group_id)
        if group is None or group.deleted or str(user_id) not in group.members:
            self._check_caller(user_id, leaving=leaving)
            raise errors.not_found("No such group.")
        return group

    def _check_caller(self, user_id, user=False, leaving=False):
        """unauthorized unless user_id is an account in use (its document read now, unless given); with leaving,
        an account being deleted passes."""
        user = self.user_repo.by_id(user_id) if user is False else user
        if not (live(user) or (leaving and user is not None)):
            raise errors.unauthorized("This account is deleted or being deleted.")

    def admin_group(self, user_id, group_id):
        """The group if user is its admin; not_found for non-members, forbidden for other members."""
        group = self.member_group(user_id, group_id)
        if group.admin_id != str(user_id):
            raise errors.forbidden("Only the group's admin can do that.")
        return group

    def directory(self, user_id, q, page, per_page):
        """(total, rows) of one page of public groups whose name contains q (None: all), the largest first;
        rows carry `joined` for the caller."""
        return self.group_repo.directory(str(user_id), q, (page - 1) * per_page, per_page)

    # Changing

    def create(self, creator_id, name, description, participant_ids, public=False, origin=NOBODY):
        """A new group with the creator as admin; participants must be verified users (duplicates ignored).
        `blocked` (and nothing made) when any participant has blocked the creator; unauthorized for a creator
        deleted or being deleted, even when the deletion starts while the group is being made (it is undone)."""
        creator_id = str(creator_id)
        name, description = self._clean_name(name), self._clean_description(description)
        wanted = [p for p in dict.fromkeys(str(p) for p in participant_ids) if p != creator_id]
        if len(wanted) + 1 > self.max_members:
            raise errors.validation_error({"Participants": [f"A group has at most {self.max_members} members."]})
        found = self.user_repo.by_ids([creator_id, *wanted])
        self._check_caller(creator_id, found.get(creator_id))
        missing = [p for p in wanted if p not in found or not found[p].get("verified") or not live(found[p])]
        if missing:
            raise errors.validation_error({"Participants": [f"Unknown user: {p}" for p in missing]})
        if any(creator_id in (found[p].get("blocks") or ()) for p in wanted):
            raise errors.blocked("A participant has blocked you; you cannot add them to a group.")
        names = {p: found[p]["username"] for p in (creator_id, *wanted)}
        group = self.group_repo.create(name, description, creator_id, names, public, block_pairs(found, names),
                                       bots=[p for p in names if found[p].get("bot")])
        if not live(self.user_repo.by_id(creator_id)):  # DELETE /me began meanwhile: it may not have seen this group
            self.group_repo.delete(group.id, creator_id)
            self._check_caller(creator_id, None)
        self.events.group_created(group, origin)
        return group

    def add_member(self, admin_id, group_id, member_id, origin=NOBODY):
        """Add a verified user; returns (group after, member doc)."""
        group = self.admin_group(admin_id, group_id)
        member = self.user_repo.by_id(member_id)
        if not live(member) or not member.get("verified"):
            raise errors.not_found("No such user.")
        if str(admin_id) in (member.get("blocks") or ()):
            raise errors.blocked("This user has blocked you; you cannot add them to a group.")
        member_id = str(member["_id"])
        if member_id in group.members:
            raise errors.validation_error({"Member": ["Already a member."]})
        if len(group.members) >= self.max_members:
            raise errors.validation_error({"Member": [f"A group has at most {self.max_members} members."]})
        if not self.group_repo.add_member(group.id, str(admin_id), member_id, member):
            self._explain_failure(admin_id, group_id)
        group = self.group_repo.get(group.id)
        self.audit.record(group.id, by_name(group, admin_id), logs.MEMBER_ADDED, member)
        self.events.member_added(group, as_user(member), by=origin.user)
        return group, member

    def join(self, user, group_id, invited=False):
        """The caller joins a public group (invited: any group, by an invite link, chat/moderation/invites.py) by
        themself; returns (group after, True), or (group, False) when they
        are a member already. not_found for a private, deleted or unknown group (whatever the caller was),
        forbidden for someone an admin kicked from it, conflict when it is full; unauthorized for an account
        deleted or being deleted (a join that raced `DELETE /me` is undone)."""
        user_id = str(user["id"])
        me = self.user_repo.by_id(user_id)  # its block lists go to the group's `blocks`
        self._check_caller(user_id, me)
        if isinstance(group_id, str) and self.group_repo.join(group_id, user_id, me, public_only=not invited):
            if not live(self.user_repo.by_id(user_id)):  # DELETE /me began meanwhile and may not have seen it
                self._leave(user_id, group_id)
                self._check_caller(user_id, None)
            group = self.group_repo.get(group_id)
            self.events.member_added(group, user, by=user)
            return group, True
        group = self.group_repo.get(group_id)

        if group is None or group.deleted or group.archived:
            raise errors.not_found("No such group.")
        if user_id in group.members:
            return group, False
        if not group.public and not invited:
            raise errors.not_found("No such group.")
        if user_id in group.kicked:
            raise errors.forbidden("An admin removed you from this group; only an admin can add you back.")
        if len(group.members) >= self.max_members:
            raise errors.ApiError("conflict", f"The group is full ({self.max_members} members).", 409)
        raise errors.ApiError("conflict", "The group changed meanwhile; try again.", 409)

    def update(self, admin_id, group_id, name=None, description=None, public=None, origin=NOBODY, slow_mode=None,
               retention_days=None):
        """Change what is given of name, description, visibility and retention (days, 0: the server's; never longer
        than a server-wide RETENTION_DAYS) (admin only) and slow mode (seconds, 0..3600; the admin or a
        moderator); returns the group after. The change goes into the group's audit log."""
        if name is None and description is None and public is None and slow_mode is None and retention_days is None:
            raise errors.validation_error({"_schema": ["Give Name, Description, Public, SlowModeSeconds or "
                                                       "RetentionDays."]})
        if slow_mode is not None and not (isinstance(slow_mode, int) and 0 <= slow_mode <= slowmode.MAX_SECONDS):
            raise errors.validation_error({"SlowModeSeconds": [f"From 0 (off) to {slowmode.MAX_SECONDS}."]})
        if retention_days is not None and self.retention_max and retention_days > self.retention_max:
            raise errors.validation_error({"RetentionDays": [f"At most the server's {self.retention_max} days."]})
        if name is None and description is None and public is None and retention_days is None:
            group = self.member_group(admin_id, group_id)
            roles.check_moderates(group, admin_id)
        else:
            group = self.admin_group(admin_id, group_id)
            name = group.name if name is None else self._clean_name(name)
            description = group.description if description is None else self._clean_description(description)
            public = group.public if public is None else public
            if not self.group_repo.update(group, str(admin_id), name, description, public, retention_days):
                self._explain_failure(admin_id, group_id)
        if slow_mode is not None and not self.group_repo.set_slow_mode(group.id, str(admin_id), slow_mode):
            self._explain_failure(admin_id, group_id, moderator=True)
        before, group = group, self.group_repo.get(group.id)
        self.audit.record(group.id, by_name(group, admin_id), logs.GROUP_UPDATED, None, logs.changes(before, group))
        self.events.group_updated(group, origin)
        return group

    def kickout(self, admin_id, group_id, member_id, origin=NOBODY):
        """Remove a member (not oneself): the admin anyone, a moderator a member who is neither the admin nor a
        moderator (chat/moderation/roles.py); returns (group after, member doc)."""
        group = self.member_group(admin_id, group_id)
        roles.check_may_kick(group, admin_id, member_id)
        if str(member_id) == str(admin_id):
            raise errors.validation_error({"Member": ["You cannot kick yourself; leave the group instead."]})
        if str(member_id) not in group.members:
            raise errors.not_found("No such member.")
        as_moderator = not roles.is_admin(group, admin_id)
        if not self.group_repo.remove_member(group.id, str(admin_id), str(member_id), as_moderator):
            self._explain_failure(admin_id, group_id, moderator=as_moderator)
        group, member = self.group_repo.get(group.id), self.user_repo.by_id(member_id)
        self.audit.record(group.id, by_name(group, admin_id), logs.MEMBER_KICKED, member)
        self.events.member_kicked(group, as_user(member), origin)
        return group, member

    def change_admin(self, admin_id, group_id, member_id, origin=NOBODY):
        """Hand the admin role to another member; returns (group after, new admin doc)."""
        group = self.admin_group(admin_id, group_id)
        if str(member_id) == str(admin_id):
            raise errors.validation_error({"Member": ["You are the admin already."]})
        if str(member_id) not in group.members:
            raise errors.not_found("No such member.")
        if not self.group_repo.change_admin(group.id, str(admin_id), str(member_id)):
            self._explain_failure(admin_id, group_id)
        group, admin = self.group_repo.get(group.id), self.user_repo.by_id(member_id)
        self.audit.record(group.id, by_name(group, admin_id), logs.ROLE_CHANGED, admin, {"Role": "admin"})
        self.events.admin_changed(group, as_user(admin), origin)
        return group, admin

    def leave(self, user_id, group_id, origin=NOBODY):
        """Leave the group; returns (group before, group after), and announces `member_left` with the leaver as
        origin.user (default: as the group knows them). Retries when the group changed meanwhile."""
        before, after = self._leave(user_id, group_id)
        member = origin.user or {"id": str(user_id), "username": before.names[str(user_id)],
                                 "Bot": str(user_id) in before.bots}
        self.events.member_left(before, after, member)
        return before, after

    def _leave(self, user_id, group_id):
        for _ in range(LEAVE_ATTEMPTS):
            group = self.member_group(user_id, group_id, leaving=True)
            if self.group_repo.leave(group, str(user_id)):

                return group, self.group_repo.get(group.id)
        raise errors.ApiError("conflict", "The group is changing too fast; try again.", 409)

    def delete(self, admin_id, group_id, origin=NOBODY):
        """Delete the group (admin only); returns the group as it was."""
        group = self.admin_group(admin_id, group_id)
        if not self.group_repo.delete(group.id, str(admin_id)):
            self._explain_failure(admin_id, group_id)
        self.events.group_deleted(group, origin)
        return group

    def typing(self, user, group_id, started, origin=NOBODY):
        """Announce that user ({"id", "username"}) started (or stopped) typing in a group they are a member of
        (not_found otherwise). Nothing is stored."""
        self.events.typing(self.member_group(user["id"], group_id), user, started, origin)

    def _explain_failure(self, user_id, group_id, moderator=False):
        """A conditional update matched nothing: the group changed under us. Raise what is true now."""
        if moderator:
            roles.check_moderates(self.member_group(user_id, group_id), user_id)
        else:
            self.admin_group(user_id, group_id)
        raise errors.ApiError("conflict", "The group changed meanwhile; try again.", 409)

    def _clean_name(self, name):
        name = (name or "").strip()
        if not 1 <= len(name) <= self.name_max:
            raise errors.validation_error({"Name": [f"Between 1 and {self.name_max} characters."]})
        return name

    def _clean_description(self, description):
        description = (description or "").strip()
        if len(description) > self.description_max:
            raise errors.validation_error({"Description": [f"At most {self.description_max} characters."]})
        return description
