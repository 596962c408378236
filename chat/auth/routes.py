"""The auth blueprint: `/signup`, `/verify`, `/resend`, `/login`, `/refresh`, `/logout`."""
from flask import Blueprint, current_app, redirect, render_template_string, request
from flask_jwt_extended import get_jwt, get_jwt_identity, jwt_required

from ..errors import ApiError, invalid_token
from ..extensions import limiter
from ..fields import storable
from ..http import endpoint, json_object
from ..openapi import VERIFIED, ok
from ..services import services
from ..users.schemas import own_user
from .schemas import LoginSchema, LogoutSchema, ResendSchema, SignupSchema, VerifyQuerySchema
from .tokens import mint_pair, refresh_token_session

bp = Blueprint("auth", __name__)


def _body_field(name):
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


VERIFY_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ title }}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#222}
h1{font-size:1.4rem}.ok{color:#17693a}.bad{color:#a4262c}</style></head>
<body><h1 class="{{ css }}">{{ title }}</h1><p>{{ text }}</p>
{% if client_url %}<p><a href="{{ client_url }}">Open the chat</a></p>{% endif %}</body></html>"""


def _wants_html():
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "text/html" and request.accept_mimetypes["text/html"] > request.accept_mimetypes["application/json"]


def _verify_page(status, title, text, css):
    client_url = current_app.config["CLIENT_URL"]
    html = render_template_string(VERIFY_PAGE, title=title, text=text, css=css, client_url=client_url)
    return html, status, {"Content-Type": "text/html; charset=utf-8"}


def _link_refused(exc):
    """A bad verification link: a page for browsers, the error envelope otherwise."""
    if _wants_html() and exc.code in ("invalid_token", "validation_error"):
        return _verify_page(400, "This link does not work",
                            "It is unknown, has expired, or a newer link replaced it. "
                            "Ask for a new one from the sign-in screen.", "bad")
    raise exc


@bp.get("/verify")
@endpoint(VERIFIED, query=VerifyQuerySchema, html_errors=(400,), refused=_link_refused, errors={
    400: "`invalid_token`: empty, unknown, expired or superseded. Browsers get a page for any failure."})
def verify(query):
    """The link from the verification mail: an HTML page (or a redirect) for browsers, JSON otherwise."""
    try:
        if not query["token"]:  # `?token=`: a link that names no token is as unknown as a wrong one
            raise invalid_token()
        user = services().auth.verify_email(query["token"])
    except ApiError as exc:
        return _link_refused(exc)
    if _wants_html():
        if current_app.config["CLIENT_URL"]:
            return redirect(current_app.config["CLIENT_URL"] + "/?verified=1", 303)
        return _verify_page(200, "Your email address is confirmed",
                            f"Welcome, {user['username']}. You can sign in now.", "ok")
    return {"verified": True, "user": own_user(user)}


@bp.post("/resend")
@_limit("RATE_LIMIT_RESEND_IP")
@_limit("RATE_LIMIT_RESEND_ADDRESS", key_func=_body_field("email"))
@endpoint(ok("status", "The same whether or not the address has an account.", 202), body=ResendSchema,
          errors={429: None})
def resend(body):
    """Mail a new verification link; 202 whether or not the address has an account."""
    services().auth.resend(body["email"])
    return {"status": "sent_if_unverified"}, 202


@bp.post("/login")
@_limit("RATE_LIMIT_LOGIN_IP")
@_limit("RATE_LIMIT_LOGIN_ACCOUNT", key_func=_body_field("login"))
@endpoint(ok("login", "The token pair of a new session."), body=LoginSchema, errors={
    401: "`invalid_credentials` (the same for an unknown login).",
    403: "`email_not_verified` (only after a correct password).", 429: None})
def login(body):
    """Exchange credentials for an access and a refresh token in a new session."""
    user, session_id, refresh_jti = services().auth.login(body["login"], body["password"])
    return {**mint_pair(user["_id"], session_id, refresh_jti), "user": own_user(user)}


@bp.post("/refresh")
@_limit("RATE_LIMIT_REFRESH")
@jwt_required(refresh=True)
@endpoint(ok("tokens", "A new pair; the refresh token sent is used up."), auth="refresh", errors={
    401: "`unauthorized`, `token_expired` or `token_revoked` (also for a reused refresh token, which ends the "
         "session).", 429: None})
def refresh():
    """Rotate the refresh token: a new pair, the old refresh token revoked (reuse ends the session)."""
    claims = get_jwt()
    new_jti = services().auth.rotate_refresh(claims["sub"], claims["sid"], claims["jti"])
    return mint_pair(claims["sub"], claims["sid"], new_jti)


@bp.post("/logout")
@jwt_required()
@endpoint(ok("status", "The session has ended; its sockets are closed."), auth="access", body=LogoutSchema,
          body_required=False)
def logout(body):
    """End the session: its access and refresh tokens are revoked and its sockets closed."""
    auth = services().auth
    auth.end_session(get_jwt()["sid"], "logout")
    other = refresh_token_session(body.get("refresh_token"), get_jwt_identity())
    if other:
        auth.end_session(other, "logout")
    return {"status": "logged_out"}
