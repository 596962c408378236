"""marshmallow schemas for the `/group` payloads (PascalCase keys, unknown keys refused)."""
from marshmallow import Schema, fields, validate

from ..fields import CLIENT_ID, CONTENT, ID, PageSchema, Text


class CreateGroupSchema(Schema):
    # Lengths are the service's rule (configurable); these caps only stop absurd input early.
    Name = Text(required=True, validate=validate.Length(max=10_000))
    Description = Text(validate=validate.Length(max=100_000))
    Participants = fields.List(Text(validate=ID), required=True, validate=validate.Length(max=1000))


class GroupIdSchema(Schema):
    GroupId = Text(required=True, validate=ID)


class MemberSchema(GroupIdSchema):
    Member = Text(required=True, validate=ID)


class FetchGroupSchema(PageSchema):
    GroupId = Text(required=True, validate=ID)


class SendGroupSchema(GroupIdSchema):
    Content = CONTENT
    ClientId = CLIENT_ID


class ReadGroupSchema(GroupIdSchema):
    UpTo = Text(validate=ID)
