"""REST for groups: the public directory, joining, detail, history and send (administration stays on the socket)."""
from flask import Blueprint
from flask_jwt_extended import get_jwt_identity

from ..bearer import bearer_required
from ..chats.schemas import HistoryQuerySchema, SendBodySchema
from ..http import caller, counted, endpoint, history_page, sent
from ..kernel.kinds import ChatRef
from ..messages.schemas import message_out
from ..openapi import NOT_MEMBER, SENT, ok
from ..services import services
from ..tokens.scopes import GROUPS_READ, GROUPS_WRITE, MESSAGES_READ, MESSAGES_WRITE
from .schemas import DirectoryQuerySchema
from .wire import directory_entry, group_out

bp = Blueprint("groups", __name__)


@bp.get("/groups/public")
@bearer_required()
@counted("fetch")
@endpoint(ok("directory", "One page of the public groups."), auth="access",
          scope=GROUPS_READ, query=DirectoryQuerySchema)
def directory(query):
    """Public groups whose name contains q (case-insensitive; none: every one), the largest first, with
    MemberCount and whether the caller Joined."""
    page, per_page = query["page"], query["per_page"]
    total, rows = services().groups.directory(get_jwt_identity(), query.get("q"), page, per_page)
    return {"state": {"page": page, "per_page": per_page, "total": total,
                      "total_pages": (total + per_page - 1) // per_page},
            "entries": [directory_entry(row) for row in rows]}


@bp.post("/groups/<group_id>/join")
@bearer_required()
@counted("admin")
@endpoint(ok("group", "Joined (or a member already)."), auth="access", scope=GROUPS_WRITE,
          errors={403: "`forbidden`: an admin removed the caller from this group.",
                  404: "`not_found`: no such public group.", 409: "`conflict`: the group is full."})
def join_group(group_id):
    """Join a public group, as `join-group`: members' sockets get `member-added`, the caller's `group-created`."""
    group, _joined = services().groups.join(caller(), group_id)  # announces `member_added` when it took them in
    return {"Group": group_out(group)}


@bp.get("/groups/<group_id>")
@bearer_required()
@counted("fetch")
@endpoint(ok("group", "The group."), auth="access", scope=GROUPS_READ, errors=NOT_MEMBER)
def detail(group_id):
    """{"Group"} for a member; 404 for anyone else."""
    return {"Group": group_out(services().groups.member_group(caller()["id"], group_id))}


@bp.get("/groups/<group_id>/messages")
@bearer_required()
@counted("fetch")
@endpoint(ok("group_page", "A history page."), auth="access",
          scope=MESSAGES_READ, query=HistoryQuerySchema, errors=NOT_MEMBER)
def group_history(group_id, query):
    """A history page, as `group-chat`."""
    group, messages, has_more = history_page(caller(), ChatRef.group(group_id), query)
    urls = services().file_urls
    return {"GroupId": group.id, "Group": group_out(group),
            "Messages": [message_out(m, urls, group=True) for m in messages], "HasMore": has_more}


@bp.post("/groups/<group_id>/messages")
@bearer_required()
@counted("message")
@endpoint(SENT, auth="access", scope=MESSAGES_WRITE, body=SendBodySchema, errors=NOT_MEMBER)
def group_send(group_id, body):
    """Send to the group; members' sockets get `receive-group-message`."""
    return sent(*services().messages.send(caller(), ChatRef.group(group_id), body["Content"], body.get("ClientId"),
                                          body.get("ReplyTo"), body.get("Attachments"),
                                          thread_of=body.get("ThreadOf")))
