"""Notification settings, push subscriptions, and what a new message does for members who are away.

A member is away when they have no open connection on any process (chat/sockets/presence*.py). For each new
message, `plan` (run off the request path by chat/notify/worker.py) returns a push job per member away who has a
push subscription, which `push` runs (chat/notify/pushjobs.py), except:
- the sender, and a member who blocked the sender (read from the chat itself: a group's `blocks` pairs, a
  personal chat's `blocked`);
- a member who muted the chat (`is_muted`): no push unless a group message mentions them.
What a message costs the database here is one query (the subscriptions of the members pushed to) whatever the
number of members, plus one claim per subscription pushed. It marks no digest: the digest sweep finds them from
the chats' read positions (chat/notify/sweep.py), where EmailNotifications (`off` none, `mentions` personal
messages and mentions only) and mutes apply.
Each (message, subscription) is claimed in the database just before its push, so none is pushed twice; a push
service answering 404 or 410 has its subscription deleted; a host that keeps timing out is skipped a while.
"""
import http.client
import logging
import threading

from ..chats.mute import is_muted
from ..kernel import errors
from . import endpoints, pushjobs, webpush
from .hosts import HostBackoff, host_of
from .repository import subscription_id

log = logging.getLogger(__name__)

EMAIL_CHOICES = ("all", "mentions", "off")
DEFAULT_EMAIL = "all"
MAX_SUBSCRIPTIONS = 20  # per user: a browser profile each
EXCERPT_CHARS = 140


def excerpt(content):
    """The first EXCERPT_CHARS characters of a message, on one line."""
    text = " ".join((content or "").split())
    return text if len(text) <= EXCERPT_CHARS else text[:EXCERPT_CHARS - 1] + "…"


def email_setting(state):
    return (state or {}).get("email") or DEFAULT_EMAIL


