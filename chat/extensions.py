"""Extensions: JWT and the rate limiter are created unbound and initialised in the factory.

The Socket.IO server is made per app (`create_socketio`), so that two apps in one process (the
multi-instance tests) each have their own server, port and message-queue subscription.
"""
from flask_jwt_extended import JWTManager
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_socketio import SocketIO

jwt = JWTManager()
limiter = Limiter(get_remote_address)


def create_socketio(app):
    """A Socket.IO server for app with the configured async mode, message queue and browser origins."""
    config = app.config
    from .web import SameOrigin, cors_origins
    origins = cors_origins(config)  # never '*': engineio would accept every origin for a list holding it
    if origins:
        origins = sorted(set(origins) | {config["PUBLIC_URL"]})
    from .sockets.manager import make_manager
    return SocketIO(
        app,
        client_manager=make_manager(config["REDIS_URL"]),
        async_mode=config["ASYNC_MODE"],
        # SameOrigin: same origin only, ignoring X-Forwarded-* unless PROXY_HOPS trusts them (engineio's None
        # would trust them from anyone); an empty list would disable the Origin check.
        cors_allowed_origins=origins or SameOrigin(),
        max_http_buffer_size=config["SOCKET_MAX_PACKET_BYTES"],
        ping_interval=config["SOCKET_PING_INTERVAL"],
        ping_timeout=config["SOCKET_PING_TIMEOUT"],
        logger=False,
        engineio_logger=False,
        always_connect=False,
        manage_session=False,
    )
