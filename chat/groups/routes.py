"""REST for groups: detail, history and send (administration stays on the socket)."""
from flask import Blueprint
from flask_jwt_extended import jwt_required

from ..chats.schemas import HistoryQuerySchema, SendBodySchema
from ..http import caller, counted, endpoint, history_page, sent
from ..kinds import ChatRef
from ..messages.schemas import message_out
from ..openapi import NOT_MEMBER, SENT, ok
from ..services import services
from .wire import group_out

bp = Blueprint("groups", __name__)


@bp.get("/groups/<group_id>")
@jwt_required()
@counted("fetch")
@endpoint(ok("group", "The group."), auth="access", errors=NOT_MEMBER)
def detail(group_id):
    """{"Group"} for a member; 404 for anyone else."""
    return {"Group": group_out(services().groups.member_group(caller()["id"], group_id))}


@bp.get("/groups/<group_id>/messages")
@jwt_required()
@counted("fetch")
@endpoint(ok("group_page", "A history page."), auth="access", query=HistoryQuerySchema, errors=NOT_MEMBER)
def group_history(group_id, query):
    """A history page, as `group-chat`."""
    group, messages, has_more = history_page(caller(), ChatRef.group(group_id), query)
    return {"GroupId": group["_id"], "Group": group_out(group),
            "Messages": [message_out(m, group=True) for m in messages], "HasMore": has_more}


@bp.post("/groups/<group_id>/messages")
@jwt_required()
@counted("message")
@endpoint(SENT, auth="access", body=SendBodySchema, errors=NOT_MEMBER)
def group_send(group_id, body):
    """Send to the group; members' sockets get `receive-group-message`."""
    return sent(*services().messages.send(caller(), ChatRef.group(group_id), body["Content"], body.get("ClientId")))
