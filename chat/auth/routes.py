"""The auth blueprint: `/signup`, `/verify`, `/resend`, `/login`, `/refresh`, `/logout`."""
from flask import Blueprint, current_app, redirect, request
from flask_jwt_extended import get_jwt, get_jwt_identity

from ..bearer import bearer_required
from ..extensions import limiter
from ..http import endpoint, json_object
from ..kernel.errors import ApiError, invalid_token
from ..kernel.fields import storable
from ..openapi import VERIFIED, ok
from ..services import services
from ..tokens.scopes import NO_TOKENS
from ..users.schemas import own_user
from .pages import page, wants_html
from .schemas import LoginSchema, LogoutSchema, ResendSchema, SignupSchema, VerifyQuerySchema
from .tokens import mint_pair, refresh_token_session

bp = Blueprint("auth", __name__)
USER_AGENT_MAX = 256  # characters of a login's User-Agent kept for the session list


def body_field(name):
    """A rate-limit key from one field of the JSON body (per account / per address)."""
    def key():
        body = json_object()
        value = body.get(name) if body else None
        usable = isinstance(value, str) and storable(value)  # a lone surrogate would break a Redis key
        return f"{request.endpoint}:{name}:{value.strip().lower() if usable else '-'}"
    return key


def _limit(setting, **kwargs):
    return limiter.limit(lambda: current_app.config[setting], **kwargs)


@bp.post("/signup")
@_limit("RATE_LIMIT_SIGNUP")
@endpoint(ok("signup", "The unverified account; a verification mail went out.", 201), body=SignupSchema,
          errors={409: "`username_taken` or `email_taken`.", 429: None})
def signup(body):
    """Create an unverified account and mail its verification link: 201 {"user", "email_sent"}."""
    user, email_sent = services().auth.signup(body["username"], body["email"], body["password"])
    return {"user": own_user(user), "email_sent": email_sent}, 201


def _link_refused(exc):
    """A bad verification link: a page for browsers, the error envelope otherwise."""
    if wants_html() and exc.code == "email_taken":
        return page(409, "That address is taken", "Another account uses this address now, so yours keeps its "
                    "old one.", "bad")
    if wants_html() and exc.code in ("invalid_token", "validation_error"):
        return page(400, "This link does not work", "It is unknown, has expired, or a newer link replaced it. "
                    "Ask for a new one from the sign-in screen.", "bad")
    raise exc


@bp.get("/verify")
@endpoint(VERIFIED, query=VerifyQuerySchema, html_errors=(400, 409), refused=_link_refused, errors={
    400: "`invalid_token`: empty, unknown, expired or superseded. Browsers get a page for any failure.",
    409: "`email_taken`: a new address (`POST /me/email`) that another account took meanwhile."})
def verify(query):
    """The link from a verification mail (a new account's address, or a new address of an account): an HTML page
    (or a redirect) for browsers, JSON otherwise."""
    try:
        if not query["token"]:  # `?token=`: a link that names no token is as unknown as a wrong one
            raise invalid_token()
        user = services().auth.verify_email(query["token"])
    except ApiError as exc:
        return _link_refused(exc)
    if wants_html():
        if current_app.config["CLIENT_URL"]:
            return redirect(current_app.config["CLIENT_URL"] + "/?verified=1", 303)
        return page(200, "Your email address is confirmed", f"Welcome, {user['username']}. You can sign in now.",
                    "ok")
    return {"verified": True, "user": own_user(user)}


@bp.post("/resend")
@_limit("RATE_LIMIT_RESEND_IP")
@_limit("RATE_LIMIT_RESEND_ADDRESS", key_func=body_field("email"))
@endpoint(ok("status", "The same whether or not the address has an account.", 202), body=ResendSchema,
          errors={429: None})
def resend(body):
    """Mail a new verification link; 202 whether or not the address has an account."""
    services().auth.resend(body["email"])
    return {"status": "sent_if_unverified"}, 202


@bp.post("/login")
@_limit("RATE_LIMIT_LOGIN_IP")
@_limit("RATE_LIMIT_LOGIN_ACCOUNT", key_func=body_field("login"))
@endpoint(ok("login", "The token pair of a new session."), body=LoginSchema, errors={
    401: "`invalid_credentials` (the same for an unknown login); `otp_required` with `mfa_token` and `expires_in` "
         "(seconds) and no tokens, when the account has 2FA on: send a code to `POST /login/2fa`.",
    403: "`email_not_verified` (only after a correct password).", 429: None})
def login(body):
    """Exchange credentials for an access and a refresh token in a new session."""
    user_agent = request.headers.get("User-Agent", "")[:USER_AGENT_MAX] or None
    user, session_id, refresh_jti = services().auth.login(body["login"], body["password"], user_agent,
                                                          request.remote_addr)
    return {**mint_pair(user["_id"], session_id, refresh_jti), "user": own_user(user)}


@bp.post("/refresh")
@_limit("RATE_LIMIT_REFRESH")
@bearer_required(refresh=True)
@endpoint(ok("tokens", "A new pair; the refresh token sent is used up."), auth="refresh", scope=NO_TOKENS, errors={
    401: "`unauthorized`, `token_expired` or `token_revoked` (also for a reused refresh token, which ends the "
         "session).", 429: None})
def refresh():
    """Rotate the refresh token: a new pair, the old refresh token revoked (reuse ends the session)."""
    claims = get_jwt()
    new_jti = services().auth.rotate_refresh(claims["sub"], claims["sid"], claims["jti"])
    return mint_pair(claims["sub"], claims["sid"], new_jti)


@bp.post("/logout")
@bearer_required()
@endpoint(ok("status", "The session has ended; its sockets are closed."), auth="access",
          scope=NO_TOKENS, body=LogoutSchema,
          body_required=False)
def logout(body):
    """End the session: its access and refresh tokens are revoked and its sockets closed."""
    auth = services().auth
    auth.end_session(get_jwt()["sid"], "logout")
    other = refresh_token_session(body.get("refresh_token"), get_jwt_identity())
    if other:
        auth.end_session(other, "logout")
    return {"status": "logged_out"}
