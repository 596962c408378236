"""Entry point: monkey-patch for ASYNC_MODE first, then load .env, start the local database when no
MONGO_URI is set, build the app and serve it.

    python wsgi.py                      # what `make run` does
    gunicorn -k gevent -w 1 wsgi:app    # one worker per process; see docs/operations.md
"""
import os

from dotenv import load_dotenv

load_dotenv()
ASYNC_MODE = os.environ.setdefault("ASYNC_MODE", "gevent")
if ASYNC_MODE == "gevent":
    import gevent
    from gevent import monkey
    monkey.patch_all()
elif ASYNC_MODE == "eventlet":
    import eventlet
    eventlet.monkey_patch()
elif ASYNC_MODE != "threading":
    raise SystemExit(f"ASYNC_MODE must be gevent, eventlet or threading, not {ASYNC_MODE!r}")

import atexit  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402

from chat import create_app  # noqa: E402  (after monkey-patching, on purpose)
from chat.config import config_for  # noqa: E402
from chat.localdb import LocalDatabase, LocalDatabaseError  # noqa: E402

_signal_watchers = []  # gevent's signal handlers, kept alive


def start_local_database():
    """With no MONGO_URI: a SecantusDB server with its data in DATA_DIR, stopped when this process exits."""
    database = LocalDatabase(config_for().DATA_DIR)
    # SecantusDB serves one connection fastest (docs/performance.md, "Connection pool size").
    if not os.environ.get("MONGO_POOL_SIZE"):
        os.environ["MONGO_POOL_SIZE"] = "1"
    try:
        os.environ["MONGO_URI"] = database.start()
    except LocalDatabaseError as exc:
        raise SystemExit(f"cannot start the local database: {exc}") from None
    atexit.register(database.stop)

    def stop_and_exit(signum, _frame=None):
        database.stop()
        os._exit(128 + signum)
    for signum in (signal.SIGTERM, signal.SIGHUP):
        if ASYNC_MODE == "gevent":
            # In a greenlet of its own: a plain signal handler runs in gevent's event loop, where waiting for
            # the database to exit raises, and the app would exit first, unlocking a data directory still in use.
            _signal_watchers.append(gevent.signal_handler(signum, stop_and_exit, signum))
        else:
            signal.signal(signum, stop_and_exit)
    print(f"local database: SecantusDB on {database.uri}, data in {database.storage} "
          f"(log {database.log_path}); set MONGO_URI to use another server", file=sys.stderr, flush=True)
    return database


local_database = None if os.environ.get("MONGO_URI") else start_local_database()
app = create_app()
socketio = app.extensions["socketio"]


def main():
    """Serve on HOST:PORT with the configured async mode (create_app has logged what it runs on)."""
    config = app.config
    app.logger.info("listening on http://%s:%s", config["HOST"], config["PORT"])
    # gevent listens with a queue of 128 by default: too short for a storm of reconnecting clients.
    extra = {"backlog": 1024} if socketio.async_mode == "gevent" else {}
    try:
        socketio.run(app, host=config["HOST"], port=config["PORT"], allow_unsafe_werkzeug=True,
                     log_output=config["LOG_LEVEL"] == "DEBUG", **extra)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
