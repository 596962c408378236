"""The push queue of one process: jobs by key (a user), served in turns, one worker per key at a time.

A worker takes the next job of the key whose turn it is; the key's following jobs wait until the worker calls
`done(key)`, and meanwhile the other workers serve the other keys. So one user whose endpoints are slow holds
at most one worker, however many messages they have waiting. A job may be put off until a time (a push whose
host is cooling down, chat/notify/hosts.py): it becomes ready then, in the same turns.
"""
import heapq
import itertools
import threading
import time
from collections import deque


class FairQueue:
    """Keyed jobs in turns; `put` refuses beyond maxsize jobs unless forced (jobs derived from one accepted)."""

    def __init__(self, maxsize, clock=time.monotonic):
        self.maxsize, self.clock = max(1, maxsize), clock
        self._cond = threading.Condition()
        self._jobs = {}        # key → deque of its ready jobs (no empty deque)
        self._turns = deque()  # keys with ready jobs and no worker, in turn order
        self._busy = set()     # keys a worker holds
        self._later = []       # heap of (when, n, key, job) put off until when
        self._order = itertools.count()
        self._size = 0

    def __len__(self):
        with self._cond:
            return self._size

    def put(self, key, job, when=None, force=False):
        """Queue job under key, ready now or at clock time `when`. False (nothing queued) when full, unless force."""
        with self._cond:
            if self._size >= self.maxsize and not force:
                return False
            self._size += 1
            if when is not None and when > self.clock():
                heapq.heappush(self._later, (when, next(self._order), key, job))
            else:
                self._ready(key, job)
            self._cond.notify_all()
            return True

    def get(self, timeout=0.0):
        """(key, job): the next ready job of a key no worker holds, waiting up to timeout seconds; None when there
        is none. The caller holds the key until it calls done(key)."""
        deadline = self.clock() + timeout
        with self._cond:
            while True:
                now = self.clock()
                while self._later and self._later[0][0] <= now:
                    _when, _n, key, job = heapq.heappop(self._later)
                    self._ready(key, job)
                if self._turns:
                    key = self._turns.popleft()
                    jobs = self._jobs[key]
                    job = jobs.popleft()
                    if not jobs:
                        del self._jobs[key]
                    self._busy.add(key)
                    self._size -= 1
                    return key, job
                if now >= deadline:
                    return None
                wait = deadline - now
                if self._later:
                    wait = min(wait, self._later[0][0] - now)
                self._cond.wait(max(wait, 0.001))

    def done(self, key):
        """The worker holding key is done with its job: the key's next job may be served."""
        with self._cond:
            self._busy.discard(key)
            if key in self._jobs:
                self._turns.append(key)
                self._cond.notify_all()

    def _ready(self, key, job):
        jobs = self._jobs.get(key)
        if jobs is None:
            jobs = self._jobs[key] = deque()
            if key not in self._busy:
                self._turns.append(key)
        jobs.append(job)
