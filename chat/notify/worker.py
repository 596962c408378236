"""The notification work of one process, off the request path: pushes and the email digest loop.

A sent message is queued in memory (`enqueue`, called after the emits and never blocking: a full queue drops
the push and logs it) and PUSH_WORKERS background tasks deliver it (chat/notify/service.py `deliver`), so a
slow or dead push service delays no send and no ack; each push waits at most PUSH_TIMEOUT seconds per network
step. The digest loop (NOTIFY_DIGEST_POLL seconds; 0: none) sends the due digests and, hourly, deletes push
claims older than a day. Tests with no workers call `drain()` and `digest_pass()` themselves.
"""
import functools
import logging
import queue
import threading
import time

from ..background import Every, one_pass

log = logging.getLogger(__name__)

PURGE_EVERY = 3600.0


class NotifyWorker:
    """The push queue with its workers, and the digest loop, of one app."""

    def __init__(self, notify, digest, run_in_app=None, queue_max=10000, poll_interval=60.0):
        self.notify, self.digest = notify, digest
        self.run_in_app = run_in_app or (lambda work: work())
        self.jobs = queue.Queue(maxsize=max(1, queue_max))
        self.poll_interval = poll_interval
        self._stopped = threading.Event()
        self._next_purge = 0.0
        # The digest loop: a pass every poll_interval seconds (a database outage is logged and retried).
        self.digests = Every("email digest", self.digest_pass, poll_interval)

    def enqueue(self, chat, message):
        """Queue a new message for the members who are away (never blocks)."""
        try:
            self.jobs.put_nowait((chat, message))
        except queue.Full:
            log.warning("push queue full: message %s not pushed", message.get("_id"))

    def drain(self):
        """Deliver every queued message now, in this thread (tests). Returns the outcomes."""
        outcomes = []
        while True:
            try:
                chat, message = self.jobs.get_nowait()
            except queue.Empty:
                return outcomes
            outcomes.append(self._deliver(chat, message))

    def _deliver(self, chat, message):
        return self.run_in_app(functools.partial(self.notify.deliver, chat, message))

    def run_pushes(self):
        """One push worker: deliver queued messages until stop()."""
        while not self._stopped.is_set():
            try:
                chat, message = self.jobs.get(timeout=1.0)
            except queue.Empty:
                continue
            if not one_pass("push", functools.partial(self._deliver, chat, message)):
                return

    def digest_pass(self):
        """Send the due digests; hourly, delete old push claims. Returns how many digests this process sent."""
        sent = self.run_in_app(self.digest.send_due)
        if time.monotonic() >= self._next_purge:
            self._next_purge = time.monotonic() + PURGE_EVERY
            self.notify.repo.purge_claims()
        return sent

    def stop(self):
        self._stopped.set()
        self.digests.stop()


def init_app(app, services):
    """Start PUSH_WORKERS push workers and the digest loop (unless NOTIFY_DIGEST_POLL is 0) as background tasks
    of the app's async mode; returns the NotifyWorker (in app.extensions["chat.notify"])."""
    def in_app(work):
        with app.app_context():
            return work()
    def online(user_ids):  # presence is registered with the sockets, after the services
        return app.extensions["chat.presence"].online(list(user_ids))
    services.notify.online = services.digest.online = online
    worker = NotifyWorker(services.notify, services.digest, run_in_app=in_app,
                          queue_max=app.config["PUSH_QUEUE_MAX"], poll_interval=app.config["NOTIFY_DIGEST_POLL"])
    app.extensions["chat.notify"] = worker
    socketio = app.extensions["socketio"]
    for _ in range(max(0, app.config["PUSH_WORKERS"])):
        socketio.start_background_task(worker.run_pushes)
    if app.config["NOTIFY_DIGEST_POLL"] > 0:
        socketio.start_background_task(worker.digests.run)
    return worker


def enqueue(app, chat, message):
    """Hand a new message to the app's notification worker, if it has one (chat/push.py calls this)."""
    worker = app.extensions.get("chat.notify")
    if worker is not None:
        worker.enqueue(chat, message)
