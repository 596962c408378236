"""Input fields and schemas shared by every transport (REST bodies and socket payloads alike)."""
from marshmallow import Schema, ValidationError, fields, validate, validates_schema


def storable(value):
    """Whether a string can be stored: it must encode as UTF-8. JSON can carry what cannot (a lone UTF-16
    surrogate such as "\\ud800"); the database driver would fail on it only after the request had done work."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class Storable:
    """The rule of every input string (mixed into `Text` and `Email`): a string that cannot be stored is a
    validation_error at the edge, before any validator, service or database sees it."""

    default_error_messages: dict = {"unstorable": "Not valid Unicode text (it holds a lone surrogate)."}

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        if not storable(value):
            raise self.make_error("unstorable")
        return value


class Text(Storable, fields.String):
    """The string field of every input schema (REST bodies, query strings, socket payloads)."""


class Email(Storable, fields.Email):
    """An email address, with the same rule as `Text`."""


ID = validate.Length(min=1, max=64)
# Contents are checked for their real limit (CONTENT_MAX_CHARS, after trimming) by the service;
# this cap only stops absurd strings from reaching it.
CONTENT = Text(required=True, validate=validate.Length(max=100_000))
CLIENT_ID = Text(validate=validate.Length(min=1, max=100))


class StrictInteger(fields.Integer):
    """An integer that must arrive as a JSON number: no strings, no booleans, no floats."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError("Not a valid integer.")
        return super()._deserialize(value, attr, data, **kwargs)


class StrictBoolean(fields.Boolean):
    """A boolean that must arrive as JSON true or false: no strings, no numbers."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise ValidationError("Not a valid boolean.")
        return value


# A reply names the message it answers; an emoji's real rule (one emoji, 1..32 characters) is the service's.
REPLY_TO = Text(validate=ID)
THREAD_OF = Text(validate=ID)  # a send into the thread of this top-level message (chat/threads/)
EMOJI = Text(required=True, validate=validate.Length(min=1, max=32))


class SyncSchema(Schema):
    """A socket catch-up (`sync-chat`): the Rev an earlier answer gave (0 the first time) and a Limit."""

    SinceRev = StrictInteger(required=True, validate=validate.Range(min=0, max=2 ** 53))
    Limit = StrictInteger(validate=validate.Range(min=1, max=100))


class Empty(Schema):
    """Requests and events that take no fields."""


class PageSchema(Schema):
    """A socket history page: a cursor (Before or After, not both) and a Limit."""

    Before = Text(validate=ID)
    After = Text(validate=ID)
    Limit = StrictInteger(validate=validate.Range(min=1, max=100))

    @validates_schema
    def one_cursor(self, data, **kwargs):
        if "Before" in data and "After" in data:
            raise ValidationError("Give Before or After, not both.", "Before")
