"""One user's pushes of one message, within time budgets, skipping push hosts that are cooling down.

A `PushJob` is what the push queue holds per user (chat/notify/worker.py). Running it pushes to the user's
subscriptions, those whose host timed out lately last; it stops pushing once the user's pushes took
PUSH_USER_BUDGET seconds or all pushes of the message PUSH_MESSAGE_BUDGET (a `Budget` its jobs share). Nothing
skipped is lost: a subscription not tried yet (the budget ran out, or its host is cooling down, chat/notify/hosts.py)
goes back in the queue as a job of its own, ready at once or when its host may be tried again, for at most
MAX_ROUNDS rounds; a push is claimed only just before it is sent, so a later round never pushes twice. A push
that was tried and failed is not tried again (as before: push services keep a push for an offline browser).
"""
import dataclasses
import logging
import threading
import time

from .hosts import host_of

log = logging.getLogger(__name__)

MAX_ROUNDS = 5  # a subscription put off this many times is given up (logged, counted as failed)


class Budget:
    """Seconds the pushes of one message may take in all, shared by the jobs of its users (and their workers)."""

    def __init__(self, seconds):
        self.seconds, self.spent = float(seconds), 0.0
        self._lock = threading.Lock()

    def spend(self, seconds):
        with self._lock:
            self.spent += seconds

    def exhausted(self):
        return self.spent >= self.seconds

    def fresh(self):
        """A new budget of the same size (for a later round)."""
        return Budget(self.seconds)


@dataclasses.dataclass
class PushJob:
    """Push `data` of message `message_id` to user `user_id`: to their `subscriptions` (documents, read when the
    message was planned) or, in a later round, to those of the subscription ids `sub_ids` that still exist."""
    user_id: str
    message_id: str
    data: dict
    budget: Budget
    subscriptions: tuple = ()
    sub_ids: tuple | None = None
    round_no: int = 1


def run(job, subscriptions, push_one, hosts, user_budget, clock=time.monotonic):
    """Push job to the user's subscriptions with push_one(subscription) → "pushed", "gone", "failed" or None (not
    claimed: pushed already). Returns ({"pushed", "gone", "failed"}: counts, [(PushJob, when or None)]: what
    is put off, to be queued)."""
    counts = {"pushed": 0, "gone": 0, "failed": 0}
    started = clock()
    later, cooling, reopens = [], {}, {}
    for subscription in sorted(subscriptions, key=lambda s: hosts.timeouts(host_of(s["endpoint"]))):
        host = host_of(subscription["endpoint"])
        reopens_at = hosts.reopens_at(host)
        if reopens_at is not None:
            cooling.setdefault(host, []).append(subscription["_id"])
            reopens[host] = reopens_at
        elif clock() - started >= user_budget or job.budget.exhausted():
            later.append(subscription["_id"])
        else:
            before = clock()
            outcome = push_one(subscription)
            job.budget.spend(clock() - before)
            if outcome is not None:
                counts[outcome] += 1
    put_off = ([(later, None)] if later else []) + [(ids, reopens[host]) for host, ids in cooling.items()]
    if put_off and job.round_no >= MAX_ROUNDS:
        given_up = sum(len(ids) for ids, _when in put_off)
        log.warning("push of message %s to %d subscriptions of user %s given up after %d rounds",
                    job.message_id, given_up, job.user_id, job.round_no)
        counts["failed"] += given_up
        return counts, []
    return counts, [(dataclasses.replace(job, subscriptions=(), sub_ids=tuple(ids), round_no=job.round_no + 1,
                                         budget=job.budget.fresh()), when) for ids, when in put_off]
