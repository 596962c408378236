"""How users go out on the wire, and the search query."""
from marshmallow import Schema, fields, validate


class PublicUserSchema(Schema):
    """A `User` as others see it: {"id", "username"}."""

    id = fields.Function(lambda doc: str(doc["_id"]))
    username = fields.String()


class OwnUserSchema(PublicUserSchema):
    """A `User` as the user themself sees it, with email and verified."""

    email = fields.String()
    verified = fields.Boolean()


class SearchQuerySchema(Schema):
    q = fields.String(required=True, validate=validate.Length(min=1, max=32))


_public = PublicUserSchema()
_own = OwnUserSchema()


def public_user(doc):
    return _public.dump(doc)


def own_user(doc):
    return _own.dump(doc)
