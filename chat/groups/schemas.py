"""marshmallow schemas for the `/group` payloads (PascalCase keys, unknown keys refused)."""
from marshmallow import Schema, fields, validate

from ..kernel.fields import (
    ID,
    PageSchema,
    StrictBoolean,
    StrictInteger,
    SyncSchema,
    Text,
)
from ..messages.payloads import GroupIdSchema


class CreateGroupSchema(Schema):
    # Lengths are the service's rule (configurable); these caps only stop absurd input early.
    Name = Text(required=True, validate=validate.Length(max=10_000))
    Description = Text(validate=validate.Length(max=100_000))
    Participants = fields.List(Text(validate=ID), required=True, validate=validate.Length(max=1000))
    Public = StrictBoolean(load_default=False)


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


class FetchGroupSchema(GroupIdSchema, PageSchema):
    """`fetch-group-chat`: a history page."""

