"""REST for groups: detail, history and send (administration stays on the socket)."""
from flask import Blueprint
from flask_jwt_extended import jwt_required

from ..chats.repository import GROUP
from ..chats.routes import caller, history, history_query, send_body, sent
from ..http import counted
from ..messages.schemas import message_out
from ..services import services
from .wire import group_out

bp = Blueprint("groups", __name__)


@bp.get("/groups/<group_id>")
@jwt_required()
@counted("fetch")
def detail(group_id):
    """{"Group"} for a member; 404 for anyone else."""
    user = caller()
    return {"Group": group_out(services().groups.member_group(user["id"], group_id))}


@bp.get("/groups/<group_id>/messages")
@jwt_required()
@counted("fetch")
def group_history(group_id):
    """A history page, as `group-chat`."""
    query = history_query()
    user = caller()
    group = services().groups.member_group(user["id"], group_id)
    page, has_more = history(group, user["id"], query)
    return {"GroupId": group["_id"], "Group": group_out(group),
            "Messages": [message_out(m, group=True) for m in page], "HasMore": has_more}


@bp.post("/groups/<group_id>/messages")
@jwt_required()
@counted("message")
def group_send(group_id):
    """Send to the group; members' sockets get `receive-group-message`."""
    body = send_body()
    return sent(*services().messages.send(GROUP, group_id, caller(), body["Content"], body.get("ClientId")))
