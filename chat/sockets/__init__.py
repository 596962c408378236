"""Socket.IO namespaces: `/` (session and presence), `/self`, `/personal`, `/group`."""
from .group import GroupNamespace
from .guard import watch_slow_consumers
from .personal import PersonalNamespace
from .presence import MemoryPresence
from .ratelimit import HandshakeLimit, SocketRateLimiter
from .root import RootNamespace
from .self_chat import SelfNamespace
from .shared import SharedChecks

NAMESPACE_CLASSES = (RootNamespace, SelfNamespace, PersonalNamespace, GroupNamespace)


def make_presence(app, socketio, prefix="presence:"):
    """Connection counts per user in Redis (shared by every process, with a heartbeat) when REDIS_URL is set,
    else in memory: presence (`/` sockets), or with prefix "sockets:" every namespace's (the per-user cap)."""
    if not app.config["REDIS_URL"]:
        return MemoryPresence()
    from .presence_redis import RedisPresence
    presence = RedisPresence(app.config["REDIS_URL"], ttl=app.config["PRESENCE_TTL"], prefix=prefix)
    socketio.start_background_task(presence.run_heartbeat, socketio.sleep)
    return presence


def register_namespaces(app, socketio):
    """Attach every namespace handler to the app's Socket.IO server, with this app's presence tracker."""
    app.extensions["chat.presence"] = make_presence(app, socketio)
    app.extensions["chat.open_sockets"] = make_presence(app, socketio, prefix="sockets:")
    app.extensions["chat.socket_checks"] = SharedChecks()  # one token check per Engine.IO connection
    limits = SocketRateLimiter(app.config["RATELIMIT_STORAGE_URI"], app.config, enabled=app.config["RATELIMIT_ENABLED"])
    app.extensions["chat.socket_limits"] = limits
    # Inside ProxyFix (registered last): the handshake limit sees the client address PROXY_HOPS allows.
    app.wsgi_app = HandshakeLimit(app.wsgi_app, limits, "/" + socketio.server_options.get("path", "socket.io"))
    watch_slow_consumers(socketio, app.config["SOCKET_MAX_QUEUED"], app.config["SOCKET_SLOW_CHECK_INTERVAL"])
    app.extensions["chat.namespaces"] = {}
    for namespace_class in NAMESPACE_CLASSES:
        namespace = namespace_class()
        socketio.on_namespace(namespace)
        app.extensions["chat.namespaces"][namespace.namespace] = namespace
