"""The database handle and every index the application relies on.

One pymongo client per process, to the server MONGO_URI names: MongoDB in production, the local
SecantusDB server that `wsgi.py` starts when no MONGO_URI is set (see chat/process/localdb.py), or the
test suite's. Nothing here knows which: it is MongoDB's wire protocol either way. Indexes are
declared in INDEXES, the only place they are spelled, and created at start-up; if the database is
down then, creation is retried on the next request until it succeeds.
"""
import logging
import threading
import time

import click
from pymongo import ASCENDING, DESCENDING, IndexModel, MongoClient
from pymongo.errors import PyMongoError
from pymongo.monitoring import CommandListener

log = logging.getLogger(__name__)

# Hot paths look documents up by `_id`: messages are keyed `<chat>:<seq>`, a personal chat by its pair of
# users, a self chat by its user. Uniqueness that matters (one message per Seq, one chat per pair) is `_id`
# uniqueness; one message per (chat, sender, ClientId) is the unique `client_key` below.
INDEXES = {
    "users": [
        IndexModel([("username_lower", ASCENDING)], name="username_unique", unique=True),
        IndexModel([("email", ASCENDING)], name="email_unique", unique=True),
        # Expiry of unverified accounts and finishing stalled deletions, in code (chat/auth/deletion.py).
        IndexModel([("verified", ASCENDING), ("created_at", ASCENDING)], name="users_unverified_by_age"),
        IndexModel([("deleting_at", ASCENDING)], name="users_being_deleted", sparse=True),
        IndexModel([("owner_id", ASCENDING)], name="users_bots_by_owner", sparse=True),  # bots only (chat/bots/)
    ],
    "sessions": [
        IndexModel([("user_id", ASCENDING)], name="sessions_by_user"),
        # Clean-up only: expiry is always checked in code as well.
        IndexModel([("expires_at", ASCENDING)], name="sessions_ttl", expireAfterSeconds=0),
    ],
    "one_time_tokens": [
        IndexModel([("user_id", ASCENDING), ("purpose", ASCENDING)], name="tokens_by_user"),
        IndexModel([("expires_at", ASCENDING)], name="tokens_ttl", expireAfterSeconds=0),
    ],
    # Two-factor sign-in (chat/auth/twofactor_repository.py): `two_factor` is read by `_id` (the user id) only;
    # an mfa_token by its hash (`_id`), a deleted account's by user.
    "mfa_challenges": [
        IndexModel([("user_id", ASCENDING)], name="mfa_challenges_by_user"),
        # Clean-up only: expiry is always checked in code as well.
        IndexModel([("expires_at", ASCENDING)], name="mfa_challenges_ttl", expireAfterSeconds=0),
    ],
    "chats": [
        # Chat lists: a user's chats of one kind, most recent activity first.
        IndexModel([("members", ASCENDING), ("kind", ASCENDING), ("updated_at", DESCENDING)],
                   name="chats_by_member"),
        # The digest sweep (chat/notify/sweep.py): the chats with a message since its last pass.
        IndexModel([("updated_at", ASCENDING)], name="chats_by_activity"),
        # The public-group directory (chat/groups/repository.py `directory`): browsing, the largest first, and
        # search by a 1-3 character piece of the name (`name_grams`, kept on public groups only). Private
        # groups have one key each here (public: false), which the directory's bounds never read.
        IndexModel([("public", ASCENDING), ("member_count", DESCENDING), ("name_lower", ASCENDING), ("_id", ASCENDING)],
                   name="groups_public_by_size"),
        IndexModel([("public", ASCENDING), ("name_grams", ASCENDING), ("member_count", DESCENDING),
                    ("name_lower", ASCENDING), ("_id", ASCENDING)], name="groups_public_by_name"),
        # The groups that keep messages for fewer days than the server (sparse: only those carry the field).
        IndexModel([("retention_days", ASCENDING)], name="chats_with_retention", sparse=True),
    ],
    "messages": [
        # `<chat>:<sender>:<ClientId>`, only on messages sent with a ClientId (sparse): a repeated
        # ClientId cannot store a second message, whatever failed in between.
        IndexModel([("client_key", ASCENDING)], name="messages_client_key", unique=True, sparse=True),
        # UnreadMentions: a member's mentions in one group's unread Seq range, read as one tight range (a
        # compound index: every message has an entry, those without `mentions` under null); and the replies whose
        # quote a delete empties (sparse: only replies carry `reply_to.id`).
        IndexModel([("mentions", ASCENDING), ("chat_id", ASCENDING), ("seq", ASCENDING)], name="messages_mentions"),
        IndexModel([("reply_to.id", ASCENDING)], name="messages_replies", sparse=True),
        # Catch-up (sync-chat, GET /chats/<id>/changes): a chat's messages changed since a Rev, in Rev order, read
        # as one range, so its cost follows what changed and not the history's length.
        IndexModel([("chat_id", ASCENDING), ("rev", ASCENDING)], name="messages_by_rev"),
        # A deleted account's messages, wherever they are, and the replies that quote them (chat/auth/deletion.py).
        IndexModel([("sender_id", ASCENDING), ("chat_id", ASCENDING)], name="messages_by_sender"),
        IndexModel([("reply_to.sender_id", ASCENDING)], name="messages_replies_by_sender", sparse=True),
        # Search (chat/search/): a gram of the query in the caller's chats, newest first. Multikey on `grams`
        # (every 2- and 3-character piece of the message's words; emptied on delete, replaced on edit).
        IndexModel([("grams", ASCENDING), ("chat_id", ASCENDING), ("created_at", DESCENDING), ("_id", DESCENDING)],
                   name="messages_search"),
        # Threads (chat/threads/): a thread's replies by ThreadSeq, a page read as one range (sparse: only
        # replies carry `thread_of`).
        IndexModel([("thread_of", ASCENDING), ("thread_seq", ASCENDING)], name="messages_thread", sparse=True),
        # Retention (chat/governance/retention.py): a chat's messages not yet expired, oldest first.
        IndexModel([("chat_id", ASCENDING), ("expired", ASCENDING), ("created_at", ASCENDING)],
                   name="messages_retention"),
    ],
    "thread_follows": [
        # A user's followed threads, most recent reply first (GET /threads): one range, never a scan of their chats;
        # and a thread's followers (each reply moves their entries up).
        IndexModel([("user_id", ASCENDING), ("on", ASCENDING), ("last_reply_at", DESCENDING)],
                   name="follows_by_user"),
        IndexModel([("root_id", ASCENDING)], name="follows_by_root"),
        # The digest sweep: the follows whose thread had a reply since its last pass (chat/notify/threads.py).
        IndexModel([("last_reply_at", ASCENDING)], name="follows_by_reply"),
    ],
    # Attachments in GridFS (chat/files/repository.py): GridFS's own chunk index, for both buckets (downloads read
    # a file's chunks in order from it); a user's files (quota, account deletion); the sweep of uploads never
    # attached (`metadata.attached` null), oldest first; expiry is checked in code, never by a TTL index.
    "files.chunks": [IndexModel([("files_id", ASCENDING), ("n", ASCENDING)], name="files_id_1_n_1", unique=True)],
    "thumbnails.chunks": [IndexModel([("files_id", ASCENDING), ("n", ASCENDING)], name="files_id_1_n_1", unique=True)],
    "files.files": [
        IndexModel([("metadata.owner", ASCENDING)], name="files_by_owner"),
        IndexModel([("metadata.attached", ASCENDING), ("uploadDate", ASCENDING)], name="files_unattached_by_age"),
    ],
    "mail_outbox": [
        # The mail worker's claim: the most overdue pending mail (chat/auth/outbox.py).
        IndexModel([("state", ASCENDING), ("next_attempt_at", ASCENDING)], name="outbox_due"),
        # Retention: finished mails are deleted by the worker, in code (no TTL index).
        IndexModel([("done_at", ASCENDING)], name="outbox_done"),
    ],
    # Notifications for people who are away (chat/notify/repository.py). A subscription is keyed by its endpoint's
    # hash, settings and digest state by the user's id, a push claim by message and subscription (`_id`s).
    "push_subscriptions": [
        IndexModel([("user_id", ASCENDING)], name="push_subscriptions_by_user"),
    ],
    "notify_state": [
        # The digest loop: users whose digest may be due (sparse: only while one is pending).
        IndexModel([("due_at", ASCENDING)], name="notify_digest_due", sparse=True),
    ],
    "push_claims": [
        # Claims older than a day are deleted in code (no TTL index).
        IndexModel([("created_at", ASCENDING)], name="push_claims_by_age"),
    ],
    # Single sign-on (chat/auth/oidc_repository.py): flows and hand-offs are keyed by the hash of their state or
    # code, their expiry checked in code (the TTL indexes only clean up); one account per provider's subject.
    # Personal access tokens (chat/tokens/): found by the hash of the value presented, listed by user.
    "access_tokens": [
        IndexModel([("hash", ASCENDING)], name="access_tokens_hash", unique=True),
        IndexModel([("user_id", ASCENDING)], name="access_tokens_by_user"),
    ],
    "oidc_flows": [IndexModel([("expires_at", ASCENDING)], name="oidc_flows_ttl", expireAfterSeconds=0)],
    "oidc_handoffs": [
        IndexModel([("expires_at", ASCENDING)], name="oidc_handoffs_ttl", expireAfterSeconds=0),
        IndexModel([("user_id", ASCENDING)], name="oidc_handoffs_by_user", sparse=True),
    ],
    # Webhooks (chat/webhooks/repository.py): a group's hooks; an incoming hook by the hash of its URL's secret;
    # the delivery queue: a hook's oldest pending delivery, and the hooks with one due.
    "webhooks": [
        IndexModel([("group_id", ASCENDING), ("created_at", ASCENDING)], name="webhooks_by_group"),
        IndexModel([("secret_hash", ASCENDING)], name="webhooks_by_secret", unique=True, sparse=True),
    ],
    "webhook_deliveries": [
        IndexModel([("hook_id", ASCENDING), ("state", ASCENDING), ("seq", ASCENDING)], name="deliveries_by_hook"),
        IndexModel([("state", ASCENDING), ("next_at", ASCENDING)], name="deliveries_due"),
        IndexModel([("state", ASCENDING), ("created_at", ASCENDING)], name="deliveries_finished_by_age"),
    ],
    # Link previews (chat/previews/repository.py), keyed by the URL's hash; expiry is checked in code, the TTL
    # index only cleans up.
    "link_previews": [IndexModel([("expires_at", ASCENDING)], name="link_previews_ttl", expireAfterSeconds=0)],
    "oidc_links": [
        IndexModel([("provider", ASCENDING), ("subject", ASCENDING)], name="oidc_links_subject", unique=True),
        IndexModel([("user_id", ASCENDING)], name="oidc_links_by_user"),
    ],
    # Moderation (chat/moderation/): a group's invite links (keyed by their code); reports, one per message.
    "invites": [IndexModel([("group_id", ASCENDING), ("created_at", DESCENDING)], name="invites_by_group")],
    "reports": [
        IndexModel([("message_id", ASCENDING)], name="reports_by_message", unique=True),
        IndexModel([("chat_id", ASCENDING), ("status", ASCENDING), ("updated_at", DESCENDING)], name="reports_by_chat"),
        IndexModel([("kind", ASCENDING), ("status", ASCENDING), ("updated_at", DESCENDING)], name="reports_by_kind"),
    ],
    # Data governance (chat/governance/): the logs read newest first per group or account; exports by user (the
    # limits; one running at a time, unique), by state (the builder's claim), by age (the sweep), by token hash (a
    # download) and their zips.
    "group_audit": [IndexModel([("group_id", ASCENDING), ("_id", DESCENDING)], name="audit_by_group")],
    "security_log": [IndexModel([("user_id", ASCENDING), ("_id", DESCENDING)], name="security_by_user")],
    "exports": [
        IndexModel([("user_id", ASCENDING), ("created_at", ASCENDING)], name="exports_by_user"),
        IndexModel([("running", ASCENDING)], name="exports_one_running", unique=True, sparse=True),
        IndexModel([("state", ASCENDING), ("created_at", ASCENDING)], name="exports_by_state"),
        IndexModel([("state", ASCENDING), ("lease_until", ASCENDING)], name="exports_by_lease"),
        IndexModel([("created_at", ASCENDING)], name="exports_by_age"),
        IndexModel([("token_hash", ASCENDING)], name="exports_by_token", sparse=True),  # mailed, unused
    ],
    "exports.files": [IndexModel([("metadata.export_id", ASCENDING)], name="exports_files_by_export")],
    "exports.chunks": [IndexModel([("files_id", ASCENDING), ("n", ASCENDING)], name="files_id_1_n_1", unique=True)],
}


