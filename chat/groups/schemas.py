"""marshmallow schemas for the `/group` payloads (PascalCase keys, unknown keys refused)."""
from marshmallow import Schema, fields, validate

from ..files.fields import ATTACHMENTS
from ..kernel.fields import (
    CLIENT_ID,
    CONTENT,
    EMOJI,
    ID,
    REPLY_TO,
    THREAD_OF,
    PageSchema,
    StrictBoolean,
    StrictInteger,
    SyncSchema,
    Text,
)


class CreateGroupSchema(Schema):
    # Lengths are the service's rule (configurable); these caps only stop absurd input early.
    Name = Text(required=True, validate=validate.Length(max=10_000))
    Description = Text(validate=validate.Length(max=100_000))
    Participants = fields.List(Text(validate=ID), required=True, validate=validate.Length(max=1000))
    Public = StrictBoolean(load_default=False)


class GroupIdSchema(Schema):
    GroupId = Text(required=True, validate=ID)


class SyncGroupSchema(GroupIdSchema, SyncSchema):
    """`sync-chat` on `/group`."""


class UpdateGroupSchema(GroupIdSchema):
    """`update-group`: any of Name, Description, Public, SlowModeSeconds, RetentionDays (the service wants at least
    one)."""

    Name = Text(validate=validate.Length(max=10_000))
    Description = Text(validate=validate.Length(max=100_000))
    Public = StrictBoolean()
    SlowModeSeconds = fields.Integer(strict=True, validate=validate.Range(min=0, max=3600))

    RetentionDays = StrictInteger(validate=validate.Range(min=0, max=36_500))  # 0: as long as the server keeps


class SetModeratorSchema(GroupIdSchema):
    """`set-moderator`: {"GroupId", "UserId", "On"}."""

    UserId = Text(required=True, validate=ID)
    On = StrictBoolean(required=True)


class DirectoryQuerySchema(Schema):
    """`GET /groups/public?q=&page=&per_page=`: q, when given, at least 1 character."""

    q = Text(validate=validate.Length(min=1, max=200))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class MemberSchema(GroupIdSchema):
    Member = Text(required=True, validate=ID)


class FetchGroupSchema(PageSchema):
    GroupId = Text(required=True, validate=ID)


class SendGroupSchema(GroupIdSchema):
    Content = CONTENT
    ClientId = CLIENT_ID
    ReplyTo = REPLY_TO
    ThreadOf = THREAD_OF
    Attachments = ATTACHMENTS


class ReactGroupSchema(GroupIdSchema):
    MessageId = Text(required=True, validate=ID)
    Emoji = EMOJI
    On = StrictBoolean(required=True)


class ReadGroupSchema(GroupIdSchema):
    UpTo = Text(validate=ID)
