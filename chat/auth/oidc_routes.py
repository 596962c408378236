"""Single sign-on with OpenID Connect: `GET /auth/providers`, `GET /auth/oidc/<name>/start`, its callback
`GET /auth/oidc/<name>/callback`, and `POST /auth/oidc/exchange` (the web client's one-time code for its tokens).

The browser that starts a sign-in gets a random secret in an HttpOnly, SameSite=Lax cookie (path /auth/oidc); the
flow is bound to its hash, so a callback URL opened in another browser (login CSRF) is refused. The callback
sends the browser back to the web client with a one-time code in the URL's fragment, which browsers never send
to a server (so it is in no access log); the client exchanges it by POST for the tokens.
"""
import secrets
from urllib.parse import quote

from flask import Blueprint, current_app, redirect, request
from marshmallow import EXCLUDE, Schema, fields, validate

from ..extensions import limiter
from ..http import endpoint
from ..kernel.errors import ApiError
from ..kernel.fields import Text
from ..openapi import json_response, ok
from ..services import services
from ..users.schemas import own_user
from .pages import wants_html
from .schemas import USERNAME
from .tokens import mint_pair

bp = Blueprint("oidc", __name__)
COOKIE = "chat_oidc"
COOKIE_PATH = "/auth/oidc"
COOKIE_MAX_AGE = 600
USER_AGENT_MAX = 256


class CallbackQuerySchema(Schema):
    """What a provider sends back; other parameters (`iss`, `session_state`, `scope`, ...) are ignored."""

    class Meta:
        unknown = EXCLUDE

    # No length rule of their own: the HTTP server's request-line limit (8 KiB) bounds them, and a provider's code
    # may be long (Microsoft's run to a few thousand characters).
    state = Text(load_default="")
    code = Text(load_default="")
    error = Text(load_default="")


class ExchangeSchema(Schema):
    code = Text(required=True, validate=validate.Length(min=1, max=512))
    username = Text(validate=USERNAME)  # a new account's username, when the suggested one is taken


ProviderDoc = type("OidcProvider", (Schema,), {"name": fields.String(required=True),
                                               "label": fields.String(required=True)})
ProvidersDoc = type("OidcProviders", (Schema,), {"providers": fields.List(fields.Nested(ProviderDoc),
                                                                          required=True)})
REDIRECT = {"Location": {"schema": {"type": "string"}}}


def _limit():
    return limiter.limit(lambda: current_app.config["RATE_LIMIT_OIDC_IP"])


def _browser_secret():
    value = request.cookies.get(COOKIE, "")
    return value if 20 <= len(value) <= 100 else ""


def client_url():
    """Where the web client is: CLIENT_URL, else this server (PUBLIC_URL)."""
    return current_app.config["CLIENT_URL"] or current_app.config["PUBLIC_URL"]


@bp.get("/auth/providers")
@endpoint({200: json_response(ProvidersDoc, "The configured providers, in order (may be empty).")}, db=False)
def providers():
    """The sign-in providers the web client shows as "Sign in with …" buttons: {"providers": [{name, label}]}."""
    return {"providers": services().oidc.providers()}


@bp.get("/auth/oidc/<name>/start")
@_limit()
@endpoint({302: {"description": "To the provider's authorization endpoint.", "headers": REDIRECT},
           303: {"description": "A browser that was refused: to the web client, with `#oidc_error=<error code>`.",
                 "headers": REDIRECT}}, errors={
    404: "`not_found`: no such provider.", 429: None,
    502: "`provider_unavailable`: its discovery document could not be fetched."})
def start(name):
    """Start a sign-in: redirect to the provider (authorization code flow with PKCE, `state` and `nonce`)."""
    browser = _browser_secret() or secrets.token_urlsafe(32)
    try:
        response = redirect(services().oidc.start(name, browser), 302)
    except ApiError as exc:
        if wants_html():  # a person who clicked "Sign in with …": back to the client, which says why
            return _to_client(f"oidc_error={quote(exc.code)}")
        raise
    response.set_cookie(COOKIE, browser, max_age=COOKIE_MAX_AGE, path=COOKIE_PATH, httponly=True, samesite="Lax",
                        secure=current_app.config["PUBLIC_URL"].startswith("https://"))
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.get("/auth/oidc/<name>/callback")
@_limit()
@endpoint({303: {"description": "To the web client, with `#oidc=<one-time code>` (or, for a browser that was "
                                "refused, `#oidc_error=<error code>`).", "headers": REDIRECT}},
          query=CallbackQuerySchema, errors={
              400: "`invalid_state` (unknown, expired, used, or another browser's) or `oidc_refused`.",
              401: "`invalid_id_token`: signature, `iss`, `aud`, `exp` or `nonce` wrong.",
              403: "`email_not_verified` (the provider did not verify the address) or `forbidden`.",
              404: "`not_found`: no such provider.",
              409: "`email_taken`: an account has this address but never confirmed it.", 429: None,
              502: "`provider_unavailable`."})
def callback(name, query):
    """The provider's redirect back: check it all, then send the browser to the web client with a one-time code
    (never the tokens) in the fragment. Refusals create nothing: JSON, or a redirect with the code for browsers."""
    try:
        code = services().oidc.callback(name, query["state"], query["code"], query["error"], _browser_secret())
    except ApiError as exc:
        if wants_html():
            return _to_client(f"oidc_error={quote(exc.code)}")
        raise
    return _to_client(f"oidc={code}")


def _to_client(fragment):
    response = redirect(f"{client_url()}/#{fragment}", 303)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.post("/auth/oidc/exchange")
@_limit()
@endpoint(ok("login", "The token pair of a new session."), body=ExchangeSchema, errors={
    400: "`invalid_token`: the code is unknown, used or expired.",
    409: "`username_taken`: a new account's username is taken (send another `username`; the code stays usable), "
         "or `email_taken`.", 429: None})
def exchange(body):
    """Exchange the one-time code of a finished sign-in for the tokens of a new session (and create a new
    account, with `username` when the suggested one is taken)."""
    user_agent = request.headers.get("User-Agent", "")[:USER_AGENT_MAX] or None
    user, session_id, refresh_jti = services().oidc.exchange(body["code"], body.get("username"), user_agent,
                                                             request.remote_addr)
    return {**mint_pair(user["_id"], session_id, refresh_jti), "user": own_user(user)}
