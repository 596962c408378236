"""Run CPU-bound work (password hashing, image decoding) off the event loop, whatever the async mode.

Under gevent the work goes to a pool of real OS threads, under eventlet to its tpool; under plain threads it
simply runs. A `Lane` bounds one kind of work: so many at once, so many more waiting, the rest refused (`Busy`).
Nothing here knows about Flask.
"""
import os
import sys
import threading


def _patched_by(library):
    module = sys.modules.get(library)
    if module is None:
        return False
    if library == "gevent":
        from gevent import monkey
        return monkey.is_module_patched("socket")
    from eventlet import patcher
    return patcher.is_monkey_patched("socket")


_gevent_pool = None


def _hashing_pool():
    """One small pool of real threads for CPU-bound work: at most cores - 1 of them, so a burst of logins
    leaves a core to the event loop (gevent's shared pool has 10 threads that all compete with it)."""
    global _gevent_pool
    if _gevent_pool is None:
        from gevent.threadpool import ThreadPool
        _gevent_pool = ThreadPool(max(1, (os.cpu_count() or 2) - 1))
    return _gevent_pool


def _captured(function, args):
    """Run in the pool thread: never raise there, hand the outcome back instead. (An exception escaping a
    gevent pool thread is printed with its traceback by the hub, even when the caller expects it, such as
    argon2's VerifyMismatchError for every wrong password.)"""
    try:
        return True, function(*args)
    except Exception as exc:  # noqa: BLE001  (re-raised in the caller's greenlet by offload)
        return False, exc


def offload(function, *args):
    """Call function(*args) in a real OS thread when running on green threads, and return its result.

    An exception of function is raised here, in the caller, as if it had been called directly.
    """
    if _patched_by("gevent"):
        succeeded, outcome = _hashing_pool().apply(_captured, (function, args))
        if not succeeded:
            raise outcome
        return outcome
    if _patched_by("eventlet"):
        from eventlet import tpool
        return tpool.execute(function, *args)
    return function(*args)


class Busy(Exception):
    """A Lane is full: its workers are busy and its waiting places taken."""


class Lane:
    """At most `workers` calls at once, each in a real OS thread on green threads (a pool of its own, so it never
    takes the password hashing's threads), at most `waiting` more queued behind them; a call beyond that raises
    Busy at once, so a burst costs a bounded amount of memory and time and never stalls the event loop."""

    def __init__(self, workers, waiting):
        self.workers, self.waiting = max(1, int(workers)), max(0, int(waiting))
        self._admitted = 0
        self._count_lock = threading.Lock()  # held for a few instructions only, never across a wait
        self._gate = threading.Semaphore(self.workers)  # made after monkey-patching: green under eventlet
        self._pool = None  # gevent's, made on first use (it needs the hub)

    def run(self, function, *args):
        """function(*args) once a worker is free, its result or its exception; Busy when the lane is full."""
        with self._count_lock:
            if self._admitted >= self.workers + self.waiting:
                raise Busy()
            self._admitted += 1
        try:
            if _patched_by("gevent"):  # the pool's own queue holds the waiting calls
                if self._pool is None:
                    from gevent.threadpool import ThreadPool
                    self._pool = ThreadPool(self.workers)
                succeeded, outcome = self._pool.apply(_captured, (function, args))
                if not succeeded:
                    raise outcome
                return outcome
            with self._gate:
                return offload(function, *args)
        finally:
            with self._count_lock:
                self._admitted -= 1