class NotifyService:
    """Settings, subscriptions, the VAPID key and the delivery of one message to members who are away."""

    def __init__(self, repo, config, online=None):
        self.repo = repo
        self.allow_local = bool(config["PUSH_ALLOW_INSECURE_LOCAL"])
        self.timeout = float(config["PUSH_TIMEOUT"])
        self.user_budget, self.message_budget = float(config["PUSH_USER_BUDGET"]), float(config["PUSH_MESSAGE_BUDGET"])
        self.hosts = HostBackoff(config["PUSH_HOST_FAILURES"], config["PUSH_HOST_COOLDOWN"])  # per process
        self.private_key_setting = config["VAPID_PRIVATE_KEY"]
        self.subject = config["VAPID_SUBJECT"] or _mailto(config["MAIL_FROM"])
        self.online = online or (lambda user_ids: {user_id: False for user_id in user_ids})
        self._vapid = None
        self._lock = threading.Lock()

    # Settings

    def settings(self, user_id):
        """{"EmailNotifications"} of the user."""
        return {"EmailNotifications": email_setting(self.repo.state_of(str(user_id)))}

    def update_settings(self, user_id, changes):
        """Apply {"EmailNotifications"?} (already validated) and return the settings after."""
        if "EmailNotifications" in changes:
            self.repo.set_email(str(user_id), changes["EmailNotifications"])
        return self.settings(user_id)

    def unsubscribe_email(self, user_id):
        """Email digests off for the user (the one-click unsubscribe); nothing else changes."""
        self.repo.set_email(str(user_id), "off")

    # Push subscriptions

    def vapid(self):
        """The server's VAPID signer: VAPID_PRIVATE_KEY, or the key kept in the database (made on first use)."""
        with self._lock:
            if self._vapid is None:
                pem = self.private_key_setting or self.repo.vapid_key(webpush.new_private_pem)
                self._vapid = webpush.load_vapid(pem)
            return self._vapid

    def public_key(self):
        """{"PublicKey"}: the application server key browsers subscribe with."""
        return {"PublicKey": webpush.public_key(self.vapid())}

    def subscribe(self, user_id, endpoint, p256dh, auth):
        """Store a browser's subscription for the user: True when new. validation_error when the endpoint breaks
        the SSRF rules (chat/notify/endpoints.py), the keys are not a P-256 key and a 16-byte secret, or the user
        has MAX_SUBSCRIPTIONS already."""
        try:
            endpoints.check(endpoint, self.allow_local)
        except endpoints.EndpointRefused as exc:
            raise errors.validation_error({"endpoint": [f"Refused: {exc}."]}) from exc
        try:
            webpush.check_keys(p256dh, auth)
        except ValueError as exc:
            raise errors.validation_error({"keys": [str(exc) + "."]}) from exc
        user_id = str(user_id)
        mine = self.repo.subscription(subscription_id(endpoint))
        if (mine is None or mine["user_id"] != user_id) and self.repo.count_subscriptions(user_id) >= MAX_SUBSCRIPTIONS:
            raise errors.validation_error({"endpoint": [f"At most {MAX_SUBSCRIPTIONS} subscriptions per user."]})
        return self.repo.save_subscription(user_id, endpoint, p256dh, auth)

    def unsubscribe(self, user_id, endpoint):
        """Delete the user's subscription of this endpoint; not_found when they have none."""
        if not self.repo.delete_subscription(str(user_id), endpoint):
            raise errors.not_found("No such subscription.")

    def forget_user(self, user_id):
        """Account deletion: the user's push subscriptions and notification settings go."""
        self.repo.forget(str(user_id))

    # Delivery

    def plan(self, chat, message):
        """({"pushed": 0, "gone": 0, "failed": 0, "digests": n}, [PushJob]) for a new message: a push job per
        member to push to (run each with `push`); `digests` counts the members away for whom the message may go
        into a digest (neither muted nor blocking the sender; the sweep applies their email setting). One query
        whatever the number of members, none when nobody is away."""
        outcome = {"pushed": 0, "gone": 0, "failed": 0, "digests": 0}
        sender = message["sender_id"]
        members = [m for m in chat.members if m != sender]
        if chat.is_self or not members:
            return outcome, []
        online = self.online(members)
        blockers = blockers_of(chat, sender)
        reached = [m for m in members if not online.get(m) and m not in blockers]
        if not reached:
            return outcome, []
        group = chat.is_group
        mentioned = set(message.get("mentions") or ())
        muted = {m for m in reached if is_muted(chat, m)}
        outcome["digests"] = len(reached) - len(muted)
        pushable = [m for m in reached if m not in muted or (group and m in mentioned)]
        data = {"Type": "message", ("GroupId" if group else "ChatId"): chat.id,
                "Sender": {"id": sender, "username": message.get("sender_name"),
                           "Bot": bool(message.get("sender_bot"))},
                "Excerpt": excerpt(message.get("content"))}
        if message.get("thread_of"):  # a thread reply, planned for the thread's followers (chat/threads/)
            data["ThreadOf"] = message["thread_of"]
        budget, theirs = pushjobs.Budget(self.message_budget), {}
        for subscription in self.repo.subscriptions_of(pushable) if pushable else ():
            theirs.setdefault(subscription["user_id"], []).append(subscription)
        return outcome, [pushjobs.PushJob(member, str(message["_id"]), data, budget, tuple(subscriptions))
                         for member, subscriptions in theirs.items()]

    def push(self, job):
        """Run a push job (chat/notify/pushjobs.py): ({"pushed", "gone", "failed"}: counts, [(PushJob, when)]: the
        pushes put off, to queue again). Blocking network calls: run it off the request path."""
        # A later round reads again those of its subscriptions that still exist and are still the user's.
        subscriptions = job.subscriptions if job.sub_ids is None else self.repo.subscriptions_by_ids(job.user_id,
                                                                                                     job.sub_ids)

        def push_one(subscription):
            if not self.repo.claim_push(job.message_id, subscription["_id"]):
                return None
            return self._push(subscription, job.data)
        return pushjobs.run(job, subscriptions, push_one, self.hosts, self.user_budget)

    def _push(self, subscription, data):
        host = host_of(subscription["endpoint"])
        try:
            status = webpush.send(self.vapid(), self.subject, subscription, data, self.timeout, self.allow_local)
        except endpoints.EndpointRefused as exc:
            log.warning("push to subscription %s refused: %s", subscription["_id"][:12], exc)
            return "failed"
        except TimeoutError as exc:
            self.hosts.timed_out(host)
            log.warning("push to subscription %s timed out: %s", subscription["_id"][:12], exc)
            return "failed"
        except (OSError, http.client.HTTPException) as exc:
            log.warning("push to subscription %s failed: %s", subscription["_id"][:12], exc)
            return "failed"
        self.hosts.answered(host)
        if status in (404, 410):
            self.repo.drop_subscription(subscription["_id"])
            return "gone"
        if status >= 400:
            log.warning("push to subscription %s: the push service answered %d", subscription["_id"][:12], status)
            return "failed"
        return "pushed"


def blockers_of(chat, sender):
    """The members who blocked the sender, as the chat document records it: a group keeps every block between two
    of its members (`blocks`: {"by", "of"}), a personal chat whom a block shuts out (`blocked`)."""
    if chat.is_group:
        return {pair.get("by") for pair in chat.blocks if pair.get("of") == sender}
    return set(chat.members) - {sender} if sender in chat.blocked else set()


def _mailto(mail_from):
    """`mailto:` the address of MAIL_FROM (`Chat <no-reply@example.com>`)."""
    from email.utils import parseaddr
    return "mailto:" + (parseaddr(mail_from)[1] or "no-reply@localhost")
