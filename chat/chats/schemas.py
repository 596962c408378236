"""marshmallow schemas for the REST chat API (query strings in lower case, bodies as on sockets)."""
from datetime import timezone

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ..files.fields import ATTACHMENTS
from ..kernel.fields import CLIENT_ID, CONTENT, ID, REPLY_TO, THREAD_OF, Text

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


class SendBodySchema(Schema):
    Content = CONTENT
    ClientId = CLIENT_ID
    ReplyTo = REPLY_TO
    ThreadOf = THREAD_OF
    Attachments = ATTACHMENTS


class EditBodySchema(Schema):
    Content = CONTENT


class ReadBodySchema(Schema):
    UpTo = Text(validate=ID)


class MuteBodySchema(Schema):
    """`PUT /chats/<id>/mute`: until when (an ISO 8601 time; without a zone, UTC); none: with no end."""

    Until = fields.AwareDateTime(format="iso", default_timezone=timezone.utc)
