"""marshmallow schemas for the REST chat API (query strings in lower case, bodies as on sockets)."""
from datetime import timezone

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ..kernel.fields import CONTENT, ID, Text
from ..messages.payloads import ReadSchema, SendSchema

LIMIT = validate.Range(min=1, max=100)


class HistoryQuerySchema(Schema):
    before = Text(validate=ID)
    after = Text(validate=ID)
    limit = fields.Integer(validate=LIMIT)

    @validates_schema
    def one_cursor(self, data, **kwargs):
        if "before" in data and "after" in data:
            raise ValidationError("Give before or after, not both.", "before")


class ChangesQuerySchema(Schema):
    """`GET /chats/<id>/changes`: the Rev an earlier answer gave (0 the first time) and a limit."""

    since_rev = fields.Integer(required=True, validate=validate.Range(min=0, max=2 ** 53))
    limit = fields.Integer(validate=LIMIT)


class InboxQuerySchema(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=20, validate=LIMIT)


class SendBodySchema(SendSchema):
    """The body of `POST .../messages` (chat/messages/payloads.py, as on the sockets)."""


class EditBodySchema(Schema):
    Content = CONTENT


class ReadBodySchema(ReadSchema):
    """The body of `POST /chats/<id>/read`."""


class MuteBodySchema(Schema):
    """`PUT /chats/<id>/mute`: until when (an ISO 8601 time; without a zone, UTC); none: with no end."""

    Until = fields.AwareDateTime(format="iso", default_timezone=timezone.utc)
