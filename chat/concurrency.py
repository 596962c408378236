"""Run CPU-bound work (password hashing) off the event loop, whatever the async mode.

Under gevent the work goes to the hub's native thread pool, under eventlet to its
tpool; under plain threads it simply runs. Nothing here knows about Flask.
"""
import os
import sys


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