def describe(uri, name):
    """Where the data lives, without credentials or options: `mongodb://host:port[,host:port], database 'chat'`."""
    scheme, _, rest = uri.partition("://")
    hosts = rest.split("/", 1)[0].split("?", 1)[0].rpartition("@")[2]
    return f"{scheme}://{hosts}, database {name!r}"


class CommandTimer(CommandListener):
    """Each database command's latency and failures, as the driver measures them, for `sink` (chat/process/metrics.py
    sets it: `db_command(name, seconds, failed)`); nothing until then."""

    sink = None

    def started(self, event):
        pass

    def succeeded(self, event):
        if self.sink is not None:
            self.sink.db_command(event.command_name, event.duration_micros / 1e6)

    def failed(self, event):
        if self.sink is not None:
            self.sink.db_command(event.command_name, event.duration_micros / 1e6, failed=True)


# Connections of the background client (push workers, the digest loop): its own pool, so that sends and
# connects never wait behind background work for a pooled connection (with MONGO_POOL_SIZE 1 on SecantusDB).
BACKGROUND_POOL_SIZE = 2


class Store:
    """The process's database clients and the application's database: `client`/`db` for requests, and
    `background_client`/`background_db` (a pool of BACKGROUND_POOL_SIZE) for the work off the request path."""

    def __init__(self, uri, name, timeout_ms, pool_size=100):
        if not uri:
            raise RuntimeError("MONGO_URI is not set: run `python wsgi.py` (or `make run`), which starts a "
                               "local database when it is not, or point MONGO_URI at MongoDB")
        # journal=True (writeConcern j:true): a write is acknowledged once it is in the server's journal, so
        # an acknowledged message survives a crash of the database server (SecantusDB, like mongod with j:false,
        # otherwise acknowledges writes it can still lose to a kill -9; tests/test_durability.py).
        self.command_timer = CommandTimer()
        options = dict(tz_aware=True, serverSelectionTimeoutMS=timeout_ms, connectTimeoutMS=timeout_ms,
                       socketTimeoutMS=max(timeout_ms * 5, 10000), retryWrites=True, journal=True,
                       event_listeners=[self.command_timer])
        self.client = MongoClient(uri, maxPoolSize=pool_size, appname="chat-backend", **options)
        self.background_client = MongoClient(uri, maxPoolSize=BACKGROUND_POOL_SIZE, appname="chat-background",
                                             **options)
        self.description = describe(uri, name)
        self.db = self.client[name]
        self.background_db = self.background_client[name]
        self.indexes_ready = False
        self._next_attempt = 0.0
        self._lock = threading.Lock()

    def ensure_indexes(self, retry_every=5.0):
        """Create every declared index (idempotent). Returns True once they all exist.

        While the database is down this tries at most once every retry_every seconds, so
        requests fail fast with 503 instead of each waiting for index creation.
        """
        if self.indexes_ready:
            return True
        with self._lock:
            if self.indexes_ready or time.monotonic() < self._next_attempt:
                return self.indexes_ready
            self._next_attempt = time.monotonic() + retry_every
            try:
                for collection, models in INDEXES.items():
                    self.db[collection].create_indexes(models)
            except PyMongoError as exc:
                log.warning("could not create indexes yet (%s); will retry", exc)
                return False
            self.indexes_ready = True
            return True

    def ping(self):
        """True when the database answers."""
        try:
            self.client.admin.command("ping")
            return True
        except PyMongoError:
            return False

    def close(self):
        self.client.close()
        self.background_client.close()


def init_app(app):
    """Open the process's store, create indexes, and register `flask init-db`."""
    config = app.config
    store = Store(config["MONGO_URI"], config["MONGO_DB"], config["MONGO_TIMEOUT_MS"], config["MONGO_POOL_SIZE"])
    app.extensions["chat.store"] = store
    app.logger.info("STORE: %s", store.description)
    store.ensure_indexes()

    @app.before_request
    def _retry_indexes():
        if not store.indexes_ready:
            store.ensure_indexes()

    @app.cli.command("init-db")
    def init_db_command():
        """Create every declared index."""
        click.echo("indexes ready" if store.ensure_indexes() else "database unreachable")


def get_store(app=None):
    from flask import current_app
    return (app or current_app).extensions["chat.store"]
