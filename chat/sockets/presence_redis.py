"""Presence shared by every process through Redis, with expiry so a crashed process cannot
leave its users online forever.

Each connection is a member of the sorted set `presence:<user id>` scored by the time it expires.
Every process refreshes its own connections' scores every HEARTBEAT seconds; a connection whose
process died drops out once its score passes (TTL seconds). "First" and "last" are decided inside
one MULTI transaction, so two processes cannot both think they saw the first connection.

Presence is not worth failing a chat for: when Redis does not answer, each call logs a warning and
answers as if nobody changed state or was online, and the chat goes on.
"""
import functools
import logging
import threading
import time

import redis

log = logging.getLogger(__name__)


def _degrade(fallback):
    """Turn a Redis failure into a logged warning and a neutral answer."""
    def decorate(method):
        @functools.wraps(method)
        def guarded(self, *args):
            try:
                return method(self, *args)
            except redis.RedisError as exc:
                log.warning("presence unavailable (%s): %s", method.__name__, exc)
                return fallback(*args)
        return guarded
    return decorate


class RedisPresence:
    """Connection counts per user across processes."""

    def __init__(self, url, ttl=60, prefix="presence:"):
        self.redis = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self.ttl = ttl
        self.prefix = prefix
        self._local = {}  # connection id → user id, for the heartbeat
        self._lock = threading.Lock()

    def _key(self, user_id):
        return f"{self.prefix}{user_id}"

    @_degrade(lambda user_id, connection_id: False)
    def connected(self, user_id, connection_id):
        """Record a connection; True when it is the user's first live one anywhere."""
        return self._add(user_id, connection_id) == 1

    @_degrade(lambda user_id, connection_id: 0)
    def add(self, user_id, connection_id):
        """Record a connection; how many live ones the user has now on every process (0: Redis did not answer)."""
        return self._add(user_id, connection_id)

    def _add(self, user_id, connection_id):
        with self._lock:
            self._local[connection_id] = user_id
        now = time.time()
        pipe = self.redis.pipeline(transaction=True)
        pipe.zremrangebyscore(self._key(user_id), "-inf", now)
        pipe.zadd(self._key(user_id), {connection_id: now + self.ttl})
        pipe.zcard(self._key(user_id))
        pipe.expire(self._key(user_id), self.ttl * 2)
        _, _, count, _ = pipe.execute()
        return count

    @_degrade(lambda user_id, connection_id: False)
    def disconnected(self, user_id, connection_id):
        """Forget a connection; True when it was the user's last live one anywhere."""
        with self._lock:
            self._local.pop(connection_id, None)
        pipe = self.redis.pipeline(transaction=True)
        pipe.zrem(self._key(user_id), connection_id)
        pipe.zremrangebyscore(self._key(user_id), "-inf", time.time())
        pipe.zcard(self._key(user_id))
        removed, _, count = pipe.execute()
        return bool(removed) and count == 0

    @_degrade(lambda user_ids: {user_id: False for user_id in user_ids})
    def online(self, user_ids):
        """{user_id: bool}: True when the user has a connection that has not expired."""
        user_ids = list(user_ids)
        if not user_ids:
            return {}
        now = time.time()
        pipe = self.redis.pipeline(transaction=False)
        for user_id in user_ids:
            pipe.zcount(self._key(user_id), now, "+inf")
        return {user_id: count > 0 for user_id, count in zip(user_ids, pipe.execute())}

    def heartbeat(self):
        """Push this process's connections' expiry forward (called every ttl/3 seconds)."""
        with self._lock:
            local = dict(self._local)
        if not local:
            return
        expires = time.time() + self.ttl
        pipe = self.redis.pipeline(transaction=False)
        for connection_id, user_id in local.items():
            # Plain ZADD (not XX): if Redis lost its data (a restart), live connections are re-added.
            pipe.zadd(self._key(user_id), {connection_id: expires})
            pipe.expire(self._key(user_id), self.ttl * 2)
        pipe.execute()

    def run_heartbeat(self, sleep):
        """Loop forever: heartbeat, then sleep(ttl / 3). Redis errors are logged and retried."""
        while True:
            sleep(self.ttl / 3)
            try:
                self.heartbeat()
            except redis.RedisError as exc:
                log.warning("presence heartbeat failed: %s", exc)
