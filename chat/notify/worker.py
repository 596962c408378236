"""The notification work of one process, off the request path: pushes and the email digest loop.

A sent message is queued in memory (`enqueue`, called after the emits and never blocking: a full queue drops
the push and logs it) and PUSH_WORKERS background tasks handle it, so a slow or dead push service delays no send
and no ack: a worker plans it (chat/notify/service.py `plan`: a push job per member away, one query) and queues
its push jobs by user in a fair queue (chat/notify/fairqueue.py), where a worker serves one user at a time and
the users in turns, so one user's slow endpoints hold at most one worker. Each push waits at most PUSH_TIMEOUT
seconds per network step; a job stops at its time budgets and what it put off is queued again (chat/notify/
pushjobs.py). PUSH_QUEUE_MAX bounds the messages waiting; the push jobs of an accepted message always get in.
The digest loop (NOTIFY_DIGEST_POLL seconds; 0: none) sweeps the active chats for digests to mark due
(chat/notify/sweep.py), sends the due digests and, hourly, deletes push
claims older than a day. Tests with no workers call `drain()` and `digest_pass()` themselves.
"""
import functools
import logging
import threading
import time

from ..process.background import Every, one_pass
from .fairqueue import FairQueue
from .pushjobs import PushJob

log = logging.getLogger(__name__)

PURGE_EVERY = 3600.0


class NotifyWorker:
    """The push queue with its workers, and the digest loop, of one app."""

    def __init__(self, notify, digest, run_in_app=None, queue_max=10000, poll_interval=60.0):
        self.notify, self.digest = notify, digest
        self.run_in_app = run_in_app or (lambda work: work())
        self.jobs = FairQueue(queue_max)  # ("message", id) → (chat, message); user id → PushJob
        self.poll_interval = poll_interval
        self._stopped = threading.Event()
        self._next_purge = 0.0
        # The digest loop: a pass every poll_interval seconds (a database outage is logged and retried).
        self.digests = Every("email digest", self.digest_pass, poll_interval)

    def enqueue(self, chat, message):
        """Queue a new message for the members who are away (never blocks)."""
        if not self.jobs.put(("message", str(message.get("_id"))), (chat, message)):
            log.warning("push queue full: message %s not pushed", message.get("_id"))

    def drain(self):
        """Handle every ready job now, in this thread (tests): each message is planned and its push jobs run at
        once. Returns an outcome per message, {"pushed", "gone", "failed", "digests"}; what a push job put off
        stays queued (a later drain runs it once ready)."""
        outcomes = []
        while (taken := self.jobs.get()) is not None:
            key, job = taken
            try:
                if isinstance(job, PushJob):
                    self._push(job)
                    continue
                outcome, push_jobs = self._plan(*job)
                for push_job in push_jobs:
                    for name, count in self._push(push_job).items():
                        outcome[name] += count
                outcomes.append(outcome)
            finally:
                self.jobs.done(key)
        return outcomes

    def _plan(self, chat, message):
        return self.run_in_app(functools.partial(self.notify.plan, chat, message))

    def _push(self, job):
        """Run one push job; queue what it put off. Returns its counts."""
        counts, put_off = self.run_in_app(functools.partial(self.notify.push, job))
        for later, when in put_off:
            self.jobs.put(later.user_id, later, when=when, force=True)
        return counts

    def _handle(self, job):
        if isinstance(job, PushJob):
            self._push(job)
            return
        _outcome, push_jobs = self._plan(*job)
        for push_job in push_jobs:
            self.jobs.put(push_job.user_id, push_job, force=True)

    def run_pushes(self):
        """One push worker: plan queued messages and run push jobs, one user at a time, until stop()."""
        while not self._stopped.is_set():
            taken = self.jobs.get(timeout=1.0)
            if taken is None:
                continue
            key, job = taken
            try:
                alive = one_pass("push", functools.partial(self._handle, job))
            finally:
                self.jobs.done(key)
            if not alive:
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
    """Hand a new message to the app's notification worker, if it has one (chat/sockets/publisher.py calls this)."""
    worker = app.extensions.get("chat.notify")
    if worker is not None:
        worker.enqueue(chat, message)
