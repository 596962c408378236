"""marshmallow schemas for every client→server socket payload (PascalCase keys, unknown keys refused)."""
from marshmallow import Schema, fields, validate

from ..kernel.fields import (  # noqa: F401  (Empty: the namespaces' no-field events)
    CLIENT_ID,
    CONTENT,
    EMOJI,
    ID,
    REPLY_TO,
    THREAD_OF,
    Empty,
    PageSchema,
    StrictBoolean,
    SyncSchema,
    Text,
)
from ..messages.payloads import ChatIdSchema


class FetchPersonalSchema(PageSchema):
    Partner = Text(required=True, validate=ID)
    ChatId = Text(validate=ID)


class EditPersonalSchema(ChatIdSchema):
    MessageId = Text(required=True, validate=ID)
    Content = CONTENT


class DeletePersonalSchema(ChatIdSchema):
    MessageId = Text(required=True, validate=ID)


class SyncPersonalSchema(ChatIdSchema, SyncSchema):
    """`sync-chat` on `/personal`."""


class OnlineInfoSchema(Schema):
    UserIds = fields.List(Text(validate=ID), required=True, validate=validate.Length(max=256))
