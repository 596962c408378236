"""Accounts people manage: `/password/forgot`, `/password/reset`, the `/reset-password` page, and `/me/password`,
`/me/sessions`, `/me/email`, `DELETE /me`.

The calls that check the account's password are limited per account (RATE_LIMIT_PASSWORD_CHECK), like
`/login`; the two that need no token are limited per client address, and `/password/forgot` per address
too, like `/resend`; `/me/email` per new address as well (RATE_LIMIT_EMAIL_CHANGE_ADDRESS), whatever the account.
Cancelling a pending address change: chat/auth/email_routes.py.
"""
from flask import Blueprint, current_app, request
from flask_jwt_extended import get_jwt, get_jwt_identity

from ..bearer import bearer_required
from ..extensions import limiter
from ..http import endpoint
from ..kernel.errors import ApiError
from ..openapi import ok
from ..services import services
from ..tokens.scopes import NO_TOKENS
from .pages import page, wants_html
from .routes import body_field
from .schemas import (
    ChangeEmailSchema,
    ChangePasswordSchema,
    DeleteAccountSchema,
    ForgotPasswordSchema,
    ResetPageQuerySchema,
    ResetPasswordSchema,
)

bp = Blueprint("account", __name__)

WRONG_PASSWORD = {401: "`invalid_credentials`: the password is wrong; or `unauthorized`, `token_expired`, "
                       "`token_revoked`.", 429: "`rate_limited`: too many password checks for this account."}
HTML = {"content": {"text/html": {"schema": {"type": "string"}}}}


def _limit(setting, **kwargs):
    return limiter.limit(lambda: current_app.config[setting], **kwargs)


def _per_account():
    return f"{request.endpoint}:user:{get_jwt_identity()}"


def _session():
    """(user id, session id) of the caller's access token."""
    return get_jwt_identity(), get_jwt()["sid"]


@bp.post("/password/forgot")
@_limit("RATE_LIMIT_FORGOT_IP")
@_limit("RATE_LIMIT_FORGOT_ADDRESS", key_func=body_field("email"))
@endpoint(ok("status", "The same whether or not the address has an account.", 202), body=ForgotPasswordSchema,
          errors={429: None})
def forgot_password(body):
    """Mail a single-use password reset link (RESET_TOKEN_TTL); 202 whether or not the address has an account."""
    services().accounts.forgot_password(body["email"])
    return {"status": "sent_if_registered"}, 202


@bp.post("/password/reset")
@_limit("RATE_LIMIT_RESET_IP")
@endpoint(ok("status", "The password is set; every session of the account has ended."), body=ResetPasswordSchema,
          errors={400: "`invalid_token`: unknown, used, superseded by a newer link, or expired.", 429: None})
def reset_password(body):
    """Set a new password with the token from a reset mail; every session ends and its sockets disconnect."""
    services().accounts.reset_password(body["token"], body["password"])
    return {"status": "password_reset"}


RESET_FORM_TEXT = "Choose a new password: at least 8 characters. Every device signed in to your account is signed out."


def _no_token(exc=None):
    """The page for a link that names no usable token; a refused load answers other clients with the envelope."""
    if exc is not None and not wants_html():
        raise exc
    return page(400, "This link does not work", "It names no reset token. Ask for a new link from the sign-in "
                "screen.", "bad")


@bp.get("/reset-password")
@endpoint({200: {"description": "A page with the new password form.", **HTML}}, query=ResetPageQuerySchema,
          refused=_no_token, html_errors=(400,), errors={400: "The link names no token (a page)."}, db=False)
def reset_page(query):
    """The page a reset mail's link opens when there is no CLIENT_URL: a form posting the new password here."""
    token = query["token"]
    if not token:
        return _no_token()
    return page(200, "Choose a new password", RESET_FORM_TEXT, "", form={"action": "reset-password", "token": token},
                link_to_client=False)


def _form_refused(exc):
    """A form post that does not load: the form again, saying what a password must be (the envelope for clients
    that do not want HTML)."""
    if not wants_html():
        raise exc
    token = request.form.get("token", "")[:512]
    if exc.code != "validation_error" or not token:
        return _no_token()
    return page(422, "Choose a new password", "The password must be 8 to 128 characters. " + RESET_FORM_TEXT, "bad",
                form={"action": "reset-password", "token": token}, link_to_client=False)


