"""`GET /health`: is the process up, and do the database and (when configured) Redis answer."""
from flask import Blueprint, current_app

from ..db import get_store
from ..http import endpoint
from ..openapi import ok
from .drain import draining

bp = Blueprint("health", __name__)


def redis_state():
    """"ok", "unreachable", or None when REDIS_URL is not set."""
    url = current_app.config["REDIS_URL"]
    if not url:
        return None
    import redis
    client = current_app.extensions.get("chat.redis")
    if client is None:
        client = current_app.extensions["chat.redis"] = redis.Redis.from_url(
            url, socket_timeout=1, socket_connect_timeout=1)
    try:
        return "ok" if client.ping() else "unreachable"
    except redis.RedisError:
        return "unreachable"


@bp.get("/health")
@endpoint({**ok("health", "Up, and the database answers."),
           **ok("health", "The database is unreachable, or the process is draining to stop (with `error`).", 503)},
          db=False)
def health():
    """200 {"status": "ok", "db": "ok"}; 503 with the error envelope when the database is unreachable.

    With REDIS_URL set, "redis" says whether Redis answers; without it this process still serves its
    own clients, so the status is "degraded" (200), not down.
    """
    if draining(current_app):  # stopping (chat/process/drain.py): the proxy should send new clients elsewhere
        return {"status": "unavailable", "db": "ok", "error": {
            "code": "unavailable", "message": "This process is shutting down."}}, 503, {"Retry-After": "5"}
    body = {"status": "ok", "db": "ok"}
    redis = redis_state()
    if redis is not None:
        body["redis"] = redis
        if redis != "ok":
            body["status"] = "degraded"
    if get_store().ping():
        return body
    return {**body, "status": "unavailable", "db": "unreachable",
            "error": {"code": "unavailable", "message": "The database is unreachable."}}, 503, {"Retry-After": "5"}
