"""`/me`, `/users/search` and `/users/<id>`."""
from flask import Blueprint
from flask_jwt_extended import get_jwt_identity

from ..bearer import bearer_required
from ..http import counted, endpoint
from ..openapi import ok
from ..services import services
from ..tokens.scopes import MESSAGES_READ
from .schemas import SearchQuerySchema, own_user, public_user

bp = Blueprint("users", __name__)


@bp.get("/me")
@bearer_required()
@endpoint(ok("me", "The caller, with email, verified and TwoFactor."), auth="access", scope=MESSAGES_READ)
def me():
    """The caller's own user, with email, verified and TwoFactor (2FA is on)."""
    user_id = get_jwt_identity()
    return {"user": {**own_user(services().users.get(user_id)), "TwoFactor": services().twofactor.enabled(user_id)}}


@bp.get("/users/search")
@bearer_required()
@counted("fetch")
@endpoint(ok("users", "At most 20 verified users, by username."), auth="access",
          scope=MESSAGES_READ, query=SearchQuerySchema)
def search(query):
    """Verified users whose username starts with `q` (case-insensitive), at most 20."""
    found = services().users.search(get_jwt_identity(), query["q"])
    return {"users": [public_user(user) for user in found]}


@bp.get("/users/<user_id>")
@bearer_required()
@endpoint(ok("user", "The user."), auth="access", scope=MESSAGES_READ, errors={404: None})
def get_user(user_id):
    """One verified `User` (the body is the User itself); 404 for unknown or unverified ones."""
    return public_user(services().users.get_verified(user_id))
