"""How users go out on the wire, and the search query."""
from marshmallow import Schema, validate

from ..kernel.fields import Text


class SearchQuerySchema(Schema):
    q = Text(required=True, validate=validate.Length(min=1, max=32))


def public_user(doc):
    """A `User` as others see it: {"id", "username", "Bot"} (Bot: a bot user, chat/bots/; false for people)."""
    return {"id": str(doc["_id"]), "username": doc["username"], "Bot": bool(doc.get("bot"))}


def own_user(doc):
    """A `User` as the user themself sees it, with email (null for a bot, which has none) and verified."""
    email = None if doc.get("bot") else doc["email"]
    return {**public_user(doc), "email": email, "verified": bool(doc.get("verified"))}
