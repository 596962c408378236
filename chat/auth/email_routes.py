"""Cancelling a pending address change: `POST /me/email/cancel` signed in, or the link of the notice mailed to the
old address (`GET /cancel-email-change` opens a page with one button, which posts to `POST /cancel-email-change`),
which works without signing in.

The page does not cancel on GET: mail scanners open links, and a button needs a person. Either way every reset and
address-change link of the account mailed so far stops working (chat/auth/accounts.py). The link's form is limited
per client address like the reset form (RATE_LIMIT_RESET_IP).
"""
from flask import Blueprint, current_app
from flask_jwt_extended import get_jwt_identity

from ..bearer import bearer_required
from ..extensions import limiter
from ..http import endpoint
from ..kernel.errors import ApiError, invalid_token
from ..openapi import ok
from ..services import services
from ..tokens.scopes import NO_TOKENS
from .pages import page, wants_html
from .schemas import CancelEmailChangeSchema, ResetPageQuerySchema

bp = Blueprint("email_change", __name__)

HTML = {"content": {"text/html": {"schema": {"type": "string"}}}}
CANCEL_TEXT = ("Someone asked to change your account's email address. Cancel it here; then, if it was not you, sign "
               "in and change your password.")


@bp.post("/me/email/cancel")
@bearer_required()
@endpoint(ok("status", "Any pending address change is cancelled (fine when there is none); every reset and "
             "address-change link mailed so far stops working."), auth="access", scope=NO_TOKENS)
def cancel_own():
    """Cancel the caller's pending address change: its confirmation link stops working."""
    services().accounts.cancel_own_email_change(get_jwt_identity())
    return {"status": "email_change_cancelled"}


def _dead_link(exc):
    """The page for a cancel link that does not work; clients that do not want HTML get the envelope of exc."""
    if not wants_html():
        raise exc
    return page(400, "This link does not work", "It is unknown, was used already, has expired, or the password or "
                "address changed since it was mailed (then no change is pending).", "bad")


@bp.get("/cancel-email-change")
@endpoint({200: {"description": "A page with the button that cancels the change.", **HTML}},
          query=ResetPageQuerySchema, refused=_dead_link, html_errors=(400,),
          errors={400: "`invalid_token`: the link names no token (a page for browsers)."}, db=False)
def cancel_page(query):
    """The page the notice mail's link opens: one button posting the token to `POST /cancel-email-change`."""
    if not query["token"]:
        return _dead_link(invalid_token())
    return page(200, "Cancel the change of your email address", CANCEL_TEXT, "",
                form={"action": "cancel-email-change", "token": query["token"], "button": "Cancel the change"})


@bp.post("/cancel-email-change")
@limiter.limit(lambda: current_app.config["RATE_LIMIT_RESET_IP"])
@endpoint({200: {"description": "The change is cancelled (a page).", **HTML}}, form=CancelEmailChangeSchema,
          refused=_dead_link, html_errors=(400,), errors={
              400: "`invalid_token`: the link does not work (a page for browsers).", 429: None})
def cancel_form(body):
    """The cancel page's form (`token`): the pending address change is cancelled, without signing in."""
    try:
        services().accounts.cancel_email_change(body["token"])
    except ApiError as exc:
        if exc.code != "invalid_token":
            raise
        return _dead_link(exc)
    return page(200, "The change is cancelled", "Your account keeps its email address; the confirmation link "
                "mailed to the new one no longer works.", "ok")
