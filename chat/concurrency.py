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


def offload(function, *args):
    """Call function(*args) in a real OS thread when running on green threads, and return its result."""
    if _patched_by("gevent"):
        return _hashing_pool().apply(function, args)
    if _patched_by("eventlet"):
        from eventlet import tpool
        return tpool.execute(function, *args)
    return function(*args)
