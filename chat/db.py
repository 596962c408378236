"""The database handle and every index the application relies on.

One client per process: MongoDB through pymongo when MONGO_URI is set, otherwise an
in-process mongomock store (data lives in memory and is lost on exit). Indexes are
declared in INDEXES, the only place they are spelled, and created at start-up; if the
database is down then, creation is retried on the next request until it succeeds.
"""
import logging
import threading
import time

import click
from pymongo import ASCENDING, DESCENDING, IndexModel, MongoClient
from pymongo.errors import PyMongoError

log = logging.getLogger(__name__)

# Hot paths look documents up by `_id`, which every store indexes: messages are keyed `<chat>:<seq>`, read
# state `<chat>:<user>`, idempotency keys `<chat>:<sender>:<ClientId>`, personal-chat pairs by the pair.
# Uniqueness that matters (one message per Seq, one per ClientId, one chat per pair) is `_id` uniqueness.
INDEXES = {
    "users": [
        IndexModel([("username_lower", ASCENDING)], name="username_unique", unique=True),
        IndexModel([("email", ASCENDING)], name="email_unique", unique=True),
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
    "chats": [
        # Chat lists: a user's chats of one kind, most recent activity first.
        IndexModel([("members", ASCENDING), ("kind", ASCENDING), ("updated_at", DESCENDING)],
                   name="chats_by_member"),
    ],
    # messages, read_state, client_keys, pairs: looked up by _id only.
}


EMBEDDED_SCHEME = "mongomock://"
_shared_embedded = {}


def _embedded_client(uri):
    """A new in-memory client; `mongomock://NAME` gives every app in this process that names NAME the
    same one (how the multi-instance tests let two servers in one process share one store)."""
    from . import embedded
    if not uri:
        return embedded.client()
    with _shared_lock:
        if uri not in _shared_embedded:
            _shared_embedded[uri] = embedded.client()
        return _shared_embedded[uri]


_shared_lock = threading.Lock()


class Store:
    """The process's database client and the application's database."""

    def __init__(self, uri, name, timeout_ms):
        self.embedded = not uri or uri.startswith(EMBEDDED_SCHEME)
        if self.embedded:
            self.client = _embedded_client(uri)
            self.description = "embedded in-memory store (mongomock): DATA IS LOST WHEN THE PROCESS EXITS"
        else:
            self.client = MongoClient(uri, tz_aware=True, serverSelectionTimeoutMS=timeout_ms,
                                      connectTimeoutMS=timeout_ms, socketTimeoutMS=max(timeout_ms * 5, 10000),
                                      retryWrites=True, appname="chat-backend")
            self.description = f"MongoDB database {name!r}"
        self.db = self.client[name]
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
                    for model in models:
                        spec = dict(model.document)
                        if self.embedded and "expireAfterSeconds" in spec:
                            # mongomock sweeps TTL indexes by scanning on every access; expiry is
                            # checked in code anyway, and the process's memory goes with it.
                            continue
                        # One create_index per model: mongomock's create_indexes drops partial filters.
                        self.db[collection].create_index(list(spec.pop("key").items()), **spec)
            except PyMongoError as exc:
                log.warning("could not create indexes yet (%s); will retry", exc)
                return False
            self.indexes_ready = True
            return True

    def ping(self):
        """True when the database answers."""
        if self.embedded:
            return True
        try:
            self.client.admin.command("ping")
            return True
        except PyMongoError:
            return False

    def close(self):
        if not self.embedded:
            self.client.close()


def init_app(app):
    """Open the process's store, create indexes, and register `flask init-db`."""
    store = Store(app.config["MONGO_URI"], app.config["MONGO_DB"], app.config["MONGO_TIMEOUT_MS"])
    app.extensions["chat.store"] = store
    if store.embedded:
        app.logger.warning("STORE: %s. Set MONGO_URI to keep data.", store.description)
    else:
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
