"""`/me`, `/users/search` and `/users/<id>`."""
from flask import Blueprint
from flask_jwt_extended import get_jwt_identity, jwt_required

from ..http import counted, load_query
from ..services import services
from .schemas import SearchQuerySchema, own_user, public_user

bp = Blueprint("users", __name__)


@bp.get("/me")
@jwt_required()
def me():
    """The caller's own user, with email and verified."""
    return {"user": own_user(services().users.get(get_jwt_identity()))}


@bp.get("/users/search")
@jwt_required()
@counted("fetch")
def search():
    """Verified users whose username starts with `q` (case-insensitive), at most 20."""
    query = load_query(SearchQuerySchema())
    found = services().users.search(get_jwt_identity(), query["q"])
    return {"users": [public_user(user) for user in found]}


@bp.get("/users/<user_id>")
@jwt_required()
def get_user(user_id):
    """One verified `User` (the body is the User itself); 404 for unknown or unverified ones."""
    return public_user(services().users.get_verified(user_id))
