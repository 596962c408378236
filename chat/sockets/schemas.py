"""marshmallow schemas for every client→server socket payload (PascalCase keys, unknown keys refused)."""
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

ID = validate.Length(min=1, max=64)


class StrictInteger(fields.Integer):
    """An integer that must arrive as a JSON number: no strings, no booleans, no floats."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError("Not a valid integer.")
        return super()._deserialize(value, attr, data, **kwargs)


class Empty(Schema):
    """Events that take no fields."""


class PageSchema(Schema):
    Before = fields.String(validate=ID)
    After = fields.String(validate=ID)
    Limit = StrictInteger(validate=validate.Range(min=1, max=100))

    @validates_schema
    def one_cursor(self, data, **kwargs):
        if "Before" in data and "After" in data:
            raise ValidationError("Give Before or After, not both.", "Before")


# Contents are checked for their real limit (CONTENT_MAX_CHARS, after trimming) by the service;
# this cap only stops absurd strings from reaching it.
CONTENT = fields.String(required=True, validate=validate.Length(max=100_000))
CLIENT_ID = fields.String(validate=validate.Length(min=1, max=100))


class SendSelfSchema(Schema):
    Content = CONTENT
    ClientId = CLIENT_ID


class FetchPersonalSchema(PageSchema):
    Partner = fields.String(required=True, validate=ID)
    ChatId = fields.String(validate=ID)


class ChatIdSchema(Schema):
    ChatId = fields.String(required=True, validate=ID)


class SendPersonalSchema(ChatIdSchema):
    Content = CONTENT
    ClientId = CLIENT_ID


class ReadPersonalSchema(ChatIdSchema):
    UpTo = fields.String(validate=ID)


class EditPersonalSchema(ChatIdSchema):
    MessageId = fields.String(required=True, validate=ID)
    Content = CONTENT


class DeletePersonalSchema(ChatIdSchema):
    MessageId = fields.String(required=True, validate=ID)


class OnlineInfoSchema(Schema):
    UserIds = fields.List(fields.String(validate=ID), required=True, validate=validate.Length(max=256))
