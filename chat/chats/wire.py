"""How chat list entries go out on the wire (socket lists and the REST inbox share them)."""
from ..clock import iso
from ..groups.wire import group_out
from ..messages.schemas import message_out
from ..users.schemas import public_user


def personal_entry(chat, partner, last, unread, online):
    """A `PersonalChatList` entry."""
    return {"ChatId": chat["_id"], "Partner": {**public_user(partner), "Online": online},
            "LastMessage": message_out(last), "Unread": unread, "UpdatedAt": iso(chat["updated_at"])}


def group_entry(chat, last, unread):
    """A `GroupChatList` entry."""
    return {**group_out(chat), "LastMessage": message_out(last, group=True), "Unread": unread,
            "UpdatedAt": iso(chat["updated_at"])}
