"""`GET /metrics`: what this process is doing, in Prometheus' text format (prometheus_client).

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
import hmac
import os
import time

from flask import Blueprint, current_app, g, has_app_context, request
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

from .errors import ApiError
from .http import endpoint

bp = Blueprint("metrics", __name__)

# Seconds. Acks and requests: from a millisecond to a password hash under load; database commands are faster.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
DB_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


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


def register_metrics(app):
    """Give app its metrics: the registry, the HTTP timing, the database and mail hooks, and `GET /metrics`."""
    metrics = app.extensions["chat.metrics"] = Metrics()
    store = app.extensions.get("chat.store")
    timer = getattr(store, "command_timer", None)
    if timer is not None:
        timer.sink = metrics
    mailer = getattr(app.extensions.get("chat.services"), "mailer", None)
    if mailer is not None:
        mailer.on_outcome = metrics.mail  # chat/auth/mailer.py `report`
    # First of all before_request functions, so that a request refused by one of them (a rate limit) is timed.
    app.before_request_funcs.setdefault(None, []).insert(0, _start_timer)
    app.after_request(_count_request)
    app.register_blueprint(bp)


def _start_timer():
    g.chat_request_started = time.perf_counter()


def _count_request(response):
    metrics = current()
    if metrics is None:
        return response
    name = request.endpoint or "unmatched"  # the route's name, never the path: the label set stays small
    method = request.method if request.method in HTTP_METHODS else "other"
    metrics.http_requests.labels(name, method, str(response.status_code)).inc()
    started = g.get("chat_request_started")
    if started is not None:
        metrics.http_request_seconds.labels(name).observe(time.perf_counter() - started)
    view = current_app.view_functions.get(request.endpoint)
    if response.status_code == 429 and not getattr(view, "rate_category", None):
        metrics.rate_limited.labels(f"http:{name}").inc()  # Flask-Limiter's; `counted` ones count in `hit`
    return response


# Hooks for the rest of the code: no-ops outside an app with metrics.

def current():
    """The current app's Metrics, or None."""
    if not has_app_context():
        return None
    return current_app.extensions.get("chat.metrics")


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
    """One server-to-client emit (chat/push.py): "sent" or "failed"."""
    metrics = current()
    if metrics is not None:
        metrics.pushes.labels(event, outcome).inc()


def rate_limited(category):
    """A refusal by the socket-event limits (chat/sockets/ratelimit.py), on a socket or over REST."""
    metrics = current()
    if metrics is not None:
        metrics.rate_limited.labels(category).inc()


# The route.

TEXT = {"schema": {"type": "string"}}


@bp.get("/metrics")
@endpoint({200: {"description": "Prometheus' text format (OpenMetrics when the Accept header asks for it).",
                 "content": {"text/plain": TEXT, "application/openmetrics-text": TEXT}}},
          db=False, errors={401: "`unauthorized`: no `Authorization: Bearer <METRICS_TOKEN>` header.",
                            403: "`forbidden`: not the METRICS_TOKEN.",
                            404: "`not_found`: metrics are off (METRICS_TOKEN is not set)."})
def scrape():
    """This process's metrics for Prometheus; needs `Authorization: Bearer <METRICS_TOKEN>`.

    Off (404) while METRICS_TOKEN is not set. Never cached.
    """
    token = current_app.config.get("METRICS_TOKEN") or ""
    if not token:
        raise ApiError("not_found", "Not found.", 404)
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        raise ApiError("unauthorized", "Send Authorization: Bearer <METRICS_TOKEN>.", 401,
                       headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
    if not hmac.compare_digest(given.strip().encode(), token.encode()):
        raise ApiError("forbidden", "That is not the metrics token.", 403)
    body, content_type = current().exposition(request.headers.get("Accept"))
    return body, 200, {"Content-Type": content_type, "Cache-Control": "no-store"}

