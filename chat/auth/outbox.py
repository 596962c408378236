"""The mail outbox: requests queue mails in the database; a background worker per process sends them.

A request never talks to the mail server. It inserts one document into `mail_outbox` (the same
insert whatever the address: `/resend` does not even look the account up), so its answer takes
the same time whether or not a mail will go out, and the mail survives a crash or an SMTP outage.

The worker (`MailWorker.run`, one per process) claims due mails with a conditional
`find_one_and_update` that leases the mail to it (`lease_owner`, and `next_attempt_at` moved past
the lease), so two processes never send the same mail; a lease that runs out (its process died)
makes the mail due again. For each mail it asks the mail's composer for the message: the
verification composer looks the account up and mints the link's token only then, so no working
link is ever stored; an address with no unverified account gives no message and the mail is
`skipped`. A mail the transport refuses is retried with a doubling delay, up to MAIL_MAX_ATTEMPTS,
then marked `failed` and logged. Finished mails are deleted MAIL_RETENTION after they finished
(checked in code, not by a TTL index).

A mail document: `kind`, `to`, `data` (what the composer needs besides the address), `state` (pending, sent,
skipped, failed), `created_at`, `attempts`, `next_attempt_at`, `lease_owner`, `last_error`, `sent_at`, `done_at`.
"""
import logging
import os
import socket
import threading
import time
import uuid
from datetime import timedelta

from pymongo import ReturnDocument
from pymongo.errors import PyMongoError

from ..kernel.clock import utcnow
from ..process.background import one_pass
from .mailer import MailError, report

log = logging.getLogger(__name__)

PENDING, SENT, SKIPPED, FAILED = "pending", "sent", "skipped", "failed"
MAX_RETRY_DELAY = 3600.0  # seconds: the doubling delay between attempts stops growing here
PURGE_EVERY = 3600.0  # seconds between two deletions of finished mails


class MailOutbox:
    """The `mail_outbox` collection: the only code that touches it."""

    def __init__(self, db):
        self.mails = db["mail_outbox"]

    def queue(self, kind, to, data=None):
        """Queue one mail, due now (one insert); data holds what its composer needs besides the address (never a
        secret: tokens are minted when the mail is composed). Returns its id."""
        now = utcnow()
        return self.mails.insert_one({
            "kind": kind, "to": to, "data": data or {}, "state": PENDING, "created_at": now, "attempts": 0,
            "next_attempt_at": now, "lease_owner": None, "last_error": None, "sent_at": None, "done_at": None,
        }).inserted_id

    def claim(self, owner, lease):
        """Lease the most overdue pending mail to owner until now + lease; None when nothing is due.

        Atomic: of two workers claiming at once, one gets the mail and the other the next one (or None).
        """
        now = utcnow()
        return self.mails.find_one_and_update(
            {"state": PENDING, "next_attempt_at": {"$lte": now}},
            {"$set": {"lease_owner": owner, "next_attempt_at": now + lease}, "$inc": {"attempts": 1}},
            sort=[("next_attempt_at", 1)], return_document=ReturnDocument.AFTER)

    def _leased(self, mail):
        # Still ours: a worker whose lease ran out (and was taken over) changes nothing.
        return {"_id": mail["_id"], "state": PENDING, "lease_owner": mail["lease_owner"],
                "attempts": mail["attempts"]}

    def finish(self, mail, state, error=None):
        """Mark a leased mail sent, skipped or failed."""
        now = utcnow()
        fields = {"state": state, "done_at": now, "lease_owner": None, "last_error": error}
        if state == SENT:
            fields["sent_at"] = now
        return self.mails.update_one(self._leased(mail), {"$set": fields}).modified_count == 1

    def retry_at(self, mail, when, error):
        """Give a leased mail back, due again at when."""
        self.mails.update_one(self._leased(mail),
                              {"$set": {"next_attempt_at": when, "lease_owner": None, "last_error": error}})

    def purge(self, finished_before):
        """Delete the mails that finished (sent, skipped or failed) before the given time. Returns how many."""
        return self.mails.delete_many({"done_at": {"$lt": finished_before}}).deleted_count


