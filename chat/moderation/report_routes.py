"""REST for reports: a member reports a message; a group's admin and moderators, or the server's operators for
personal chats, list the open reports (grouped per message) and resolve them. No answer names a reporter."""
from flask import Blueprint

from ..bearer import bearer_required
from ..http import caller, counted, endpoint
from ..kernel.kinds import GROUP
from ..messages.schemas import message_out
from ..openapi import ok
from ..services import services
from ..tokens.scopes import GROUPS_READ, GROUPS_WRITE, MESSAGES_WRITE, NO_TOKENS
from .schemas import ReportBodySchema, ResolveBodySchema

bp = Blueprint("reports", __name__)


def report_out(report, message, urls):
    """A `Report`: {"ReportId", "Message", "Reasons": {reason: count}, "Count", "Notes", "Status"}: no reporter."""
    return {"ReportId": report["_id"], "Message": message_out(message, urls, group=report["kind"] == GROUP),
            "Reasons": dict(report.get("reasons") or {}), "Count": report["count"],
            "Notes": [r["note"] for r in report["reporters"] if r.get("note")], "Status": report["status"]}


def reports_out(reports, messages):
    urls = services().file_urls
    return {"Reports": [report_out(r, messages[r["message_id"]], urls) for r in reports if r["message_id"] in messages]}


@bp.post("/messages/<message_id>/report")
@bearer_required()
@counted("other")
@endpoint(ok("reported", "Reported (accepted for the group's moderators or the operators).", 202), auth="access",
          scope=MESSAGES_WRITE,
          body=ReportBodySchema,
          errors={404: "`not_found`: no such message, or not a member of its chat.",
                  409: "`conflict`: the caller reported this message already.",
                  422: "`validation_error`: a bad Reason, the caller's own or a deleted message."})
def report(message_id, body):
    """Report a message of a chat the caller is in, once."""
    made = services().moderation.reports.report(caller(), message_id, body["Reason"], body.get("Note"))
    return {"ReportId": made["_id"]}, 202


@bp.get("/groups/<group_id>/reports")
@bearer_required()
@counted("fetch")
@endpoint(ok("reports", "The group's open reports, most recently reported first."), auth="access", scope=GROUPS_READ,
          errors={403: "`forbidden`: neither the group's admin nor a moderator.",
                  404: "`not_found`: no such group, or not a member."})
def group_reports(group_id):
    """The open reports of the group's messages (not of the caller's own), one per message."""
    return reports_out(*services().moderation.reports.for_group(caller()["id"], group_id))


@bp.get("/admin/reports")
@bearer_required()
@counted("fetch")
@endpoint(ok("reports", "The open reports of personal-chat messages."), auth="access", scope=NO_TOKENS,
          errors={403: "`forbidden`: not one of the server's operators (ADMIN_USERS)."})
def operator_reports():
    """For the server's operators (ADMIN_USERS): the open reports of personal-chat messages."""
    return reports_out(*services().moderation.reports.for_operators(caller()))


@bp.post("/reports/<report_id>/resolve")
@bearer_required()
@counted("admin")
@endpoint(ok("resolved", "Resolved."), auth="access", scope=GROUPS_WRITE, body=ResolveBodySchema,
          errors={403: "`forbidden`: a group member who is neither its admin nor a moderator, or a kick the "
                       "kick rules refuse.",
                  404: "`not_found`: no such report for the caller.",
                  409: "`conflict`: resolved already.",
                  422: "`validation_error`: a bad Action, or kick for a personal chat."})
def resolve(report_id, body):
    """Dismiss the report, delete the message (members get the deletion push, with DeletedBy), or kick its
    author (groups)."""
    resolved = services().moderation.reports.resolve(caller(), report_id, body["Action"])
    return {"ReportId": resolved["_id"], "Status": resolved["status"]}
