"""Who is online: connection counts per user, so the first tab opening and the last one closing
are the only changes anyone hears about. The same counts, kept apart, cap the sockets a user may hold
open at once (`SOCKET_MAX_PER_USER`, chat/sockets/base.py).

`MemoryPresence` serves one process. With REDIS_URL set, `RedisPresence` (chat/sockets/presence_redis.py)
keeps the counts in Redis so that every process agrees.
"""
import threading
from collections import defaultdict


class MemoryPresence:
    """Connection ids per user, in this process."""

    def __init__(self):
        self._connections = defaultdict(set)
        self._lock = threading.Lock()

    def connected(self, user_id, connection_id):
        """Record a connection; True when it is the user's first."""
        return self.add(user_id, connection_id) == 1

    def add(self, user_id, connection_id):
        """Record a connection; how many the user has now (this one included)."""
        with self._lock:
            self._connections[user_id].add(connection_id)
            return len(self._connections[user_id])

    def disconnected(self, user_id, connection_id):
        """Forget a connection; True when it was the user's last."""
        with self._lock:
            connections = self._connections.get(user_id)
            if not connections or connection_id not in connections:
                return False
            connections.discard(connection_id)
            if connections:
                return False
            del self._connections[user_id]
            return True

    def online(self, user_ids):
        """{user_id: bool} for each id."""
        with self._lock:
            return {user_id: bool(self._connections.get(user_id)) for user_id in user_ids}
