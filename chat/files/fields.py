"""The `Attachments` field of every send (socket payloads and REST bodies alike): 1..10 FileIds."""
from marshmallow import fields, validate

from ..kernel.fields import ID, Text

ATTACHMENTS = fields.List(Text(validate=ID), validate=validate.Length(min=1, max=10))
