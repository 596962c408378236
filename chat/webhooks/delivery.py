"""Delivering outgoing webhooks: the durable queue in `webhook_deliveries`, drained by a background loop of every
process, exactly once per message and hook and in order per hook.

A pass (`deliver_due`) looks for hooks with a delivery due and, for each, leases the hook (one conditional update:
of two processes one gets it) so that one delivery per hook is in flight anywhere; the lease outlasts the longest
POST (3 × WEBHOOK_TIMEOUT) with room to spare. Holding it, the worker takes the hook's oldest pending delivery
(only that one may go next: order per hook), POSTs it through the safe outbound client (chat/outbound.py: public
addresses only, re-checked at every delivery, no redirect followed), marks it delivered on a 2xx answer and goes
on with the next. Any other outcome (a refused address, no answer, another status) puts the delivery off by a
doubling delay (WEBHOOK_RETRY_BASE, at most WEBHOOK_RETRY_MAX) and ends the turn, so later messages wait behind
it. A hook failing for WEBHOOK_DISABLE_AFTER seconds without a success is disabled, its pending deliveries are
dropped, and its owner gets a mail through the outbox (chat/auth/outbox.py).

Each POST carries `X-Chat-Timestamp` (Unix seconds) and `X-Chat-Signature: sha256=<hex HMAC-SHA256 of
"timestamp.body" with the hook's secret>`, and `X-Chat-Delivery` (the delivery's id: the same on a retry).
"""
import hashlib
import hmac
import logging
import os
import socket
import time
from datetime import timedelta
from http.client import HTTPException

from .. import outbound
from ..auth.mailer import compose
from ..kernel.clock import as_utc, utcnow

log = logging.getLogger(__name__)

WEBHOOK_DISABLED = "webhook_disabled"  # the mail kind of the notice to a disabled hook's owner
BATCH = 50  # deliveries of one hook in one turn, before the other hooks get theirs
KEEP_FINISHED = timedelta(days=1)  # delivered and dropped deliveries are deleted after this (checked hourly)
PURGE_EVERY = 3600.0


def signature(secret, timestamp, body):
    """`sha256=<hex>` of the HMAC-SHA256 of "timestamp.body" (body: the exact bytes POSTed)."""
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode("ascii") + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


class DeliveryWorker:
    """One process's share of the delivery queue."""

    def __init__(self, hooks, deliveries, users, outbox, config):
        self.hooks, self.deliveries, self.users, self.outbox = hooks, deliveries, users, outbox
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self.timeout = float(config["WEBHOOK_TIMEOUT"])
        self.lease = timedelta(seconds=3 * self.timeout + 30)
        self.retry_base, self.retry_max = float(config["WEBHOOK_RETRY_BASE"]), float(config["WEBHOOK_RETRY_MAX"])
        self.disable_after = timedelta(seconds=float(config["WEBHOOK_DISABLE_AFTER"]))
        self.allow_local = bool(config["WEBHOOK_ALLOW_INSECURE_LOCAL"])
        self._next_purge = 0.0

    def deliver_due(self):
        """Deliver what is due now, hook by hook (and, hourly, delete finished deliveries older than a day);
        returns how many deliveries succeeded."""
        if time.monotonic() >= self._next_purge:
            self._next_purge = time.monotonic() + PURGE_EVERY
            self.deliveries.purge(utcnow() - KEEP_FINISHED)
        return sum(self._serve(hook_id) for hook_id in self.deliveries.due_hooks(utcnow()))

    def _serve(self, hook_id):
        now = utcnow()
        hook = self.hooks.claim(hook_id, self.owner, now, now + self.lease)
        if hook is None:  # another process delivers for it, or it is disabled
            return 0
        done = 0
        try:
            for _ in range(BATCH):
                delivery = self.deliveries.oldest(hook_id)
                if delivery is None or as_utc(delivery["next_at"]) > utcnow():
                    break  # nothing left, or the oldest waits for its retry: the later ones wait behind it
                error = self._post(hook, delivery)
                if error is not None:
                    self._failed(hook, delivery, error)
                    break
                self.deliveries.delivered(delivery, utcnow())
                self.hooks.succeeded(hook_id)
                done += 1
                now = utcnow()
                if self.hooks.claim(hook_id, self.owner, now, now + self.lease) is None:
                    break  # (the lease ran out and another process took the hook)
        finally:
            self.hooks.release(hook_id, self.owner)
        return done

    def _post(self, hook, delivery):
        """None when the receiver took the delivery (a 2xx answer), else what went wrong."""
        body = delivery["body"].encode("utf-8")
        timestamp = str(int(time.time()))
        headers = {"Content-Type": "application/json", "User-Agent": "chat-webhooks/1",
                   "X-Chat-Timestamp": timestamp, "X-Chat-Signature": signature(hook["secret"], timestamp, body),
                   "X-Chat-Delivery": delivery["_id"]}
        try:
            answer = outbound.request("POST", hook["url"], body, headers, timeout=self.timeout,
                                      allow_local=self.allow_local)
        except (outbound.Refused, OSError, HTTPException) as exc:
            return f"{type(exc).__name__}: {exc}"
        return None if 200 <= answer.status < 300 else f"HTTP {answer.status}"

    def _failed(self, hook, delivery, error):
        delay = min(self.retry_max, self.retry_base * 2 ** delivery["attempts"])
        now = utcnow()
        self.deliveries.retry_at(delivery, now + timedelta(seconds=delay), error)
        hook = self.hooks.failed(hook["_id"], now)
        log.info("webhook %s: delivery %s failed (%s); next try in %.1f s", hook["_id"], delivery["_id"], error,
                 delay)
        if hook and now - as_utc(hook["failing_since"]) >= self.disable_after:
            self._disable(hook, now)

    def _disable(self, hook, now):
        if not self.hooks.disable(hook, now):
            return
        self.deliveries.drop_pending(hook["_id"])
        log.warning("webhook %s of group %s disabled: failing since %s", hook["_id"], hook["group_id"],
                    hook["failing_since"])
        owner = self.users.by_id(hook["owner_id"])
        if owner is not None and owner.get("email"):
            self.outbox.queue(WEBHOOK_DISABLED, owner["email"], {"name": hook["name"], "url": hook["url"],
                                                                  "group_id": hook["group_id"]})


def disabled_notice(mail_from):
    """The outbox composer of the notice to a disabled hook's owner."""
    def compose_notice(address, name, url, group_id):
        return compose(mail_from, address, f"Webhook \u201c{name}\u201d was disabled", [
            "Hello,", f"The outgoing webhook \u201c{name}\u201d of one of your groups (GroupId {group_id}) posted "
            f"to {url}, which has failed every delivery for too long, so it was disabled and its pending messages "
            "dropped.", "Fix the receiver, then create the webhook again in the group's settings."]), None
    return compose_notice
