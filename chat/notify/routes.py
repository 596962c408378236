"""`GET /push/public-key`, `POST`/`DELETE /me/push-subscriptions`, `GET`/`PATCH /me/settings`, the digest's
one-click `/unsubscribe`, and the web client's service worker at `/sw.js` (its scope must cover the page)."""
from flask import Blueprint, current_app, render_template_string, request, send_from_directory
from flask_jwt_extended import get_jwt_identity

from ..auth.pages import HEADERS, page, wants_html
from ..bearer import bearer_required
from ..http import counted, endpoint
from ..kernel.errors import ApiError
from ..openapi import json_response
from ..services import services
from ..tokens.scopes import NO_TOKENS
from ..web import web_dir
from .schemas import (
    EndpointSchema,
    PublicKeyReply,
    SettingsPatchSchema,
    SettingsReply,
    SubscribedReply,
    SubscriptionSchema,
    TokenQuerySchema,
)

bp = Blueprint("notify", __name__)

SUBSCRIBE_ERRORS = {422: "`validation_error`: the endpoint breaks the rules (https, a public host), the keys are "
                         "not a P-256 key and a 16-byte secret, or the user has 20 subscriptions already."}
PAGE = {"text/html": {"schema": {"type": "string"}}}
UNSUBSCRIBED = {200: {"description": "Digests are off for the user the token names: JSON "
                                     "`{\"EmailNotifications\": \"off\"}`, or a page for browsers.",
                      "content": {"application/json": {"schema": SettingsReply}, **PAGE}}}
CONFIRM = {200: {"description": "A page with a button that unsubscribes (a GET changes nothing: mail scanners "
                                "open links).", "content": PAGE}}


CONFIRM_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Unsubscribe from email digests</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#222}
h1{font-size:1.4rem}button{padding:.5rem 1rem;font:inherit}</style></head>
<body><h1>Unsubscribe from email digests?</h1>
<p>You will get no more emails about unread messages. You can turn them on again in the chat's settings.</p>
<form method="post" action="{{ action }}"><button type="submit">Unsubscribe</button></form>
<p><a href="{{ client_url }}">Open the chat</a></p></body></html>"""


@bp.get("/push/public-key")
@endpoint({200: json_response(PublicKeyReply, "The key to pass to `pushManager.subscribe`.")})
def public_key():
    """The server's VAPID public key (no auth): browsers subscribe with it as `applicationServerKey`."""
    return services().notify.public_key()


@bp.post("/me/push-subscriptions")
@bearer_required()
@counted("other")
@endpoint({201: json_response(SubscribedReply, "Stored."),
           200: json_response(SubscribedReply, "Already stored (its keys are updated).")},
          auth="access", scope=NO_TOKENS, body=SubscriptionSchema, errors=SUBSCRIBE_ERRORS)
def subscribe(body):
    """Store the browser's push subscription for the caller; messages that reach them while they have no open
    connection are pushed to it. The endpoint must be https on a public host (checked again at every push)."""
    keys = body["keys"]
    created = services().notify.subscribe(get_jwt_identity(), body["endpoint"], keys["p256dh"], keys["auth"])
    return {"endpoint": body["endpoint"], "created": created}, 201 if created else 200


@bp.delete("/me/push-subscriptions")
@bearer_required()
@counted("other")
@endpoint({204: {"description": "Deleted."}}, auth="access", scope=NO_TOKENS, body=EndpointSchema,
          errors={404: "`not_found`: the caller has no subscription with this endpoint."})
def unsubscribe_push(body):
    """Delete one of the caller's push subscriptions (by its endpoint)."""
    services().notify.unsubscribe(get_jwt_identity(), body["endpoint"])
    return "", 204


@bp.get("/me/settings")
@bearer_required()
@counted("fetch")
@endpoint({200: json_response(SettingsReply, "The caller's settings.")}, auth="access", scope=NO_TOKENS)
def settings():
    """The caller's notification settings: EmailNotifications `all` (default), `mentions` or `off`."""
    return services().notify.settings(get_jwt_identity())


@bp.patch("/me/settings")
@bearer_required()
@counted("other")
@endpoint({200: json_response(SettingsReply, "The settings after the change.")}, auth="access", scope=NO_TOKENS,
          body=SettingsPatchSchema)
def update_settings(body):
    """Change the caller's notification settings (the keys given); answers all of them."""
    return services().notify.update_settings(get_jwt_identity(), body)


def _refused(exc):
    if wants_html():
        return page(exc.status, "This link does not work", "The unsubscribe link is not valid.", "bad")
    raise exc


@bp.get("/unsubscribe")
@endpoint(CONFIRM, query=TokenQuerySchema, db=False, html_errors=(400, 422), refused=_refused)
def unsubscribe_page(query):
    """The page the digest's unsubscribe link opens: a button that posts back to turn digests off."""
    return render_template_string(CONFIRM_PAGE, action=request.full_path.rstrip("?"),
                                  client_url=current_app.config["CLIENT_URL"] or current_app.config["PUBLIC_URL"]), \
        200, HEADERS


@bp.post("/unsubscribe")
@endpoint(UNSUBSCRIBED, query=TokenQuerySchema, errors={400: "`invalid_token`: not an unsubscribe token."},
          html_errors=(400, 422), refused=_refused)
def unsubscribe(query):
    """One-click unsubscribe (RFC 8058): turns the email digests off for the user the token names, without
    signing in, and changes nothing else. Mail clients post `List-Unsubscribe=One-Click`; the body is ignored."""
    try:
        services().digest.unsubscribe(query["token"])
    except ApiError as exc:
        return _refused(exc)
    if wants_html():
        return page(200, "Unsubscribed", "You will get no more emails about unread messages.", "ok")
    return {"EmailNotifications": "off"}


@bp.get("/sw.js")
@endpoint({200: {"description": "The web client's service worker.",
                 "content": {"text/javascript": {"schema": {"type": "string"}}}}}, db=False)
def service_worker():
    """The web client's service worker (shows pushes, opens the chat on a click), served at the root so that
    its scope covers the page."""
    response = send_from_directory(web_dir() / "static" / "js", "sw.js", mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Content-Security-Policy"] = "default-src 'self'"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
