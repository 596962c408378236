"""marshmallow schemas for every client→server socket payload (PascalCase keys, unknown keys refused)."""
from marshmallow import Schema, fields, validate

from ..fields import CLIENT_ID, CONTENT, ID, Empty, PageSchema, Text  # noqa: F401  (Empty: the namespaces' no-field events)


class SendSelfSchema(Schema):
    Content = CONTENT
    ClientId = CLIENT_ID


class FetchPersonalSchema(PageSchema):
    Partner = Text(required=True, validate=ID)
    ChatId = Text(validate=ID)


class ChatIdSchema(Schema):
    ChatId = Text(required=True, validate=ID)


class SendPersonalSchema(ChatIdSchema):
    Content = CONTENT
    ClientId = CLIENT_ID


class ReadPersonalSchema(ChatIdSchema):
    UpTo = Text(validate=ID)


class EditPersonalSchema(ChatIdSchema):
    MessageId = Text(required=True, validate=ID)
    Content = CONTENT


class DeletePersonalSchema(ChatIdSchema):
    MessageId = Text(required=True, validate=ID)


class OnlineInfoSchema(Schema):
    UserIds = fields.List(Text(validate=ID), required=True, validate=validate.Length(max=256))
