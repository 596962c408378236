"""How chats go out on the wire: the chat list entries (socket lists and the REST inbox) and the partner."""
from ..clock import iso
from ..groups.wire import group_out
from ..kinds import GROUP, PERSONAL
from ..messages.schemas import message_out


def partner_of(chat, user_id):
    """The other member of a personal chat as a `User`, from the usernames the chat keeps."""
    partner_id = next(m for m in chat["members"] if m != str(user_id))
    return {"id": partner_id, "username": chat["names"][partner_id]}


def chat_list(rows, user_id, presence, with_kind=False):
    """The list entries of [(chat, last message, unread)] for user_id, with every partner's presence looked up
    at once: `PersonalChatList` entries ({"ChatId", "Partner" with "Online", ...}) and `GroupChatList` entries
    (a `Group` with ...), each with "LastMessage", "Unread", "UpdatedAt"; with_kind adds "Kind" (the inbox)."""
    partners = {chat["_id"]: partner_of(chat, user_id) for chat, _, _ in rows if chat["kind"] == PERSONAL}
    online = presence.online([partner["id"] for partner in partners.values()]) if partners else {}
    entries = []
    for chat, last, unread in rows:
        if chat["kind"] == PERSONAL:
            partner = partners[chat["_id"]]
            entry = {"ChatId": chat["_id"], "Partner": {**partner, "Online": online.get(partner["id"], False)}}
        else:
            entry = group_out(chat)
        entry.update(LastMessage=message_out(last, group=chat["kind"] == GROUP), Unread=unread,
                     UpdatedAt=iso(chat["updated_at"]))
        entries.append({"Kind": chat["kind"], **entry} if with_kind else entry)
    return entries
