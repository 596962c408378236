"""REST for invite links: make, list and revoke them (the group's admin or a moderator), and accept one."""
from urllib.parse import quote

from flask import Blueprint, current_app
from flask_jwt_extended import get_jwt_identity

from ..bearer import bearer_required
from ..groups.wire import group_out
from ..http import caller, counted, endpoint
from ..kernel.clock import iso
from ..openapi import ok
from ..services import services
from ..tokens.scopes import GROUPS_READ, GROUPS_WRITE
from .schemas import InviteBodySchema

bp = Blueprint("invites", __name__)

MODERATED = {403: "`forbidden`: a member who is neither the group's admin nor a moderator.",
             404: "`not_found`: no such group, or not a member."}


def invite_out(invite):
    """An `Invite`: {"Code", "Url", "MaxUses", "Uses", "ExpiresAt"}; Url is the web client's page that accepts
    it (CLIENT_URL, else PUBLIC_URL, as in the links of mails)."""
    base = current_app.config["CLIENT_URL"] or current_app.config["PUBLIC_URL"]
    return {"Code": invite["_id"], "Url": f"{base}/?invite={quote(invite['_id'])}", "MaxUses": invite["max_uses"],
            "Uses": invite["uses"], "ExpiresAt": iso(invite["expires_at"])}


@bp.post("/groups/<group_id>/invites")
@bearer_required()
@counted("admin")
@endpoint(ok("invite", "The new invite.", 201), auth="access",
          scope=GROUPS_WRITE, body=InviteBodySchema, body_required=False,
          errors=MODERATED)
def create(group_id, body):
    """Make an invite link to the group: at most MaxUses uses (none: unlimited), valid ExpiresIn seconds (none:
    until revoked)."""
    invite = services().moderation.invites.create(get_jwt_identity(), group_id, body.get("MaxUses"),
                                                  body.get("ExpiresIn"))
    return invite_out(invite), 201


@bp.get("/groups/<group_id>/invites")
@bearer_required()
@counted("fetch")
@endpoint(ok("invites", "The group's invites that are not revoked, newest first."), auth="access", scope=GROUPS_READ,
          errors=MODERATED)
def listing(group_id):
    """The group's invites (used-up and expired ones too, with their Uses and ExpiresAt)."""
    return {"Invites": [invite_out(i) for i in services().moderation.invites.list(get_jwt_identity(), group_id)]}


@bp.delete("/groups/<group_id>/invites/<code>")
@bearer_required()
@counted("admin")
@endpoint(ok("revoked", "Revoked: the code joins nobody any more."), auth="access", scope=GROUPS_WRITE,
          errors={**MODERATED, 404: "`not_found`: no such group or live invite, or not a member."})
def revoke(group_id, code):
    """Revoke an invite link."""
    services().moderation.invites.revoke(get_jwt_identity(), group_id, code)
    return {"Code": code, "Revoked": True}


@bp.post("/invites/<code>/accept")
@bearer_required()
@counted("admin")
@endpoint(ok("group", "Joined (or a member already: no use is taken)."), auth="access", scope=GROUPS_WRITE,
          errors={403: "`forbidden`: an admin or moderator removed the caller from this group.",
                  404: "`not_found`: no such invite, or revoked, expired or used up.",
                  409: "`conflict`: the group is full."})
def accept(code):
    """Join the invite's group, private ones too, as `join-group`: members get `member-added`, the caller's
    sockets `group-created`."""
    group, _joined = services().moderation.invites.accept(caller(), code)
    return {"Group": group_out(group)}
