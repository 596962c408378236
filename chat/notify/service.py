"""Notification settings, push subscriptions, and what a new message does for members who are away.

A member is away when they have no open connection on any process (chat/sockets/presence*.py). For each new
message, `deliver` (run off the request path by chat/notify/worker.py) pushes to the away members'
subscriptions and marks a digest due for them (chat/notify/digest.py), except:
- the sender, and a member who blocked the sender (their `blocks` list);
- a member who muted the chat (`is_muted`): no push unless a group message mentions them, and never a digest;
- digests follow the member's EmailNotifications: `off` none, `mentions` personal messages and mentions only.
Each (message, subscription) is claimed in the database before its push, so none is pushed twice; a push
service answering 404 or 410 has its subscription deleted.
"""
import http.client
import logging
import threading
from datetime import timedelta

from .. import errors
from ..chats.mute import is_muted
from ..clock import as_utc, utcnow
from ..kinds import GROUP, SELF
from . import endpoints, webpush
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

    def __init__(self, repo, user_repo, config, online=None):
        self.repo, self.user_repo = repo, user_repo
        self.allow_local = bool(config["PUSH_ALLOW_INSECURE_LOCAL"])
        self.timeout = float(config["PUSH_TIMEOUT"])
        self.email_delay = timedelta(seconds=config["NOTIFY_EMAIL_DELAY"])
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

    def deliver(self, chat, message):
        """Push a new message to the members who are away and mark their digests due. Returns
        {"pushed": n, "gone": n, "failed": n, "digests": n}. Blocking network calls: run it off the request path."""
        outcome = {"pushed": 0, "gone": 0, "failed": 0, "digests": 0}
        sender = message["sender_id"]
        members = [m for m in chat.get("members") or () if m != sender]
        if chat["kind"] == SELF or not members:
            return outcome
        online = self.online(members)
        away = [m for m in members if not online.get(m)]
        users = self.user_repo.by_ids(away) if away else {}
        reached = [m for m in away if m in users and sender not in (users[m].get("blocks") or ())]
        if not reached:
            return outcome
        group = chat["kind"] == GROUP
        mentioned = set(message.get("mentions") or ())
        muted = {m for m in reached if is_muted(chat, m)}
        self._mark_digests(reached, muted, mentioned, group, outcome)
        pushable = [m for m in reached if m not in muted or (group and m in mentioned)]
        if pushable:
            data = {"Type": "message", ("GroupId" if group else "ChatId"): chat["_id"],
                    "Sender": {"id": sender, "username": message.get("sender_name")},
                    "Excerpt": excerpt(message.get("content"))}
            for subscription in self.repo.subscriptions_of(pushable):
                if self.repo.claim_push(message["_id"], subscription["_id"]):
                    outcome[self._push(subscription, data)] += 1
        return outcome

    def _mark_digests(self, reached, muted, mentioned, group, outcome):
        states = self.repo.states(reached)
        due_at = utcnow() + self.email_delay
        due = {}
        for member in reached:
            state = states.get(member) or {}
            setting = email_setting(state)
            if member in muted or setting == "off" or (setting == "mentions" and group and member not in mentioned):
                continue
            if state.get("due_at") is None or as_utc(state["due_at"]) > due_at:  # else due already: no write
                due[member] = due_at
        self.repo.mark_due(due)
        outcome["digests"] = len(due)

    def _push(self, subscription, data):
        try:
            status = webpush.send(self.vapid(), self.subject, subscription, data, self.timeout, self.allow_local)
        except endpoints.EndpointRefused as exc:
            log.warning("push to subscription %s refused: %s", subscription["_id"][:12], exc)
            return "failed"
        except (OSError, http.client.HTTPException) as exc:
            log.warning("push to subscription %s failed: %s", subscription["_id"][:12], exc)
            return "failed"
        if status in (404, 410):
            self.repo.drop_subscription(subscription["_id"])
            return "gone"
        if status >= 400:
            log.warning("push to subscription %s: the push service answered %d", subscription["_id"][:12], status)
            return "failed"
        return "pushed"


def _mailto(mail_from):
    """`mailto:` the address of MAIL_FROM (`Chat <no-reply@example.com>`)."""
    from email.utils import parseaddr
    return "mailto:" + (parseaddr(mail_from)[1] or "no-reply@localhost")
