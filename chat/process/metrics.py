"""What this process is doing, as Prometheus metrics (prometheus_client): the counters and the hooks that record
them. `GET /metrics` and the HTTP timing hooks are the HTTP edge's (chat/process/metrics_route.py).

Each app has a registry of its own (never prometheus_client's global one), so that several apps in one
process (the tests) do not collide. Every `python wsgi.py` process is scraped on its own address, and
Prometheus' `instance` label tells them apart. Under a server that forks several workers into one
address (gunicorn -w N), set PROMETHEUS_MULTIPROC_DIR (an empty directory, before start): prometheus_client
then keeps the values in files there and `/metrics` sums every worker's (docs/operations.md, "Metrics").

`/metrics` answers only with `Authorization: Bearer <METRICS_TOKEN>`. Without METRICS_TOKEN it is off
(404): behind a proxy on the same host every request would come from 127.0.0.1, so the address is no test.

The recording functions below (`socket_connection`, `timed_event`, `push`, `rate_limited`, ...) are the
hooks the rest of the code calls; each does nothing outside an app that has metrics.
"""
import functools
import os
import time

from flask import current_app, has_app_context
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
)
from prometheus_client.exposition import choose_encoder

# Seconds. Acks and requests: from a millisecond to a password hash under load; database commands are faster.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
DB_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


def multiprocess_dir():
    """PROMETHEUS_MULTIPROC_DIR, prometheus_client's own variable (read when it is first imported)."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or os.environ.get("prometheus_multiproc_dir") or ""


class Metrics:
    """Every metric of one app, in its own registry."""

    def __init__(self):
        self.registry = registry = CollectorRegistry(auto_describe=True)
        if not multiprocess_dir():  # per-process figures; in multiprocess mode they would not add up
            ProcessCollector(registry=registry)
            PlatformCollector(registry=registry)
            GCCollector(registry=registry)
        self.socket_connections = Gauge(
            "chat_socket_connections", "Open Socket.IO connections, by namespace.", ["namespace"],
            registry=registry, multiprocess_mode="livesum")
        self.socket_events = Counter(
            "chat_socket_events", "Socket.IO events answered, by outcome: ok or the error code of the ack.",
            ["namespace", "event", "outcome"], registry=registry)
        self.socket_ack_seconds = Histogram(
            "chat_socket_ack_seconds", "Seconds from an event's arrival to its ack.", ["namespace", "event"],
            registry=registry, buckets=LATENCY_BUCKETS)
        self.http_requests = Counter(
            "chat_http_requests", "HTTP requests answered, by endpoint (the route's name), method and status.",
            ["endpoint", "method", "status"], registry=registry)
        self.http_request_seconds = Histogram(
            "chat_http_request_seconds", "Seconds to answer an HTTP request, by endpoint.", ["endpoint"],
            registry=registry, buckets=LATENCY_BUCKETS)
        self.db_command_seconds = Histogram(
            "chat_db_command_seconds", "Seconds per database command (as the driver measures it), by command.",
            ["command"], registry=registry, buckets=DB_BUCKETS)
        self.db_command_errors = Counter(
            "chat_db_command_errors", "Database commands that failed (the server's error or the network).",
            ["command"], registry=registry)
        self.mails = Counter(
            "chat_mails", "Mails handed to the transport (SMTP or the dev outbox): sent or failed.", ["outcome"],
            registry=registry)
        self.pushes = Counter(
            "chat_pushes", "Server-to-client pushes (one emit to a list of rooms), by event and outcome.",
            ["event", "outcome"], registry=registry)
        self.rate_limited = Counter(
            "chat_rate_limited", "Refusals for a rate limit: a socket-limit category, or http:<endpoint>.",
            ["category"], registry=registry)

    # The database's CommandListener (chat/db.py CommandTimer) reports here, on the driver's calls.
    def db_command(self, command, seconds, failed=False):
        self.db_command_seconds.labels(command).observe(seconds)
        if failed:
            self.db_command_errors.labels(command).inc()

    def mail(self, outcome):
        self.mails.labels(outcome).inc()

    def exposition(self, accept):
        """(body, content type) of the current values, in the format the Accept header asks for."""
        encoder, content_type = choose_encoder(accept or "")
        registry = self.registry
        if multiprocess_dir():
            from prometheus_client import multiprocess
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
        return encoder(registry), content_type


# Hooks for the rest of the code: no-ops outside an app with metrics.

def current():
    """The current app's Metrics, or None."""
    if not has_app_context():
        return None
    return current_app.extensions.get("chat.process.metrics")


def socket_connection(namespace, change):
    """A socket passed the connect check (+1) or an authenticated socket went away (-1)."""
    metrics = current()
    if metrics is not None:
        metrics.socket_connections.labels(namespace).inc(change)


def timed_event(handler, name):
    """Wrap an event handler (chat/sockets/base.py `event`): count its ack by outcome and time it."""
    @functools.wraps(handler)
    def timed(self, *args):
        started = time.perf_counter()
        ack = handler(self, *args)
        metrics = current()
        if metrics is not None:
            outcome = "ok" if isinstance(ack, dict) and ack.get("ok") else _error_code(ack)
            metrics.socket_events.labels(self.namespace, name, outcome).inc()
            metrics.socket_ack_seconds.labels(self.namespace, name).observe(time.perf_counter() - started)
        return ack
    return timed


def _error_code(ack):
    try:
        return str(ack["error"]["code"])
    except (TypeError, KeyError):
        return "error"


def push(event, outcome):
    """One server-to-client emit (chat/sockets/emitter.py): "sent" or "failed"."""
    metrics = current()
    if metrics is not None:
        metrics.pushes.labels(event, outcome).inc()


def rate_limited(category):
    """A refusal by the socket-event limits (chat/sockets/ratelimit.py), on a socket or over REST."""
    metrics = current()
    if metrics is not None:
        metrics.rate_limited.labels(category).inc()
