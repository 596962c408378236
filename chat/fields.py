"""Input fields and schemas shared by every transport (REST bodies and socket payloads alike)."""
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

ID = validate.Length(min=1, max=64)
# Contents are checked for their real limit (CONTENT_MAX_CHARS, after trimming) by the service;
# this cap only stops absurd strings from reaching it.
CONTENT = fields.String(required=True, validate=validate.Length(max=100_000))
CLIENT_ID = fields.String(validate=validate.Length(min=1, max=100))


class StrictInteger(fields.Integer):
    """An integer that must arrive as a JSON number: no strings, no booleans, no floats."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError("Not a valid integer.")
        return super()._deserialize(value, attr, data, **kwargs)


class Empty(Schema):
    """Requests and events that take no fields."""


class PageSchema(Schema):
    """A socket history page: a cursor (Before or After, not both) and a Limit."""

    Before = fields.String(validate=ID)
    After = fields.String(validate=ID)
    Limit = StrictInteger(validate=validate.Range(min=1, max=100))

    @validates_schema
    def one_cursor(self, data, **kwargs):
        if "Before" in data and "After" in data:
            raise ValidationError("Give Before or After, not both.", "Before")
