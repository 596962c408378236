"""`GET /health`: is the process up, and does the database answer."""
from flask import Blueprint

from .db import get_store

bp = Blueprint("health", __name__)


@bp.get("/health")
def health():
    """200 {"status": "ok", "db": "ok"}; 503 with the error envelope when the database is unreachable."""
    if get_store().ping():
        return {"status": "ok", "db": "ok"}
    return {"status": "unavailable", "db": "unreachable",
            "error": {"code": "unavailable", "message": "The database is unreachable."}}, 503
