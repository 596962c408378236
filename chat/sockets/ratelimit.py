"""Rate limits for socket events, per connection and per user, shared by every process with Redis.

Each handler names a category (message, typing, admin, fetch, other). A category has a limit per
connection and a limit per user (across tabs, devices and processes); the first one exceeded answers
`rate_limited` with `retry_after` seconds, and the event does nothing. Counters live in the same
storage as the REST limits (Redis when REDIS_URL is set). If that storage fails, events are let
through and a warning is logged: a Redis outage must not stop the chat.
"""
import logging
import time

from limits import parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from .. import errors

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

    def hit(self, category, user_id, connection_id):
        """Count the event; raise rate_limited (with the wait) when a limit is exceeded."""
        if not self.enabled or category not in self.limits:
            return
        per_connection, per_user = self.limits[category]
        try:
            for limit, who in ((per_connection, f"conn:{connection_id}"), (per_user, f"user:{user_id}")):
                if not self.strategy.hit(limit, "socket", category, who):
                    reset_at = self.strategy.get_window_stats(limit, "socket", category, who).reset_time
                    raise errors.rate_limited(max(0.0, reset_at - time.time()))
        except errors.ApiError:
            raise
        except Exception as exc:  # storage down: let the event through
            log.warning("socket rate limits unavailable: %s", exc)
