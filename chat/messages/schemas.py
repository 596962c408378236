"""How messages go out on the wire (PascalCase keys, as the web client expects)."""
from ..clock import iso


def message_out(doc, group=False):
    """The `Message` of a stored message: {"MessageId", "ChatId"|"GroupId", "Sender", "Content", "CreatedAt",
    "EditedAt", "Deleted", "ClientId", "Seq"}; group messages carry GroupId instead of ChatId."""
    if doc is None:
        return None
    deleted = bool(doc.get("deleted"))
    return {"MessageId": str(doc["_id"]), "GroupId" if group else "ChatId": doc["chat_id"],
            "Sender": {"id": doc["sender_id"], "username": doc["sender_name"]},
            "Content": "" if deleted else doc["content"], "CreatedAt": iso(doc["created_at"]),
            "EditedAt": iso(doc.get("edited_at")), "Deleted": deleted, "ClientId": doc.get("client_id"),
            "Seq": doc["seq"]}
