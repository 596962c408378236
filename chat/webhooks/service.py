"""The rules of webhooks: who makes and removes them, posting through an incoming one, and queueing a group's
new messages for its outgoing ones.

Only a group's admin creates, lists and deletes its webhooks. An incoming webhook's URL carries a secret of which
only the SHA-256 is kept; it posts as a bot user made for it (chat/webhooks/bots.py) and added to the group like
any member (`member_added`), through the same `MessageService.send` as every send (content rules, Seq, pushes).
Deleting it removes the bot from the group (`member_kicked`) and the URL answers 404. An outgoing webhook gets a
secret shown once (the HMAC key of its signatures) and a URL checked by the safe outbound client's rules
(chat/outbound.py) when it is made and again at every delivery; a new group message is queued for it by
`enqueue` (a database insert on the send's announcement path, never an HTTP call) and POSTed by the delivery
worker (chat/webhooks/delivery.py).
"""
import hashlib
import json
import secrets

from .. import outbound
from ..events import NOBODY
from ..governance import service as logs
from ..groups.service import by_name
from ..kernel import errors
from ..kernel.clock import iso, utcnow
from ..kernel.kinds import ChatRef
from . import bots
from .repository import INCOMING, OUTGOING, new_id


def secret_hash(secret):
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def payload(group_id, message_wire):
    """The JSON body POSTed for a new group message (compact, made once when it is queued); message_wire is the
    message as pushes show it."""
    return json.dumps({"Type": "message", "GroupId": group_id, "Message": message_wire},
                      separators=(",", ":"), ensure_ascii=False)


def hook_out(hook):
    """A webhook as `GET /groups/<id>/webhooks` lists it (never a secret)."""
    return {"WebhookId": hook["_id"], "Kind": hook["kind"], "Name": hook["name"],
            "Url": hook.get("url"), "BotId": hook.get("bot_id"), "CreatedAt": iso(hook["created_at"]),
            "Disabled": hook.get("disabled_at") is not None}


class WebhookService:
    """Create, list and delete a group's webhooks; post through an incoming one; queue outgoing deliveries."""

    def __init__(self, hooks, deliveries, groups, messages, users, config):
        self.hooks, self.deliveries, self.groups, self.messages = hooks, deliveries, groups, messages
        self.users = users
        self.public_url = config["PUBLIC_URL"]
        self.allow_local = bool(config["WEBHOOK_ALLOW_INSECURE_LOCAL"])

    def create(self, admin, group_id, name, url=None, origin=NOBODY):
        """An incoming webhook (url None) → {"WebhookId", "Url"}, or an outgoing one → {"WebhookId", "Secret"}.
        not_found for a non-member, forbidden for a member who is not the admin, validation_error (nothing made)
        for a URL the outbound rules refuse."""
        group = self.groups.admin_group(admin["id"], group_id)
        hook = {"_id": new_id(), "group_id": group.id, "name": name, "owner_id": admin["id"],
                "created_at": utcnow()}
        if url is not None:
            made = self._outgoing(hook, url)
            self._audit(group, admin, logs.WEBHOOK_CREATED, hook, OUTGOING)
            return made
        secret = secrets.token_urlsafe(32)
        bot = bots.create_webhook_bot(self.users, name, admin["id"])
        try:
            self.groups.add_member(admin["id"], group.id, str(bot["_id"]), origin)
        except errors.ApiError:
            bots.delete_webhook_bot(self.users, bot["_id"])
            raise
        self.hooks.insert({**hook, "kind": INCOMING, "secret_hash": secret_hash(secret), "bot_id": str(bot["_id"])})
        self._audit(group, admin, logs.WEBHOOK_CREATED, hook, INCOMING)
        return {"WebhookId": hook["_id"], "Url": f"{self.public_url}/hooks/{secret}"}

    def _outgoing(self, hook, url):
        try:
            outbound.check(url, self.allow_local, what="the URL")
        except outbound.Refused as exc:
            raise errors.validation_error({"Url": [str(exc)]}) from None
        secret = secrets.token_urlsafe(32)
        self.hooks.insert({**hook, "kind": OUTGOING, "url": url, "secret": secret, "failing_since": None,
                           "disabled_at": None, "lease_owner": None, "lease_until": None})
        return {"WebhookId": hook["_id"], "Secret": secret}

    def list(self, admin_id, group_id):
        """The group's webhooks (admin only), oldest first."""
        group = self.groups.admin_group(admin_id, group_id)
        return [hook_out(hook) for hook in self.hooks.of_group(group.id)]

    def delete(self, admin_id, group_id, hook_id, origin=NOBODY):
        """Remove a webhook (admin only; not_found for an unknown one): its URL answers 404 from now on, its bot
        leaves the group, its pending deliveries are forgotten."""
        group = self.groups.admin_group(admin_id, group_id)
        hook = self.hooks.get(group.id, hook_id)
        if hook is None or not self.hooks.delete(hook):
            raise errors.not_found("No such webhook.")
        if hook["kind"] == INCOMING:
            try:
                self.groups.kickout(admin_id, group.id, hook["bot_id"], origin)
            except errors.ApiError:
                pass  # the admin removed the bot already
            bots.delete_webhook_bot(self.users, hook["bot_id"])
        else:
            self.deliveries.forget(hook["_id"])
        self._audit(group, by_name(group, admin_id), logs.WEBHOOK_DELETED, hook, hook["kind"])

    def _audit(self, group, actor, action, hook, kind):
        """One line of the group's audit log (chat/governance/) about a webhook: never its secret or URL's secret."""
        self.groups.audit.record(group.id, actor, action, None,
                                 {"WebhookId": hook["_id"], "Name": hook["name"], "Kind": kind})

    def post_incoming(self, secret, content, throttle=None):
        """Post content into the group of the incoming webhook whose URL carries secret, as its bot:
        (chat, message, created) of MessageService.send. not_found for an unknown or deleted secret (and for a
        hook whose bot an admin removed); throttle(hook id), when given, may raise rate_limited first."""
        hook = self.hooks.by_secret_hash(secret_hash(secret)) if isinstance(secret, str) else None
        if hook is None:
            raise errors.not_found("No such webhook.")
        if throttle is not None:
            throttle(hook["_id"])
        bot = {"id": hook["bot_id"], "username": self._bot_name(hook), "Bot": True}
        return self.messages.send(bot, ChatRef.group(hook["group_id"]), content)

    def _bot_name(self, hook):
        user = self.users.by_id(hook["bot_id"])
        if user is None:
            raise errors.not_found("No such webhook.")
        return user["username"]

    def enqueue(self, chat, message, message_wire):
        """Queue a new group message (message_wire: as pushes show it) for the group's outgoing webhooks
        (`hooks_out` of the group document the send read: no command at all for a group without any, one insert
        otherwise)."""
        hook_ids = chat.hooks_out
        if hook_ids:
            self.deliveries.queue(hook_ids, message["seq"], payload(chat.id, message_wire))

