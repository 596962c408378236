"""marshmallow schemas for every client→server socket payload (PascalCase keys, unknown keys refused)."""
from marshmallow import Schema, fields, validate

from ..files.fields import ATTACHMENTS
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


class SendSelfSchema(Schema):
    Content = CONTENT
    ClientId = CLIENT_ID
    ReplyTo = REPLY_TO
    ThreadOf = THREAD_OF
    Attachments = ATTACHMENTS


class ReactSelfSchema(Schema):
    """`react-message` on `/self` (and, with ChatId or GroupId, on `/personal` and `/group`)."""

    MessageId = Text(required=True, validate=ID)
    Emoji = EMOJI
    On = StrictBoolean(required=True)


class FetchPersonalSchema(PageSchema):
    Partner = Text(required=True, validate=ID)
    ChatId = Text(validate=ID)


class ChatIdSchema(Schema):
    ChatId = Text(required=True, validate=ID)


class SendPersonalSchema(ChatIdSchema):
    Content = CONTENT
    ClientId = CLIENT_ID
    ReplyTo = REPLY_TO
    ThreadOf = THREAD_OF
    Attachments = ATTACHMENTS


class ReactPersonalSchema(ChatIdSchema, ReactSelfSchema):
    pass


class ReadPersonalSchema(ChatIdSchema):
    UpTo = Text(validate=ID)


class EditPersonalSchema(ChatIdSchema):
    MessageId = Text(required=True, validate=ID)
    Content = CONTENT


class DeletePersonalSchema(ChatIdSchema):
    MessageId = Text(required=True, validate=ID)


class SyncPersonalSchema(ChatIdSchema, SyncSchema):
    """`sync-chat` on `/personal`."""


class OnlineInfoSchema(Schema):
    UserIds = fields.List(Text(validate=ID), required=True, validate=validate.Length(max=256))
