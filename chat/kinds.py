"""The kinds of chat, how each one's id is made, and how a transport names the chat an operation is about."""
from dataclasses import dataclass

SELF, PERSONAL, GROUP = "self", "personal", "group"


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

    kind: str = None
    chat_id: str = None
    partner_id: str = None

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
