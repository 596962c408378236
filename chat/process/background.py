"""The background loops of a process (the mail worker, the account, upload and digest sweeps): what one pass of
their work does with a failure, and a loop that runs a piece of work every so many seconds."""
import logging
import threading
import time

from pymongo.errors import InvalidOperation, PyMongoError

log = logging.getLogger(__name__)


def one_pass(name, work):
    """Run work once, so that the loop outlives any failure: a database outage is logged as a warning (the next
    pass retries), anything else with its traceback. Returns False when the app's database client was closed
    (the app is gone and the loop should end), True otherwise."""
    try:
        work()
    except InvalidOperation:
        return False
    except PyMongoError as exc:
        log.warning("%s: database unavailable (%s); will retry", name, exc)
    except Exception:  # noqa: BLE001  (a bug in one pass must not stop the loop)
        log.exception("%s: unexpected error", name)
    return True


class Every:
    """Runs work every `interval` seconds (from the start of one pass to the next) until stopped; a pass that fails
    is logged and the next one runs (see one_pass). Start `run` as a background task of the app's async mode."""

    def __init__(self, name, work, interval):
        self.name, self.work, self.interval = name, work, interval
        self._stopped = threading.Event()

    def stop(self):
        self._stopped.set()

    def run(self):
        while not self._stopped.is_set():
            started = time.monotonic()
            if not one_pass(self.name, self.work):
                return
            self._stopped.wait(max(0.0, self.interval - (time.monotonic() - started)))


def start_every(app, name, work, interval):
    """Run work every interval seconds in a background task of the app (the loop, an `Every`), in an app context;
    None, and nothing started, when interval is 0 (tests run the work themselves when they mean to)."""
    if interval <= 0:
        return None

    def in_app():
        with app.app_context():
            work()
    loop = Every(name, in_app, interval)
    app.extensions["socketio"].start_background_task(loop.run)
    return loop
