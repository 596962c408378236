"""The chat backend: `create_app()` builds a configured Flask app with its Socket.IO server."""
from flask import Flask

from . import db
from .error_handlers import register_error_handlers
from .extensions import create_socketio, jwt, limiter
from .kernel.config import TestingConfig, config_for
from .process.metrics_route import register_metrics
from .process.security import register_security_headers
from .services import build_services


def create_app(config=None):
    """Build the app. `config` (a dict) overrides the settings read from the environment."""
    app = Flask(__name__)
    settings = TestingConfig() if (config or {}).get("TESTING") else config_for()
    app.config.from_object(settings)
    if config:
        app.config.update(config)
    settings.__dict__.update({k: v for k, v in app.config.items() if k.isupper()})
    settings.check()
    register_logging(app)
    register_extensions(app)
    register_services(app)
    register_metrics(app)  # GET /metrics and its hooks (chat/process/metrics_route.py)
    register_security_headers(app)  # before the blueprints, so that a page's own policy is applied last
    register_blueprints(app)
    register_sockets(app)
    register_websocket_compression(app)  # around Flask-SocketIO's middleware, inside ProxyFix
    register_error_handlers(app)
    register_proxy_fix(app)
    log_summary(app)
    return app


def register_logging(app):
    """One line per event on standard error, as text or JSON lines (LOG_FORMAT): chat/process/logs.py."""
    from .process.logs import configure
    configure(app.config["LOG_LEVEL"], app.config["LOG_FORMAT"], app.config.get("LOG_DRIVER"))
    app.logger.setLevel(app.config["LOG_LEVEL"])


def register_proxy_fix(app):
    """Trust X-Forwarded-* from PROXY_HOPS reverse proxies, so per-IP limits see the client's address."""
    hops = app.config["PROXY_HOPS"]
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)


def register_websocket_compression(app):
    """Unless WS_COMPRESSION, refuse WebSocket permessage-deflate on the Socket.IO path (chat/process/wscompression.py).

    It wraps the middleware Flask-SocketIO put in app.wsgi_app, so it applies however the app is served
    (`python wsgi.py`, or gunicorn's `wsgi:app`, whose requests also go through app.wsgi_app).
    """
    if not app.config["WS_COMPRESSION"]:
        from .process.wscompression import RefuseWebSocketCompression
        app.wsgi_app = RefuseWebSocketCompression(app.wsgi_app, app.extensions["socketio"].sockio_mw.engineio_path)


def log_summary(app):
    """One line saying what this process runs on (whatever server runs it); no secrets."""
    from urllib.parse import urlsplit
    queue = app.config["REDIS_URL"]
    if queue:
        parts = urlsplit(queue)
        queue = parts._replace(netloc=parts.hostname + (f":{parts.port}" if parts.port else "")).geturl()
    app.logger.info("async mode: %s; store: %s; mail: %s; message queue: %s",
                    app.extensions["socketio"].async_mode, app.extensions["chat.store"].description,
                    app.extensions["chat.services"].mailer.description, queue or "none (single process)")


def register_extensions(app):
    db.init_app(app)
    jwt.init_app(app)
    limiter.init_app(app)
    create_socketio(app)


def register_services(app):
    """The services, announcing to the Socket.IO publisher (chat/sockets/publisher.py), and their workers."""
    from .files.urls import UrlSigner
    from .sockets.publisher import SocketPublisher
    store = db.get_store(app)
    file_urls = UrlSigner.from_config(app.config)  # one signer, for the transports and the publisher
    app.extensions["chat.services"] = build_services(
        app.config, store.db, events=SocketPublisher(app, file_urls), background_db=store.background_db,
        file_urls=file_urls)
    from .auth import outbox, sweeper
    services = app.extensions["chat.services"]
    services.auth.on_mail_queued = outbox.init_app(app, services.mail_worker)  # the mail worker, or none
    sweeper.init_app(app, services.deletion)  # the account sweep, unless ACCOUNT_SWEEP_INTERVAL is 0
    from .files import sweeper as file_sweeper
    file_sweeper.init_app(app, services.files)  # the upload sweep, unless FILE_SWEEP_INTERVAL is 0
    from .notify import worker as notify_worker
    notify_worker.init_app(app, services)  # pushes off the request path, and the digest loop
    from .process.background import start_every
    start_every(app, "webhook deliveries", services.webhook_delivery.deliver_due,  # unless WEBHOOK_POLL is 0
                app.config["WEBHOOK_POLL"])
    from .governance import worker as governance_worker
    governance_worker.init_app(app, services)  # the retention sweep and the export builder
    from .http import register_jwt_callbacks
    register_jwt_callbacks(jwt)


def register_blueprints(app):
    from .auth.account_routes import bp as account_bp
    from .auth.email_routes import bp as email_change_bp
    from .auth.routes import bp as auth_bp
    from .blocks.routes import bp as blocks_bp
    from .chats.routes import bp as chats_bp
    from .files.routes import bp as files_bp
    from .groups.routes import bp as groups_bp
    from .notify.routes import bp as notify_bp
    from .openapi import bp as openapi_bp
    from .process.health import bp as health_bp
    from .users.routes import bp as users_bp
    from .web import bp as web_bp
    for blueprint in (auth_bp, account_bp, email_change_bp, users_bp, blocks_bp, chats_bp, groups_bp, files_bp,
                      health_bp, openapi_bp, web_bp):
        app.register_blueprint(blueprint)
    app.register_blueprint(notify_bp)  # push subscriptions, /me/settings, the digests' unsubscribe, /sw.js
    from .auth.twofactor_routes import bp as twofactor_bp
    app.register_blueprint(twofactor_bp)  # /me/2fa/*, /login/2fa
    from .auth.oidc_routes import bp as oidc_bp
    app.register_blueprint(oidc_bp)  # /auth/providers, /auth/oidc/*: single sign-on
    from .search.routes import bp as search_bp
    app.register_blueprint(search_bp)  # GET /search
    from .moderation.routes import blueprints as moderation_blueprints
    for blueprint in moderation_blueprints():  # pins, invites, reports (chat/moderation/)
        app.register_blueprint(blueprint)
    from .threads.routes import bp as threads_bp
    app.register_blueprint(threads_bp)  # GET /messages/<id>/thread, GET /threads
    from .tokens.routes import bp as tokens_bp
    app.register_blueprint(tokens_bp)  # /me/tokens: personal access tokens
    from .bots.routes import bp as bots_bp
    app.register_blueprint(bots_bp)  # /bots: bot users
    from .previews.routes import bp as previews_bp
    from .webhooks.routes import bp as webhooks_bp
    app.register_blueprint(webhooks_bp)  # /groups/<id>/webhooks, POST /hooks/<secret>
    app.register_blueprint(previews_bp)  # GET /link-preview, /link-preview/image
    from .governance import routes as governance_routes
    governance_routes.register(app)  # audit and security logs, data export (chat/governance/)


def register_sockets(app):
    from .sockets import register_namespaces
    register_namespaces(app, app.extensions["socketio"])
