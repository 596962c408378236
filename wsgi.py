"""Entry point: monkey-patch for ASYNC_MODE first, then load .env, build the app and serve it.

    python wsgi.py                      # what `make run` does
    gunicorn -k gevent -w 1 wsgi:app    # one worker per process; see docs/operations.md
"""
import os

from dotenv import load_dotenv

load_dotenv()
ASYNC_MODE = os.environ.setdefault("ASYNC_MODE", "gevent")
if ASYNC_MODE == "gevent":
    from gevent import monkey
    monkey.patch_all()
elif ASYNC_MODE == "eventlet":
    import eventlet
    eventlet.monkey_patch()
elif ASYNC_MODE != "threading":
    raise SystemExit(f"ASYNC_MODE must be gevent, eventlet or threading, not {ASYNC_MODE!r}")

from chat import create_app  # noqa: E402  (after monkey-patching, on purpose)

app = create_app()
socketio = app.extensions["socketio"]


def main():
    """Serve on HOST:PORT with the configured async mode (create_app has logged what it runs on)."""
    config = app.config
    app.logger.info("listening on http://%s:%s", config["HOST"], config["PORT"])
    # gevent listens with a queue of 128 by default: too short for a storm of reconnecting clients.
    extra = {"backlog": 1024} if socketio.async_mode == "gevent" else {}
    socketio.run(app, host=config["HOST"], port=config["PORT"], allow_unsafe_werkzeug=True,
                 log_output=config["LOG_LEVEL"] == "DEBUG", **extra)


if __name__ == "__main__":
    main()
