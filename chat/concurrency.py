"""Run CPU-bound work (password hashing) off the event loop, whatever the async mode.

Under gevent the work goes to the hub's native thread pool, under eventlet to its
tpool; under plain threads it simply runs. Nothing here knows about Flask.
"""
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


def offload(function, *args):
    """Call function(*args) in a real OS thread when running on green threads, and return its result."""
    if _patched_by("gevent"):
        import gevent
        return gevent.get_hub().threadpool.apply(function, args)
    if _patched_by("eventlet"):
        from eventlet import tpool
        return tpool.execute(function, *args)
    return function(*args)


def spawn(function, *args):
    """Start function(*args) in the background (a greenlet or a daemon thread)."""
    if _patched_by("gevent"):
        import gevent
        return gevent.spawn(function, *args)
    if _patched_by("eventlet"):
        import eventlet
        return eventlet.spawn(function, *args)
    import threading
    thread = threading.Thread(target=function, args=args, daemon=True)
    thread.start()
    return thread
