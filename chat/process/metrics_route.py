"""`GET /metrics` and the HTTP hooks of the metrics (chat/process/metrics.py keeps the counters): the HTTP edge.

`/metrics` answers only with `Authorization: Bearer <METRICS_TOKEN>`. Without METRICS_TOKEN it is off (404).
"""
import hmac
import time

from flask import Blueprint, current_app, g, request

from ..http import endpoint
from ..kernel.errors import ApiError
from .metrics import Metrics, current

bp = Blueprint("metrics", __name__)

HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def register_metrics(app):
    """Give app its metrics: the registry, the HTTP timing, the database and mail hooks, and `GET /metrics`."""
    metrics = app.extensions["chat.process.metrics"] = Metrics()
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

