"""REST for webhooks: a group admin's `/groups/<id>/webhooks`, and `POST /hooks/<secret>` (no token: the secret
in the URL is the credential) through which an incoming webhook posts."""
from flask import Blueprint, current_app, request
from flask_jwt_extended import get_jwt_identity

from ..bearer import bearer_required
from ..events import Origin
from ..http import caller, counted, endpoint, sent
from ..openapi import NOT_MEMBER, SENT, json_response
from ..services import services
from ..tokens.scopes import GROUPS_READ, GROUPS_WRITE
from .schemas import CreatedWebhook, CreateWebhookSchema, IncomingPostSchema, WebhookList

bp = Blueprint("webhooks", __name__)

ADMIN_ONLY = {**NOT_MEMBER, 403: "`forbidden`: only the group's admin manages its webhooks."}


@bp.post("/groups/<group_id>/webhooks")
@bearer_required()
@counted("admin")
@endpoint({201: json_response(CreatedWebhook, "Made: the URL (incoming) or the secret (outgoing), shown once.")},
          auth="access", scope=GROUPS_WRITE, body=CreateWebhookSchema,
          errors={**ADMIN_ONLY, 422: "`validation_error`: a bad Name, or a Url that is not https or whose host "
                                     "is not a public address (the outbound rules, docs/security.md)."})
def create_webhook(group_id, body):
    """Create a webhook: {"Name"} → incoming (its bot joins the group: `member-added`), {"Name", "Url"} →
    outgoing (every new message of the group is POSTed to Url, signed)."""
    me = caller()
    return services().webhooks.create(me, group_id, body["Name"], body.get("Url"), Origin(user=me)), 201


@bp.get("/groups/<group_id>/webhooks")
@bearer_required()
@counted("fetch")
@endpoint({200: json_response(WebhookList, "The group's webhooks, oldest first (no secrets).")}, auth="access",
          scope=GROUPS_READ,
          errors=ADMIN_ONLY)
def list_webhooks(group_id):
    """The group's webhooks (admin only)."""
    return {"Webhooks": services().webhooks.list(get_jwt_identity(), group_id)}


@bp.delete("/groups/<group_id>/webhooks/<webhook_id>")
@bearer_required()
@counted("admin")
@endpoint({204: {"description": "Deleted: an incoming URL answers 404 from now on."}}, auth="access",
          scope=GROUPS_WRITE,
          errors={**ADMIN_ONLY, 404: "`not_found`: no such group, not a member, or no such webhook."})
def delete_webhook(group_id, webhook_id):
    """Delete a webhook (admin only); an incoming one's bot leaves the group (`member-kicked`)."""
    me = caller()
    services().webhooks.delete(me["id"], group_id, webhook_id, Origin(user=me))
    return "", 204


@bp.post("/hooks/<secret>")
@endpoint(SENT, body=IncomingPostSchema,
          errors={404: "`not_found`: no such webhook (or it was deleted).",
                  422: "`validation_error`: Content, as for any send.", 429: None})
def incoming(secret, body):
    """Post {"Content"} into the webhook's group as its bot, as any send (members' sockets get
    `receive-group-message`); limited like a member's sends."""
    def throttle(hook_id):
        current_app.extensions["chat.socket_limits"].hit("message", f"hook:{hook_id}", f"http:{request.remote_addr}")
    return sent(*services().webhooks.post_incoming(secret, body["Content"], throttle))
