"""How messages go out on the wire (PascalCase keys, as the web client expects)."""
from ..files.wire import attachments_out
from ..kernel.clock import iso
from ..kernel.kinds import kind_of
from .rules import REACTION_USERS, versions


def message_out(doc, urls, group=False):
    """The `Message` of a stored message: {"MessageId", "ChatId"|"GroupId", "Sender", "Content", "CreatedAt",
    "EditedAt", "Deleted", "ClientId", "Seq", "ReplyTo", "Reactions", "Mentions", "Attachments", "Rev", "Pinned",
    "DeletedBy"}; group messages carry GroupId instead of ChatId. A deleted message shows no content, reply,
    reactions or mentions; DeletedBy is the group's admin or moderator who deleted someone else's message (else null).
    Rev: the chat's revision at the message's latest change (0 for messages from before revisions). urls: the file
    URL signer (chat/files/urls.py) that signs the attachments' URLs."""
    if doc is None:
        return None
    deleted = bool(doc.get("deleted"))
    return {"MessageId": str(doc["_id"]), "GroupId" if group else "ChatId": doc["chat_id"],
            "Sender": {"id": doc["sender_id"], "username": doc["sender_name"], "Bot": bool(doc.get("sender_bot"))},
            "Content": "" if deleted else doc["content"], "CreatedAt": iso(doc["created_at"]),
            "EditedAt": iso(doc.get("edited_at")), "Deleted": deleted, "ClientId": doc.get("client_id"),
            "Seq": doc.get("seq"), "ReplyTo": None if deleted else reply_out(doc.get("reply_to")),
            "Reactions": [] if deleted else reactions_out(doc.get("reactions")),
            "Mentions": [] if deleted else list(doc.get("mentions") or ()),
            "Attachments": [] if deleted else attachments_out(doc.get("attachments"), urls), "Rev": doc.get("rev", 0),
            "Pinned": bool(doc.get("pinned")) and not deleted, "DeletedBy": doc.get("deleted_by") if deleted else None,
            **thread_fields(doc)}


def thread_fields(doc):
    """What threads add to a `Message` (chat/threads/): a reply's "ThreadOf" and "ThreadSeq" (its "Seq" is null:
    it is not in the main timeline); a top-level message's "ThreadOf" null and its "Thread" summary (null until
    its first reply): {"ReplyCount", "LastReplyAt", "Participants"}."""
    if doc.get("thread_of"):
        return {"ThreadOf": doc["thread_of"], "ThreadSeq": doc.get("thread_seq")}
    thread = doc.get("thread")
    summary = None if not thread else {"ReplyCount": thread.get("count", 0), "LastReplyAt": iso(thread.get("last_at")),
                                       "Participants": list(thread.get("participants") or ())}
    return {"ThreadOf": None, "Thread": summary}


def reply_out(reply):
    """`ReplyTo`: {"MessageId", "Sender", "Excerpt", "Deleted"} of the stored `reply_to`, or None."""
    if not reply:
        return None
    deleted = bool(reply.get("deleted"))
    return {"MessageId": reply["id"], "Sender": {"id": reply["sender_id"], "username": reply["sender_name"],
                                                 "Bot": bool(reply.get("sender_bot"))},
            "Excerpt": "" if deleted else reply.get("excerpt", ""), "Deleted": deleted}


def reactions_out(reactions):
    """`Reactions`: [{"Emoji", "Count", "UserIds"}] of the stored [{"emoji", "user_id"}] (in the order they were
    made), most used first (ties: the emoji used first), UserIds the first REACTION_USERS to react."""
    by_emoji = {}
    for reaction in reactions or ():
        by_emoji.setdefault(reaction["emoji"], []).append(reaction["user_id"])
    ranked = sorted(by_emoji.items(), key=lambda item: -len(item[1]))  # stable: ties keep their first use
    return [{"Emoji": emoji, "Count": len(users), "UserIds": users[:REACTION_USERS]} for emoji, users in ranked]


def reactions_wire(chat, message):
    """The `message-reactions` push and the react answer: {"ChatId"|"GroupId", "MessageId", "Reactions", "Rev"}
    (Rev: the message's, after the change, so a client can tell it from an older state)."""
    return {kind_of(chat).id_key: chat.id, "MessageId": message["_id"],
            "Reactions": reactions_out(message.get("reactions")), "Rev": message.get("rev", 0)}


def receipt_wire(chat, reader_id, receipt):
    """The read receipt as the ack and the response show it: {"ChatId"|"GroupId", "ReaderId", "UpTo", "ReadAt",
    "Moved": true}, or {"ChatId"|"GroupId", "Moved": false} when the position did not move."""
    key = kind_of(chat).id_key
    if receipt is None:
        return {key: chat.id, "Moved": False}
    return {key: chat.id, "ReaderId": reader_id, "UpTo": receipt["UpTo"], "ReadAt": iso(receipt["ReadAt"]),
            "Moved": True}


def history_out(message):
    """`GET /messages/<id>/history`: {"MessageId", "Versions": [{"Content", "EditedAt"}]} oldest first."""
    return {"MessageId": message["_id"],
            "Versions": [{"Content": v["content"], "EditedAt": iso(v.get("edited_at"))} for v in versions(message)]}


def changes_wire(chat, messages, rev, has_more, *, urls):
    """The sync-chat answer and `GET /chats/<id>/changes`: {"Messages" in Rev order, "Rev", "HasMore"}."""
    group = chat is not None and kind_of(chat).room
    return {"Messages": [message_out(m, urls, group=group) for m in messages], "Rev": rev, "HasMore": has_more}
