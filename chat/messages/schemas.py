"""How messages go out on the wire (PascalCase keys, as the web client expects)."""
from marshmallow import Schema, fields

from ..clock import iso


class MessageSchema(Schema):
    """A `Message`: {"MessageId", "ChatId"|"GroupId", "Sender", "Content", "CreatedAt", "EditedAt",
    "Deleted", "ClientId", "Seq"}."""

    MessageId = fields.Function(lambda m: str(m["_id"]))
    Sender = fields.Function(lambda m: {"id": m["sender_id"], "username": m["sender_name"]})
    Content = fields.Function(lambda m: "" if m.get("deleted") else m["content"])
    CreatedAt = fields.Function(lambda m: iso(m["created_at"]))
    EditedAt = fields.Function(lambda m: iso(m.get("edited_at")))
    Deleted = fields.Function(lambda m: bool(m.get("deleted")))
    ClientId = fields.Function(lambda m: m.get("client_id"))
    Seq = fields.Function(lambda m: m["seq"])


_schema = MessageSchema()


def message_out(doc, group=False):
    """The wire form of a stored message; group messages carry GroupId instead of ChatId."""
    if doc is None:
        return None
    out = _schema.dump(doc)
    out["GroupId" if group else "ChatId"] = doc["chat_id"]
    return out