@bp.post("/reset-password")
@_limit("RATE_LIMIT_RESET_IP")
@endpoint({200: {"description": "The password is set (a page).", **HTML}}, form=ResetPasswordSchema,
          refused=_form_refused, html_errors=(400, 422), errors={
              400: "The link does not work (a page).", 422: "The password is not valid (the form again).", 429: None})
def reset_form(body):
    """The reset page's form (`token`, `password`): `POST /password/reset` for browsers, answered with a page."""
    try:
        services().accounts.reset_password(body["token"], body["password"])
    except ApiError as exc:
        if exc.code != "invalid_token":
            raise
        return page(400, "This link does not work", "It is unknown, was used already, has expired, or a newer link "
                    "replaced it. Ask for a new one from the sign-in screen.", "bad")
    return page(200, "Your password is changed", "Every device was signed out. Sign in with the new password.", "ok")


@bp.post("/me/password")
@bearer_required()
@_limit("RATE_LIMIT_PASSWORD_CHECK", key_func=_per_account)
@endpoint(ok("status", "Changed; every other session has ended, this one stays."), auth="access", scope=NO_TOKENS,
          body=ChangePasswordSchema, errors=WRONG_PASSWORD)
def change_password(body):
    """Change the password (the current one is checked); every other session ends and its sockets disconnect."""
    user_id, session_id = _session()
    services().accounts.change_password(user_id, session_id, body["current_password"], body["new_password"])
    return {"status": "password_changed"}


@bp.get("/me/sessions")
@bearer_required()
@endpoint(ok("sessions", "The caller's live sessions, most recently used first."), auth="access", scope=NO_TOKENS)
def list_sessions():
    """The caller's live sessions, most recently used first, with the current one marked."""
    user_id, session_id = _session()
    return {"sessions": services().accounts.sessions(user_id, session_id)}


@bp.delete("/me/sessions/<session_id>")
@bearer_required()
@endpoint(ok("status", "The session has ended; its sockets are closed."), auth="access", scope=NO_TOKENS,
          errors={404: "`not_found`: no live session of yours has this id."})
def end_session(session_id):
    """End one of the caller's sessions (the current one too, like logout); its sockets disconnect."""
    services().accounts.end_own_session(get_jwt_identity(), session_id)
    return {"status": "session_ended"}


@bp.delete("/me/sessions")
@bearer_required()
@endpoint(ok("ended", "Every other session has ended; `ended` says how many."), auth="access", scope=NO_TOKENS)
def end_other_sessions():
    """Sign out everywhere else: every session of the caller but the current one ends."""
    user_id, session_id = _session()
    return {"status": "sessions_ended", "ended": services().accounts.end_other_sessions(user_id, session_id)}


@bp.post("/me/email")
@bearer_required()
@_limit("RATE_LIMIT_PASSWORD_CHECK", key_func=_per_account)
# Per new address, whatever the account; only requests that mail it count (not a wrong password).
@_limit("RATE_LIMIT_EMAIL_CHANGE_ADDRESS", key_func=body_field("email"), deduct_when=lambda r: r.status_code == 202)
@endpoint(ok("status", "A confirmation link went to the new address, a notice to the current one.", 202),
          auth="access", scope=NO_TOKENS,
          body=ChangeEmailSchema, errors={**WRONG_PASSWORD, 409: "`email_taken`.", 429: (
              "`rate_limited`: too many password checks for this account, or requests for this new address.")})
def change_email(body):
    """Ask to change the address: it changes when the link mailed to the new address is opened."""
    services().accounts.request_email_change(get_jwt_identity(), body["email"], body["password"])
    return {"status": "confirmation_sent"}, 202


@bp.delete("/me")
@bearer_required()
@_limit("RATE_LIMIT_PASSWORD_CHECK", key_func=_per_account)
@endpoint(ok("status", "The account is gone: sessions ended, groups left, messages anonymised."), auth="access",
          scope=NO_TOKENS,
          body=DeleteAccountSchema, errors=WRONG_PASSWORD)
def delete_account(body):
    """Delete the caller's account (the password is checked). After a failure half-way, calling again finishes it."""
    user_id, session_id = _session()
    services().deletion.delete(user_id, session_id, body["password"])
    return {"status": "account_deleted"}
