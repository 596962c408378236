"""Rate limits for socket events, per connection and per user, shared by every process with Redis.

Each handler names a category (message, typing, admin, fetch, other). A category has a limit per
connection and a limit per user (across tabs, devices and processes); the first one exceeded answers
`rate_limited` with `retry_after` seconds, and the event does nothing. Counters live in the same
storage as the REST limits (Redis when REDIS_URL is set). If that storage fails, events are let
through and a warning is logged: a Redis outage must not stop the chat.

Before any event, two limits per client address (after PROXY_HOPS, chat/__init__.py::register_proxy_fix):
`SOCKET_HANDSHAKE_RATE_IP` counts Engine.IO sessions opened (`HandshakeLimit`, a WSGI middleware answering
`429 rate_limited` before Engine.IO sees the request), and `SOCKET_CONNECT_RATE_IP` counts namespace connects
(`AuthedNamespace.on_connect` refuses with connect_error `rate_limited`), both before any token is checked.
"""
import json
import logging
import time
from urllib.parse import parse_qs

from limits import parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from ..kernel import errors
from ..process import metrics

log = logging.getLogger(__name__)

CATEGORIES = ("message", "typing", "admin", "fetch", "other")


class SocketRateLimiter:
    """Checks and counts one event against its category's limits."""

    def __init__(self, storage_uri, config, enabled=True):
        self.enabled = enabled
        self.strategy = FixedWindowRateLimiter(storage_from_string(storage_uri))
        self.limits = {}
        for category in CATEGORIES:
            key = f"SOCKET_LIMIT_{category.upper()}"
            self.limits[category] = (parse(config[key]), parse(config[f"{key}_USER"]))
        self.per_ip = {"connect": parse(config["SOCKET_CONNECT_RATE_IP"]),
                       "handshake": parse(config["SOCKET_HANDSHAKE_RATE_IP"])}

    def hit_ip(self, what, address):
        """Count a connect or a handshake from address; raise rate_limited (with the wait) over its limit."""
        if not self.enabled:
            return
        limit = self.per_ip[what]
        try:
            if not self.strategy.hit(limit, "socket-ip", what, address or "-"):
                reset_at = self.strategy.get_window_stats(limit, "socket-ip", what, address or "-").reset_time
                raise errors.rate_limited(max(0.0, reset_at - time.time()))
        except errors.ApiError:
            raise
        except Exception as exc:  # storage down: let it through
            log.warning("socket rate limits unavailable: %s", exc)

    def hit(self, category, user_id, connection_id):
        """Count the event; raise rate_limited (with the wait) when a limit is exceeded."""
        if not self.enabled or category not in self.limits:
            return
        per_connection, per_user = self.limits[category]
        try:
            for limit, who in ((per_connection, f"conn:{connection_id}"), (per_user, f"user:{user_id}")):
                if not self.strategy.hit(limit, "socket", category, who):
                    reset_at = self.strategy.get_window_stats(limit, "socket", category, who).reset_time
                    metrics.rate_limited(category)  # chat_rate_limited_total
                    raise errors.rate_limited(max(0.0, reset_at - time.time()))
        except errors.ApiError:
            raise
        except Exception as exc:  # storage down: let the event through
            log.warning("socket rate limits unavailable: %s", exc)


class HandshakeLimit:
    """WSGI middleware: a new Engine.IO session (a request to the Socket.IO path without `sid`) counts
    against `SOCKET_HANDSHAKE_RATE_IP` for its client address; over it, `429 rate_limited` with Retry-After."""

    def __init__(self, wsgi_app, limiter, path="/socket.io"):
        self.wsgi_app, self.limiter, self.path = wsgi_app, limiter, path.rstrip("/")

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if (path == self.path or path.startswith(self.path + "/")) \
                and "sid" not in parse_qs(environ.get("QUERY_STRING", "")):
            try:
                self.limiter.hit_ip("handshake", environ.get("REMOTE_ADDR"))
            except errors.ApiError as error:
                body = json.dumps({"error": error.to_dict()}).encode()
                retry = error.headers["Retry-After"]
                start_response("429 Too Many Requests", [("Content-Type", "application/json"),
                                                         ("Content-Length", str(len(body))), ("Retry-After", retry)])
                return [body]
        return self.wsgi_app(environ, start_response)
