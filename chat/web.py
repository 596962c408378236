"""The web client: `GET /` (its page), `GET /static/<path>` (its files), `GET /client-config`.

The client is plain HTML, CSS and JavaScript in `web/` at the top of the repository (no build step);
its one third-party file, socket.io-client's browser build, is copied into `web/static/vendor/` by
`make web`. Until that file exists, `/` answers with a page that says how to build it. The folder can
be moved with the `WEB_CLIENT_DIR` setting (tests use it).

`chat/` has no static files of its own, so the app's static folder (Flask's `/static/<path>` route,
with its ETags and ranges) is pointed at `web/static` when this blueprint is registered.

Registering this blueprint also turns on HTTP CORS for the REST API, for the origins in
`CORS_ORIGINS` only (never `*`): the same origins Socket.IO accepts, so a client hosted elsewhere
can use both.
"""
import os
from pathlib import Path

from flask import Blueprint, current_app, render_template_string, request, send_from_directory
from flask_cors import CORS

from .http import endpoint
from .openapi import ok

bp = Blueprint("web", __name__)

DEFAULT_WEB_DIR = Path(__file__).resolve().parent.parent / "web"
VENDOR_FILE = "vendor/socket.io.min.js"

# The page and its files come from this origin only; sockets go to the same host.
# No inline script or style anywhere in the client, so none is allowed.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self' {sockets}; object-src 'none'; base-uri 'none'; form-action 'self'; "
       "frame-ancestors 'none'")

NOT_BUILT_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Chat: the web client is not built</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="static/app.css">
</head><body class="page"><main class="card">
<h1>The web client is not built yet</h1>
<p>The server and its API are running, but the browser client needs one file from npm
(<code>socket.io-client</code>) that is not in the repository. In the project folder, run</p>
<pre>make web</pre>
<p>(it needs <code>npm</code>; <code>make run</code> does it for you when npm is installed),
then reload this page.</p>
<p class="hint">Missing: <code>web/static/{{ missing }}</code></p></main></body></html>"""


def web_dir(app=None):
    """The folder holding index.html and static/ (the WEB_CLIENT_DIR setting, else web/)."""
    return Path((app or current_app).config.get("WEB_CLIENT_DIR") or DEFAULT_WEB_DIR)


def is_built(folder=None):
    """True when the vendored socket.io-client file is in place."""
    return ((folder or web_dir()) / "static" / VENDOR_FILE).is_file()


@bp.get("/")
@endpoint({200: {"description": "The web client (or how to build it).",
                 "content": {"text/html": {"schema": {"type": "string"}}}}}, db=False)
def index():
    """The single-page client, or (before `make web`) a page that says how to build it."""
    folder = web_dir()
    if not is_built(folder):
        html = render_template_string(NOT_BUILT_PAGE, missing=VENDOR_FILE)
        return html, 200, {"Content-Type": "text/html; charset=utf-8"}
    response = send_from_directory(folder, "index.html")
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/client-config")
@endpoint(ok("client_config", "What the client shows before sign-in."), db=False)
def client_config():
    """What the client shows before sign-in: {"devOutbox": folder or null}.

    `devOutbox` is the dev mail folder, given only when no SMTP server is configured (development),
    so that the "check your email" screen can say where the mail went.
    """
    config = current_app.config
    outbox = None if config["SMTP_HOST"] else os.path.abspath(config["MAIL_OUTBOX"])
    return {"devOutbox": outbox}


WEB_ENDPOINTS = {"web.index", "web.client_config", "static"}


@bp.after_app_request
def security_headers(response):
    """A strict CSP and friends on the client's page and files; its files are revalidated at each load."""
    if request.endpoint not in WEB_ENDPOINTS:
        return response
    host = request.host
    response.headers.setdefault("Content-Security-Policy", CSP.format(sockets=f"ws://{host} wss://{host}"))
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault("X-Frame-Options", "DENY")
    if request.endpoint == "static" and "Cache-Control" not in response.headers:
        # Revalidate (cheap, with the ETag) so that an update is seen at the next load.
        response.headers["Cache-Control"] = "no-cache"
    return response


def cors_origins(config):
    """The browser origins allowed to call the REST API: CORS_ORIGINS, without any wildcard."""
    return [origin for origin in config["CORS_ORIGINS"] if origin != "*"]


class SameOrigin:
    """Engine.IO's Origin check when no origin is listed: the `Origin` must be this request's own
    `<scheme>://<Host>`.

    python-engineio's own same-origin check (`cors_allowed_origins=None`) also accepts the origin named by
    `X-Forwarded-Proto`/`X-Forwarded-Host`, whoever sent them, so any page could name itself there. This
    reads `wsgi.url_scheme` and `HTTP_HOST` only: with PROXY_HOPS=0 they are the connection's own, and with
    PROXY_HOPS=N werkzeug's ProxyFix (outside the Socket.IO middleware, chat/__init__.py::register_proxy_fix)
    has set them from the headers of the N trusted proxies, as for every other use of the client's address.
    It lists no origin (`"*" in SameOrigin()` is false).
    """

    def __iter__(self):
        return iter(())

    def __call__(self, origin, environ=None):
        if not origin or not environ or "HTTP_HOST" not in environ:
            return False
        return origin == f"{environ.get('wsgi.url_scheme', 'http')}://{environ['HTTP_HOST']}"


@bp.record_once
def set_up(state):
    """Serve web/static as the app's static folder, and turn on HTTP CORS for CORS_ORIGINS."""
    app = state.app
    app.static_folder = str(web_dir(app) / "static")
    enable_cors(app)


def enable_cors(app):
    """HTTP CORS for the origins in CORS_ORIGINS; none configured means same origin only (no CORS headers)."""
    origins = cors_origins(app.config)
    if "*" in app.config["CORS_ORIGINS"]:
        app.logger.warning("CORS_ORIGINS contains '*': ignored by HTTP and Socket.IO; list the origins")
    if origins:
        CORS(app, origins=origins, supports_credentials=False, methods=["GET", "POST", "PATCH", "DELETE"],
             allow_headers=["Authorization", "Content-Type"], expose_headers=["Retry-After"], max_age=600,
             vary_header=True)
