"""The query string of `GET /search` and how a page of results goes out on the wire."""
from datetime import timezone

from marshmallow import Schema, fields, validate

from ..kernel.fields import ID, Text
from ..kernel.kinds import kind_of
from ..messages.schemas import message_out


class SearchQuerySchema(Schema):
    """`q` (terms split on whitespace), `chat`, `from`, `has=file`, `before`/`after` (ISO 8601 times; without a
    zone, UTC), `limit` (1..50), `cursor` (a `Next`). The service checks the terms themselves."""

    q = Text(required=True, validate=validate.Length(min=1, max=1000))
    chat = Text(validate=ID)
    sender = Text(data_key="from", validate=ID)
    has = Text(validate=validate.OneOf(["file"]))
    before = fields.AwareDateTime(format="iso", default_timezone=timezone.utc)
    after = fields.AwareDateTime(format="iso", default_timezone=timezone.utc)
    limit = fields.Integer(validate=validate.Range(min=1, max=50))
    cursor = Text(validate=validate.Length(min=1, max=200))


def search_out(page, urls):
    """{"Results": [{"Message", "ChatId" | "GroupId", "Kind"}], "Next"} of a SearchPage."""
    results = []
    for hit in page.hits:
        kind = kind_of(hit.kind)
        results.append({"Message": message_out(hit.message, urls, group=kind.room),
                        kind.id_key: hit.message["chat_id"], "Kind": kind.name})
    return {"Results": results, "Next": page.next}
