"""Reports (SPEC v3 "Moderation in groups"): a member reports a message of a chat they are in, once per message;
a group's admin and moderators see the group's reports, grouped per message, and resolve them by dismissing,
deleting the message or kicking its author; reports of personal-chat messages reach the server's operators
(ADMIN_USERS: user ids or usernames), who dismiss them or delete the message.

Nobody is told who reported: the listings carry counts and reasons, never reporter ids, and a member never sees
the reports of their own messages (not even a moderator). Resolving goes through the same service methods as
the direct actions (MessageService.delete, GroupService.kickout), so their rules and announcements hold.
"""
from ..events import NOBODY
from ..governance import service as logs
from ..groups.service import by_name
from ..kernel import errors
from ..kernel.clock import utcnow
from ..kernel.kinds import GROUP, PERSONAL
from ..messages.repository import chat_id_of
from . import roles
from .report_repository import OPEN

REASONS = ("spam", "abuse", "other")
ACTIONS = {"dismiss": "dismissed", "delete": "deleted", "kick": "kicked"}


class ReportService:
    """Report, list and resolve."""

    def __init__(self, report_repo, chats, message_repo, messages, groups, operators=()):
        self.report_repo = report_repo
        self.chats = chats  # ChatService: membership
        self.message_repo = message_repo
        self.messages = messages  # MessageService: delete
        self.groups = groups  # GroupService: kickout, membership
        self.operators = {str(o).casefold() for o in operators}

    def is_operator(self, user):
        """Whether user ({"id", "username"}) is one of the server's operators (ADMIN_USERS)."""
        return str(user["id"]).casefold() in self.operators or user["username"].casefold() in self.operators

    def report(self, user, message_id, reason, note=None):
        """Report a message of a personal chat or group the user is a member of (not_found otherwise), not their
        own (validation_error) and not deleted; conflict when they reported it already. Returns the report."""
        try:
            chat = self.chats.member_chat(user["id"], chat_id_of(message_id))
        except errors.ApiError:
            raise errors.not_found("No such message.") from None
        message = self.message_repo.get(chat.id, message_id)
        if chat.is_self or message is None:
            raise errors.not_found("No such message.")
        if message["sender_id"] == str(user["id"]):
            raise errors.validation_error({"MessageId": ["You cannot report your own message."]})
        if message.get("deleted"):
            raise errors.validation_error({"MessageId": ["This message was deleted."]})
        report = self.report_repo.add(message, chat.kind, str(user["id"]), reason, note, utcnow())
        if report is None:
            raise errors.ApiError("conflict", "You reported this message already.", 409)
        return report

    def for_group(self, user_id, group_id):
        """(open reports of the group's messages, their messages by id), for its admin and moderators; a member's
        own messages' reports are left out of what they see."""
        group = self.groups.member_group(user_id, group_id)
        roles.check_moderates(group, user_id)
        reports = [r for r in self.report_repo.open_in({"chat_id": group.id}) if r["reported_id"] != str(user_id)]
        return reports, self._messages(reports)

    def for_operators(self, user):
        """(open reports of personal-chat messages, their messages by id), for the server's operators."""
        if not self.is_operator(user):
            raise errors.forbidden("Only the server's operators see these reports.")
        reports = [r for r in self.report_repo.open_in({"kind": PERSONAL}) if r["reported_id"] != str(user["id"])]
        return reports, self._messages(reports)

    def _messages(self, reports):
        return {m["_id"]: m for m in self.message_repo.by_ids([r["message_id"] for r in reports])}

    def resolve(self, user, report_id, action, origin=NOBODY):
        """Resolve an open report: dismiss, delete the message, or kick its author (groups only). A group's report
        by its admin or a moderator (the kick follows the kick rules), a personal chat's by an operator
        (dismiss or delete). not_found for anyone else or a report of their own message; conflict when it was
        resolved already. Returns the report after."""
        report = self.report_repo.get(report_id)
        if report is None or report["reported_id"] == str(user["id"]):
            raise errors.not_found("No such report.")
        operator = None
        if report["kind"] == GROUP:
            try:
                group = self.groups.member_group(user["id"], report["chat_id"])
            except errors.ApiError:
                raise errors.not_found("No such report.") from None
            roles.check_moderates(group, user["id"])
        elif self.is_operator(user):
            operator = {"id": str(user["id"]), "username": user["username"], "Bot": bool(user.get("Bot"))}
            if action == "kick":
                raise errors.validation_error({"Action": ["A personal chat has nobody to kick."]})
        else:
            raise errors.not_found("No such report.")
        if report["status"] != OPEN:
            raise errors.ApiError("conflict", "This report was resolved already.", 409)
        if action == "delete":
            message = self.message_repo.by_id(report["message_id"])
            if message is not None and not message.get("deleted"):
                self.messages.delete(user["id"], report["message_id"], origin=origin, operator=operator)
        elif action == "kick":
            self.groups.kickout(user["id"], report["chat_id"], report["reported_id"], origin)
        if not self.report_repo.resolve(report["_id"], ACTIONS[action], str(user["id"]), utcnow()):
            raise errors.ApiError("conflict", "This report was resolved already.", 409)
        if report["kind"] == GROUP:  # the reporters are never named, not even here
            self.groups.audit.record(report["chat_id"], user, logs.REPORT_RESOLVED,
                                     by_name(group, report["reported_id"]),
                                     {"Action": action, "MessageId": report["message_id"]})
        return self.report_repo.get(report["_id"])
