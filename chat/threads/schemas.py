"""marshmallow schemas of the thread events and routes (PascalCase on sockets, lower case in query strings)."""
from marshmallow import Schema, fields, validate

from ..chats.schemas import HistoryQuerySchema
from ..kernel.fields import ID, PageSchema, StrictBoolean, Text
from ..messages.payloads import ChatIdSchema, GroupIdSchema

LIMIT = validate.Range(min=1, max=100)


class _Root(Schema):
    MessageId = Text(required=True, validate=ID)


class FetchThreadSelfSchema(PageSchema, _Root):
    """`fetch-thread` on `/self`: the root and a page (Before or After a reply, Limit)."""


class FetchThreadSchema(FetchThreadSelfSchema, ChatIdSchema):
    """`fetch-thread` on `/personal`."""


class FetchThreadGroupSchema(FetchThreadSelfSchema, GroupIdSchema):
    """`fetch-thread` on `/group`."""


class FollowThreadSelfSchema(_Root):
    """`follow-thread` on `/self`."""

    On = StrictBoolean(required=True)


class FollowThreadSchema(FollowThreadSelfSchema, ChatIdSchema):
    """`follow-thread` on `/personal`."""


class FollowThreadGroupSchema(FollowThreadSelfSchema, GroupIdSchema):
    """`follow-thread` on `/group`."""


class ReadThreadSelfSchema(_Root):
    """`read-thread` on `/self`: up to a reply (default: the newest)."""

    UpTo = Text(validate=ID)


class ReadThreadSchema(ReadThreadSelfSchema, ChatIdSchema):
    """`read-thread` on `/personal`."""


class ReadThreadGroupSchema(ReadThreadSelfSchema, GroupIdSchema):
    """`read-thread` on `/group`."""


class ThreadQuerySchema(HistoryQuerySchema):
    """`GET /messages/<root id>/thread?before=&after=&limit=`: paged as history is, by ThreadSeq."""


class ThreadsQuerySchema(Schema):
    """`GET /threads?page=&per_page=`."""

    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=20, validate=LIMIT)
