"""The process log: one line per event, as text or as JSON lines (LOG_FORMAT), and no traceback for what is
expected.

- `text`: `2026-11-22 07:33:29,006 WARNING chat: message`; an unexpected error adds its traceback below.
- `json`: one JSON object per line, `{"time", "level", "logger", "message"}`, plus `"exception"` (the
  traceback as one string) only for an unexpected error.

The database driver's loggers (`pymongo`, `pymongo.command` and the rest: pymongo 4.9 and later log every
command with its documents at DEBUG, so addresses, password hashes, message text and the VAPID private key) stay at
LOG_DRIVER (WARNING unless set), whatever LOG_LEVEL: LOG_LEVEL=DEBUG debugs the app, not the wire to the database.
Socket.IO's and Engine.IO's loggers (which print every packet, payloads and tokens included) are off in
chat/extensions.py (`logger=False`: ERROR only), also whatever LOG_LEVEL.

Under gevent two things write to standard error behind logging's back, and are routed through it here:
the hub, which prints the traceback of any exception that ends a greenlet or a pool thread (a client that
resets its connection is not an error of the server: ConnectionResetError and BrokenPipeError are declared
`NOT_ERROR`, so they print nothing), and gevent.pywsgi's error log (a client that sends garbage), which
`wsgi.py` points at `WsgiErrorLog`.
"""
import json
import logging
import re
import sys
import time

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
FORMATS = ("text", "json")
DRIVER_LOGGERS = ("pymongo",)  # its children (pymongo.command, .connection, .serverSelection, .topology) inherit
DRIVER_LEVEL = "WARNING"

# A link's token in a request line (`/verify?token=…`, `/reset-password?token=…`, `/unsubscribe?token=…`).
TOKEN_IN_QUERY = re.compile(r"((?:^|[?&;])[\w-]*token=)[^&;\s\"]+", re.I)

# Connection ends a client caused: expected, never printed by gevent's hub.
CLIENT_DISCONNECTS = (ConnectionResetError, BrokenPipeError, ConnectionAbortedError)


class JsonFormatter(logging.Formatter):
    """A record as one JSON object on one line."""

    def format(self, record):
        entry = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def redact_tokens(line):
    """line with the value of every `...token=` query parameter replaced by `[redacted]`: the access log
    (LOG_LEVEL=DEBUG) must not hand out the links of mails (a reset link still unused is a password)."""
    return TOKEN_IN_QUERY.sub(r"\1[redacted]", line)


def formatter_for(log_format):

    if log_format not in FORMATS:
        raise RuntimeError(f"LOG_FORMAT must be one of {', '.join(FORMATS)}, not {log_format!r}")
    return JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)


def configure(level, log_format="text", driver_level=None):
    """Log to standard error at level, in log_format, unless something else (a test runner) already set up the
    root logger, and the database driver at driver_level (None or "": WARNING) whatever level. Calling it again
    (another app in the same process) only updates levels and format."""
    formatter = formatter_for(log_format)
    root = logging.getLogger()
    ours = [handler for handler in root.handlers if getattr(handler, "chat_handler", False)]
    if ours or not root.handlers:
        handler = ours[0] if ours else logging.StreamHandler(sys.stderr)
        handler.chat_handler = True
        handler.setFormatter(formatter)
        if not ours:
            root.addHandler(handler)
        root.setLevel(level)
    if log_format == "json":
        logging.captureWarnings(True)  # a warning is a record too, not lines of its own on standard error
    for name in DRIVER_LOGGERS:  # the command log carries documents: secrets, never at the app's DEBUG
        logging.getLogger(name).setLevel(driver_level or DRIVER_LEVEL)
    quiet_gevent()



def quiet_gevent():
    """When gevent runs this process: a client's disconnect is not an error of the hub, and the hub's
    unexpected errors go through logging (one record, with the traceback) instead of raw to stderr."""
    if "gevent" not in sys.modules:
        return
    from gevent.hub import Hub
    if getattr(Hub, "_chat_logging", False):
        return
    Hub.NOT_ERROR = tuple(Hub.NOT_ERROR) + CLIENT_DISCONNECTS
    Hub.print_exception = _log_hub_exception
    Hub._chat_logging = True


def _log_hub_exception(hub, context, exc_type, value, tb):
    """Hub.print_exception, through logging."""
    if exc_type is None:  # gevent reports an error without an exception this way
        logging.getLogger("gevent.hub").error("%s failed", _describe(context))
        return
    logging.getLogger("gevent.hub").error("%s failed with %s", _describe(context), exc_type.__name__,
                                          exc_info=(exc_type, value, tb))


def _describe(context):
    try:
        text = repr(context)
    except Exception:  # noqa: BLE001  (a broken repr must not hide the error itself)
        text = object.__repr__(context)
    return text if len(text) <= 300 else text[:300] + "…"


class WsgiErrorLog:
    """gevent.pywsgi's `error_log`: its complaints about clients (a malformed request, a connection that
    closed mid-request) as one INFO record each of the `gevent.pywsgi` logger."""

    def __init__(self, logger=None):
        self.logger = logger or logging.getLogger("gevent.pywsgi")

    def write(self, message):
        message = message.rstrip("\n")
        if message:
            self.logger.info("%s", message)

    def writelines(self, lines):
        for line in lines:
            self.write(line)

    def flush(self):
        pass
