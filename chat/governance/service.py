"""The audit log of groups and the security log of accounts: services other services call, one line per action.

`AuditLog.record(group_id, actor, action, target, detail)` keeps who ({"id", "username"}), what (an action
name), when, on whom (a user or None) and what changed; `GroupService` calls it after each admin change it stored
(role changes, kicks, members added, group updates), and moderation, reports, invites and webhooks add one call
each. `SecurityLog.record(user_id, action, address, user_agent, detail)` keeps sign-ins (with the client's
address and user agent), failed sign-ins, 2FA changes, password changes and resets, ended sessions and address
changes; the auth services call it (`AuthService.security`).

A record is written after the change it tells of was stored. If writing it fails (the database went away
in between), the change stands and the failure is logged: an answer must not say "failed" for a change that
happened. No Flask, no Socket.IO.
"""
import logging

from pymongo.errors import PyMongoError

from ..kernel.clock import iso

log = logging.getLogger(__name__)

# Actions, as the wire shows them.
ROLE_CHANGED, MEMBER_KICKED, MEMBER_ADDED, GROUP_UPDATED, MESSAGE_DELETED = (
    "admin_changed", "member_kicked", "member_added", "group_updated", "message_deleted")
SIGN_IN, SIGN_IN_FAILED, SESSION_ENDED, SESSIONS_ENDED = "sign_in", "sign_in_failed", "session_ended", "sessions_ended"
TWO_FACTOR_ENABLED, TWO_FACTOR_DISABLED = "two_factor_enabled", "two_factor_disabled"
PASSWORD_CHANGED, PASSWORD_RESET, EMAIL_CHANGED = "password_changed", "password_reset", "email_changed"
EXPORT_REQUESTED = "export_requested"
MODERATOR_CHANGED = "moderator_changed"
REPORT_RESOLVED, INVITE_CREATED, INVITE_REVOKED = "report_resolved", "invite_created", "invite_revoked"
WEBHOOK_CREATED, WEBHOOK_DELETED = "webhook_created", "webhook_deleted"


def person(user):
    """{"id", "username"} of a user given as such a dict, a user document, or None."""
    if user is None:
        return None
    if "_id" in user:
        return {"id": str(user["_id"]), "username": user.get("username")}
    return {"id": str(user["id"]), "username": user.get("username")}


def paged(total, rows, page, per_page, out):
    """The wire shape of one page of a log: {"entries", "state": {page, per_page, total, total_pages}}."""
    return {"entries": [out(row) for row in rows],
            "state": {"page": page, "per_page": per_page, "total": total,
                      "total_pages": (total + per_page - 1) // per_page}}


def _safely(write, what):
    try:
        write()
    except PyMongoError as exc:
        log.error("%s not recorded: %s", what, exc)


class AuditLog:
    """What admins (and, later, moderators) did in a group: append-only, read by the group's admin."""

    def __init__(self, repo, admin_group=None):
        self.repo = repo
        # (user id, group id) → the group when the user is its admin; raises not_found/forbidden otherwise.
        self.admin_group = admin_group

    def record(self, group_id, actor, action, target=None, detail=None):
        """Append who (actor) did what (action) to whom (target) in group_id, with detail (a small dict)."""
        entry = {"actor": person(actor), "action": action, "target": person(target), "detail": detail or {}}
        _safely(lambda: self.repo.append(group_id, entry), f"audit {action} in group {group_id}")

    def page(self, user_id, group_id, page, per_page):
        """One page of the group's log, newest first, for its admin: not_found for non-members and strangers,
        forbidden for other members."""
        self.admin_group(user_id, group_id)
        total, rows = self.repo.page(group_id, (page - 1) * per_page, per_page)
        return paged(total, rows, page, per_page, audit_out)

    def forget_group(self, group_id):
        """A deleted group keeps no log."""
        self.repo.forget(group_id)


def audit_out(row):
    """An audit entry on the wire: {"At", "Actor", "Action", "Target", "Detail"}."""
    return {"At": iso(row["at"]), "Actor": row.get("actor"), "Action": row["action"], "Target": row.get("target"),
            "Detail": row.get("detail") or {}}


class SecurityLog:
    """What happened to an account: append-only, read by the account's owner."""

    def __init__(self, repo, session_owner=None):
        self.repo = repo
        self.session_owner = session_owner or (lambda session_id: None)  # session id → user id, or None

    def record(self, user_id, action, address=None, user_agent=None, detail=None):
        """Append action on user_id's account, from address (an IP) with user_agent, with detail."""
        if user_id is None:
            return
        entry = {"action": action, "address": address, "user_agent": user_agent, "detail": detail or {}}
        _safely(lambda: self.repo.append(user_id, entry), f"security {action} of user {user_id}")

    def session_ended(self, session_id, reason):
        """One session ended (logout, refresh-token reuse): recorded for its owner (not when the account is being
        deleted: its log goes with it)."""
        if reason != "account_deleted":
            self.record(self.session_owner(session_id), SESSION_ENDED, detail={"reason": reason})

    def page(self, user_id, page, per_page):
        """One page of the caller's own log, newest first."""
        total, rows = self.repo.page(user_id, (page - 1) * per_page, per_page)
        return paged(total, rows, page, per_page, security_out)

    def forget_user(self, user_id):
        """A deleted account keeps no log."""
        self.repo.forget(user_id)


def security_out(row):
    """A security-log entry on the wire: {"At", "Action", "Address", "UserAgent", "Detail"}."""
    return {"At": iso(row["at"]), "Action": row["action"], "Address": row.get("address"),
            "UserAgent": row.get("user_agent"), "Detail": row.get("detail") or {}}


class NoLog:
    """What a service records to when nothing is wired (unit-built services): records nothing."""

    def record(self, *args, **kwargs):
        """Record nothing."""

    def session_ended(self, session_id, reason):
        """Record nothing."""


CHANGED_FIELDS = (("Name", "name"), ("Description", "description"), ("Public", "public"),
                  ("RetentionDays", "retention_days"), ("SlowModeSeconds", "slow_mode"))


def changes(before, after):
    """{field: [before, after]} of a group's settings that an update changed (the detail of `group_updated`)."""
    found = {}
    for wire, name in CHANGED_FIELDS:
        old, new = getattr(before, name), getattr(after, name)
        if old != new:
            found[wire] = [old, new]
    return found
