"""marshmallow schemas of the moderation payloads (PascalCase keys, unknown keys refused)."""
from marshmallow import Schema, validate
from marshmallow import fields as mfields

from ..kernel.fields import ID, StrictBoolean, Text
from ..messages.payloads import ChatIdSchema, GroupIdSchema


class PinSchema(Schema):
    """`pin-message`: pin (On true) or unpin one message."""

    MessageId = Text(required=True, validate=ID)
    On = StrictBoolean(required=True)


class PinPersonalSchema(ChatIdSchema, PinSchema):
    """`pin-message` on `/personal`."""


class PinGroupSchema(GroupIdSchema, PinSchema):
    """`pin-message` on `/group`."""


class InviteBodySchema(Schema):
    """`POST /groups/<id>/invites`: MaxUses (1..10000) and ExpiresIn (seconds, 1..30 days), both optional."""

    MaxUses = mfields.Integer(strict=True, allow_none=True, validate=validate.Range(min=1, max=10_000))
    ExpiresIn = mfields.Integer(strict=True, allow_none=True, validate=validate.Range(min=1, max=30 * 86400))


class ReportBodySchema(Schema):
    """`POST /messages/<id>/report`."""

    Reason = Text(required=True, validate=validate.OneOf(["spam", "abuse", "other"]))
    Note = Text(validate=validate.Length(max=500))


class ResolveBodySchema(Schema):
    """`POST /reports/<id>/resolve`."""

    Action = Text(required=True, validate=validate.OneOf(["dismiss", "delete", "kick"]))
