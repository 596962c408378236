"""How users go out on the wire, and the search query."""
from marshmallow import Schema, validate

from ..fields import Text


class SearchQuerySchema(Schema):
    q = Text(required=True, validate=validate.Length(min=1, max=32))


def public_user(doc):
    """A `User` as others see it: {"id", "username"}."""
    return {"id": str(doc["_id"]), "username": doc["username"]}


def own_user(doc):
    """A `User` as the user themself sees it, with email and verified."""
    return {**public_user(doc), "email": doc["email"], "verified": bool(doc.get("verified"))}
