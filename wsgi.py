"""Entry point: monkey-patch for ASYNC_MODE first, then load .env, start the local database when no
MONGO_URI is set, build the app and serve it.

    python wsgi.py                                  # what `make run` does
    gunicorn -c deploy/gunicorn.conf.py wsgi:app    # production: one gevent worker per process, drained on
                                                    # SIGTERM; see docs/operations.md
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
from chat.kernel.config import config_for  # noqa: E402
from chat.process.drain import gate as gate_while_draining  # noqa: E402
from chat.process.gctune import tune as tune_gc  # noqa: E402
from chat.process.localdb import DataDirectoryInUse, LocalDatabase, LocalDatabaseError  # noqa: E402
from chat.process.logs import WsgiErrorLog, redact_tokens  # noqa: E402

_signal_watchers = []  # gevent's signal handlers, kept alive


def start_local_database():
    """With no MONGO_URI: a SecantusDB server with its data in DATA_DIR, stopped when this process exits."""
    database = LocalDatabase(config_for().DATA_DIR)
    # SecantusDB serves one connection fastest (docs/performance.md, "Connection pool size").
    if not os.environ.get("MONGO_POOL_SIZE"):
        os.environ["MONGO_POOL_SIZE"] = "1"
    try:
        os.environ["MONGO_URI"] = database.start()
    except DataDirectoryInUse as exc:
        if not (exc.uri and serves_nothing()):
            raise SystemExit(f"cannot start the local database: {exc}") from None
        os.environ["MONGO_URI"] = exc.uri
        print(f"local database: the running server's, on {exc.uri} (data in {database.storage})",
              file=sys.stderr, flush=True)
        return None
    except LocalDatabaseError as exc:
        raise SystemExit(f"cannot start the local database: {exc}") from None
    atexit.register(database.stop)

    def stop_and_exit(signum, _frame=None):
        database.stop()
        os._exit(128 + signum)
    for signum in (signal.SIGTERM, signal.SIGHUP):
        # Under gevent and eventlet, in a green thread of its own: a plain signal handler runs in the event
        # loop, where waiting for the database to exit raises, and the app would exit first, unlocking a data
        # directory still in use.
        if ASYNC_MODE == "gevent":
            _signal_watchers.append(gevent.signal_handler(signum, stop_and_exit, signum))
        elif ASYNC_MODE == "eventlet":
            signal.signal(signum, lambda number, _frame: eventlet.spawn(stop_and_exit, number))
        else:
            signal.signal(signum, stop_and_exit)
    print(f"local database: SecantusDB on {database.uri}, data in {database.storage} "
          f"(log {database.log_path}); set MONGO_URI to use another server", file=sys.stderr, flush=True)
    return database


def serves_nothing():
    """True in a `flask` command other than `run` (`flask --app wsgi init-db`, `shell`, `routes`): it may use the
    local database of the server already running on DATA_DIR. A process that serves (`python wsgi.py`, gunicorn,
    `flask run`) never does: that database stops with its owner, so a second server on it is refused."""
    program = sys.argv[0].replace(os.sep, "/")
    is_flask = program.rsplit("/", 1)[-1] == "flask" or program.endswith("/flask/__main__.py")
    return is_flask and "run" not in sys.argv[1:]


def interrupt_main_greenlet_only():
    """Under gevent, Ctrl-C (SIGINT) raises KeyboardInterrupt in the main greenlet, which stops serving.

    Python's own SIGINT handler raises it in whichever greenlet runs Python code at that moment: when that was a
    background loop (a push worker waking from its wait), gevent printed that greenlet's traceback before it
    passed the interrupt on. A gevent signal watcher runs outside every greenlet and hands the interrupt to the
    main one, as gevent does with any system error, without the traceback.
    """
    def interrupt():
        gevent.get_hub().handle_system_error(KeyboardInterrupt, KeyboardInterrupt())
    _signal_watchers.append(gevent.signal_handler(signal.SIGINT, interrupt))


if ASYNC_MODE == "gevent":
    interrupt_main_greenlet_only()
local_database = None if os.environ.get("MONGO_URI") else start_local_database()
app = create_app()
# New requests answer 503 once a stop has begun (chat/process/drain.py, deploy/gunicorn.conf.py).
gate_while_draining(app)
socketio = app.extensions["socketio"]
_gc_thresholds, _gc_frozen = tune_gc(app.config)  # GC_THRESHOLDS and GC_FREEZE (chat/process/gctune.py), once built
app.logger.info("garbage collection: thresholds %s, %d objects frozen", _gc_thresholds, _gc_frozen)


def gevent_handler(header_timeout):
    """The gevent.pywsgi handler `python wsgi.py` serves with: TCP_NODELAY on every connection, and, when
    header_timeout > 0, `header_timeout` seconds for each request to send its request line and headers.

    Nagle's algorithm: pywsgi writes a response's headers and its body as two small segments, and with Nagle on
    the body waits until the client ACKs the headers, which a Linux client delays by up to 40 ms: every REST
    call on a kept-alive connection (browsers, bots, nginx's upstream keep-alive) took ~45 ms instead of ~3
    (docs/performance.md, "Kept-alive REST"). Chat traffic is small writes that should leave at once.

    The header timeout: pywsgi waits for a request's headers for ever, so a client sending a request a byte at
    a time (slowloris), or never finishing it, holds a connection and a greenlet for good. The timer starts
    when the handler starts reading a request line (a new connection, or a keep-alive one between requests)
    and stops once the headers are in, so bodies, long-polls and WebSockets are not limited by it. A client
    still sending its headers is answered 408 and closed; one that has sent nothing is closed.
    """
    import socket

    from gevent import Timeout
    from gevent.pywsgi import WSGIHandler

    class HeaderTimeout(TimeoutError):
        """Raised in the handler's greenlet when the request line and headers took too long."""

    class Handler(WSGIHandler):
        _timer = None

        def __init__(self, sock, address, server, rfile=None):
            if sock.family in (socket.AF_INET, socket.AF_INET6):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            super().__init__(sock, address, server, rfile)

        def read_requestline(self):
            if header_timeout > 0:
                self._timer = Timeout.start_new(header_timeout,
                                                HeaderTimeout(f"no request headers within {header_timeout} s"))
            return super().read_requestline()

        def read_request(self, raw_requestline):
            try:
                return super().read_request(raw_requestline)
            finally:
                self._stop_timer()

        def handle_one_request(self):
            try:
                return super().handle_one_request()  # a timeout in read_requestline ends it (a socket error)
            finally:
                self._stop_timer()

        def _handle_client_error(self, ex):
            if isinstance(ex, HeaderTimeout):
                self.close_connection = True
                return ("408", b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
            return super()._handle_client_error(ex)

        def _stop_timer(self):
            if self._timer is not None:
                self._timer.close()
                self._timer = None

        def format_request(self):
            return redact_tokens(super().format_request())  # the access log shows no link's token

    return Handler


def main():
    """Serve on HOST:PORT with the configured async mode (create_app has logged what it runs on)."""
    config = app.config
    app.logger.info("listening on http://%s:%s", config["HOST"], config["PORT"])
    app.logger.info("links in mails open %s (PUBLIC_URL)", config["PUBLIC_URL"])
    # gevent listens with a queue of 128 by default: too short for a storm of reconnecting clients.
    # Its error log (clients that send garbage and the like) goes through logging, a line each (chat/process/logs.py).
    extra = {}
    if socketio.async_mode == "gevent":
        extra = {"backlog": 1024, "error_log": WsgiErrorLog(),
                 "handler_class": gevent_handler(config["HTTP_HEADER_TIMEOUT"])}
    try:
        socketio.run(app, host=config["HOST"], port=config["PORT"], allow_unsafe_werkzeug=True,
                     log_output=config["LOG_LEVEL"] == "DEBUG", **extra)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
