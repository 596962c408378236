"""The kinds of chat, how each one's id is made, and how a transport names the chat an operation is about.

`KINDS` is the one table of what differs between the kinds on the wire (namespace, id key, event names): code
looks a chat's kind up here (`kind_of`, or a `Chat` record's `spec`, chat/kernel/records.py) instead of
branching on its kind's name.
"""
from dataclasses import dataclass

SELF, PERSONAL, GROUP = "self", "personal", "group"


@dataclass(frozen=True)
class Kind:
    """One kind of chat on the wire.

    `namespace`: its Socket.IO namespace. `id_key`: the key its id goes by ("ChatId" or "GroupId").
    `names_chat`: whether its message pushes carry that id (the self chat's do not: it is the user's own).
    `room`: whether its pushes go to one room of the chat (a group) rather than to each member's user room.
    """

    name: str
    namespace: str
    id_key: str
    names_chat: bool
    room: bool

    @property
    def sent_event(self):
        """The push of a new message: `receive-<kind>-message`."""
        return f"receive-{self.name}-message"

    def changed_event(self, verb):
        """The push of an edit or a delete: `<kind>-message-edited|deleted`."""
        return f"{self.name}-message-{verb}"

    @property
    def read_event(self):
        """The push of a read receipt: `read-<kind>-msg-ack`."""
        return f"read-{self.name}-msg-ack"


KINDS = {
    SELF: Kind(SELF, "/self", "ChatId", names_chat=False, room=False),
    PERSONAL: Kind(PERSONAL, "/personal", "ChatId", names_chat=True, room=False),
    GROUP: Kind(GROUP, "/group", "GroupId", names_chat=True, room=True),
}


def message_events():
    """Every name of a message push the table makes (new, edited, deleted; read receipts where a chat is named)."""
    return [name for kind in KINDS.values()
            for name in (kind.sent_event, kind.changed_event("edited"), kind.changed_event("deleted"),
                         kind.read_event if kind.names_chat else None) if name]


def kind_of(chat):
    """The `Kind` of a chat record (chat/kernel/records.py) or of a kind's name."""
    return KINDS[chat if isinstance(chat, str) else chat.kind]


def pair_key(user_a, user_b):
    """The id of the personal chat between two users, whatever the order."""
    return ":".join(sorted((str(user_a), str(user_b))))


@dataclass(frozen=True)
class ChatRef:
    """The chat an operation is about, as the request names it.

    `kind` None means any kind the user is a member of (REST calls by chat id). A personal chat may be
    named by its partner (then it is created on first use by a send or a first page), by its id, or both
    (the id must then be the pair's). The self chat needs no id: it is the user's own.
    """

    kind: str | None = None
    chat_id: str | None = None
    partner_id: str | None = None

    @classmethod
    def self_chat(cls):
        return cls(SELF)

    @classmethod
    def personal(cls, chat_id=None, partner_id=None):
        return cls(PERSONAL, chat_id, partner_id)

    @classmethod
    def group(cls, group_id):
        return cls(GROUP, group_id)

    @classmethod
    def any(cls, chat_id):
        return cls(None, chat_id)
