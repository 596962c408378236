"""Push hosts that keep timing out are left alone for a while (a circuit breaker per host, per process).

A host (scheme, name and port of an endpoint) that timed out `failures` times in a row is skipped for `cooldown`
seconds; its pushes wait in the queue until then instead of holding a worker for PUSH_TIMEOUT each. After the
cool-down one push tries again: an answer (any HTTP status) forgets the host's record, one more timeout closes it
again. The record is kept in memory by each process, not shared: another process learns the same on its own.
"""
import threading
import time
from urllib.parse import urlsplit

MAX_HOSTS = 10000  # records kept; beyond, the oldest is forgotten (memory stays bounded whatever endpoints say)


def host_of(endpoint):
    """The host key of an endpoint URL: `scheme://name:port`, lower case."""
    parts = urlsplit(endpoint)
    try:
        port = parts.port
    except ValueError:
        port = None
    return f"{parts.scheme}://{(parts.hostname or '').lower()}:{port or ''}"


class HostBackoff:
    """Timeouts in a row per host, and until when a host is skipped."""

    def __init__(self, failures=3, cooldown=120.0, clock=time.monotonic):
        self.failures, self.cooldown, self.clock = max(1, int(failures)), float(cooldown), clock
        self._hosts = {}  # host → [timeouts in a row, skipped until (monotonic seconds) or 0]
        self._lock = threading.Lock()

    def reopens_at(self, host):
        """None when pushes to host may be tried now; else the clock time after which they may."""
        with self._lock:
            record = self._hosts.get(host)
            if record is None or record[1] <= self.clock():
                return None
            return record[1]

    def timeouts(self, host):
        """How many times in a row host timed out (0: none recorded)."""
        with self._lock:
            record = self._hosts.get(host)
            return record[0] if record else 0

    def timed_out(self, host):
        """Record a timeout of host; after `failures` in a row it is skipped for `cooldown` seconds."""
        with self._lock:
            record = self._hosts.pop(host, None) or [0, 0.0]
            record[0] += 1
            if record[0] >= self.failures:
                record[1] = self.clock() + self.cooldown
            self._hosts[host] = record  # most recently failed last: the first to go past MAX_HOSTS
            while len(self._hosts) > MAX_HOSTS:
                self._hosts.pop(next(iter(self._hosts)))

    def answered(self, host):
        """host answered: it is in good standing again."""
        with self._lock:
            self._hosts.pop(host, None)
