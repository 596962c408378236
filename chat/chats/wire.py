"""How chats go out on the wire: the chat list entries (socket lists and the REST inbox) and the partner."""
from ..groups.wire import group_out
from ..kernel.clock import iso, utcnow
from ..messages.schemas import message_out
from .mute import mute_wire


def partner_of(chat, user_id):
    """The other member of a personal chat as a `User`, from the usernames the chat keeps."""
    partner_id = next(m for m in chat.members if m != str(user_id))
    return {"id": partner_id, "username": chat.names[partner_id], "Bot": partner_id in chat.bots}


def chat_list(rows, user_id, presence, *, urls, with_kind=False, mentions=None):
    """The list entries of [(chat, last message, unread)] for user_id, with every partner's presence looked up
    at once: `PersonalChatList` entries ({"ChatId", "Partner" with "Online", "PartnerRead", "Closed", ...}) and
    `GroupChatList` entries
    (a `Group` with ... and "UnreadMentions", from mentions: {group id: count}), each with "LastMessage",
    "Unread", "UpdatedAt", "Rev" (the chat's revision), "Muted", "MutedUntil"; with_kind adds "Kind" (the
    inbox). A partner who blocked the
    user, or whom the user blocked, reads as offline. urls: the file URL signer (chat/files/urls.py)."""
    partners = {chat.id: partner_of(chat, user_id) for chat, _, _ in rows if chat.is_personal}
    online = presence.online([partner["id"] for partner in partners.values()]) if partners else {}
    entries, now = [], utcnow()
    for chat, last, unread in rows:
        if chat.is_personal:
            partner = partners[chat.id]
            shown = online.get(partner["id"], False) and not chat.blocked  # a block hides both ways
            # PartnerRead: the Seq the partner has read up to (read ticks after a reload); Closed: the partner
            # deleted their account (the history stays, nobody can send)
            entry = {"ChatId": chat.id, "Partner": {**partner, "Online": shown},
                     "PartnerRead": chat.read_by(partner["id"]), "Closed": chat.closed}
        else:
            entry = {**group_out(chat), "UnreadMentions": (mentions or {}).get(chat.id, 0)}
        entry.update(LastMessage=message_out(last, urls, group=chat.is_group), Unread=unread,
                     UpdatedAt=iso(chat.updated_at), Rev=chat.rev, **mute_wire(chat, user_id, now))
        entries.append({"Kind": chat.kind, **entry} if with_kind else entry)
    return entries
