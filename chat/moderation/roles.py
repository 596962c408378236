"""Who may do what in a group: the admin, its moderators (`moderators`, a list of user ids on the group
document) and plain members. Pure functions of a group document; the conditional updates that act on the
answer repeat the same rule in their filters (chat/groups/repository.py), so a race cannot slip past it.

| action | admin | moderator | member |
|---|---|---|---|
| set or unset a moderator, hand over admin, delete the group, rename | yes | no | no |
| kick a plain member | yes | yes | no |
| kick a moderator or the admin | a moderator: yes | no | no |
| delete anyone's message, pin, slow mode, invites, reports | yes | yes | no |
"""
from ..kernel import errors


def is_admin(group, user_id):
    """Whether user_id is the group's admin."""
    return group.admin_id == str(user_id)


def is_moderator(group, user_id):
    """Whether user_id is one of the group's moderators (the admin is not listed as one)."""
    return str(user_id) in group.moderators


def moderates(chat, user_id):
    """Whether user_id runs the chat: the admin or a moderator of a group (never in another kind of chat)."""
    return chat.is_group and (is_admin(chat, user_id) or is_moderator(chat, user_id))


def check_moderates(group, user_id):
    """forbidden unless user_id is the group's admin or one of its moderators."""
    if not moderates(group, user_id):
        raise errors.forbidden("Only the group's admin or a moderator can do that.")


def check_may_kick(group, actor_id, member_id):
    """forbidden unless actor_id may remove member_id: the admin anyone but themself, a moderator only members
    who are neither the admin nor a moderator."""
    if is_admin(group, actor_id):
        return
    check_moderates(group, actor_id)
    if is_admin(group, member_id) or is_moderator(group, member_id):
        raise errors.forbidden("A moderator cannot remove the admin or another moderator.")