class MailWorker:
    """Sends the outbox's due mails through the mailer, with leases, retries and retention."""

    def __init__(self, outbox, mailer, composers, max_attempts=8, retry_delay=30.0, poll_interval=5.0,
                 retention=timedelta(days=7), lease=None, owner=None):
        self.outbox, self.mailer, self.composers = outbox, mailer, composers
        self.max_attempts, self.retry_delay = max(1, max_attempts), retry_delay
        self.poll_interval, self.retention = poll_interval, retention
        # Longer than any one send can take (a few SMTP round trips, each bounded by SMTP_TIMEOUT).
        self.lease = lease or timedelta(seconds=max(60.0, 6 * float(getattr(mailer, "timeout", 10)) + 30))
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.running = False
        self._wake = threading.Event()
        self._stopped = False
        self._next_purge = 0.0

    def wake(self):
        """A mail was queued: send now rather than at the next poll (no-op when the loop is not running)."""
        self._wake.set()

    def stop(self):
        self._stopped = True
        self._wake.set()

    def deliver_due(self, limit=100):
        """Send every due mail (at most limit). Returns how many mails were claimed."""
        claimed = 0
        while claimed < limit and not self._stopped:
            mail = self.outbox.claim(self.owner, self.lease)
            if mail is None:
                break
            claimed += 1
            self._deliver(mail)
        return claimed

    def _deliver(self, mail):
        composer = self.composers.get(mail["kind"])
        if composer is None:
            log.error("mail %s: unknown kind %r, marked failed", mail["_id"], mail["kind"])
            self.outbox.finish(mail, FAILED, f"unknown kind {mail['kind']!r}")
            return
        try:
            composed = composer(mail["to"], **(mail.get("data") or {}))
        except PyMongoError:
            raise  # the lease runs out and the mail is tried again once the database is back
        except Exception as exc:  # noqa: BLE001  (a bug in one composer must not stop the others)
            log.exception("mail %s (%s): could not compose it", mail["_id"], mail["kind"])
            self._failed(mail, repr(exc))
            return
        if composed is None:
            self.outbox.finish(mail, SKIPPED)
            return
        message, link = composed
        try:
            self.mailer.send(message, link=link)
        except MailError as exc:
            report(self.mailer, "failed")
            self._failed(mail, str(exc))
            return
        report(self.mailer, "sent")
        if not self.outbox.finish(mail, SENT):
            log.warning("mail %s (%s) was sent after its lease ran out", mail["_id"], mail["kind"])

    def _failed(self, mail, error):
        attempts = mail["attempts"]
        if attempts >= self.max_attempts:
            log.error("mail %s (%s) not sent after %d attempts, giving up: %s", mail["_id"], mail["kind"],
                      attempts, error)
            self.outbox.finish(mail, FAILED, error)
            return
        delay = min(self.retry_delay * 2 ** (attempts - 1), MAX_RETRY_DELAY)
        log.warning("mail %s (%s) not sent (attempt %d of %d), retrying in %g s: %s", mail["_id"], mail["kind"],
                    attempts, self.max_attempts, delay, error)
        self.outbox.retry_at(mail, utcnow() + timedelta(seconds=delay), error)

    def purge_finished(self, now_monotonic):
        """Delete finished mails older than the retention, at most once every PURGE_EVERY seconds."""
        if now_monotonic < self._next_purge:
            return
        self._next_purge = now_monotonic + PURGE_EVERY
        deleted = self.outbox.purge(utcnow() - self.retention)
        if deleted:
            log.info("mail outbox: deleted %d finished mails older than %s", deleted, self.retention)

    def _work_due(self):
        self.deliver_due()
        self.purge_finished(time.monotonic())

    def run(self):
        """The worker loop: send what is due, then wait for a wake-up or the poll interval. Runs until stop()
        (or until the database client is closed)."""
        self.running = True
        try:
            while not self._stopped:
                self._wake.clear()
                if not one_pass("mail worker", self._work_due):
                    return
                self._wake.wait(self.poll_interval)
        finally:
            self.running = False


def init_app(app, worker):
    """Run the worker in this process, or (tests) send after each response; returns the "mail queued" hook.

    MAIL_WORKER (the default) starts the worker loop as a background task of the app's async mode and wakes it
    whenever a request queues a mail. Without it this process only queues (another process sends), except in
    TESTING, where the mails queued by a request are sent once its view has returned, so that the test
    client's call returns with the mail delivered (and the database commands of its sending inside it).
    """
    socketio = app.extensions["socketio"]
    if app.config["MAIL_WORKER"]:
        socketio.start_background_task(worker.run)
        return worker.wake
    if not app.testing:
        return lambda: None

    def send_after_response():
        from flask import after_this_request, has_request_context
        if not has_request_context():
            return

        @after_this_request
        def _send(response):
            try:
                worker.deliver_due()
            except PyMongoError as exc:
                log.warning("mail not sent yet: %s", exc)
            return response
    return send_after_response
