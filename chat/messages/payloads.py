"""What a client sends about messages, declared once for every transport and kind of chat: a send, a reaction
and a read position (PascalCase keys, unknown keys refused; marshmallow).

The plain schemas are `/self`'s payloads and the REST bodies (the chat is in the path); the `ChatId` and
`GroupId` variants add the id that names the chat on `/personal` and on `/group`.
"""
from marshmallow import Schema

from ..files.fields import ATTACHMENTS
from ..kernel.fields import CLIENT_ID, CONTENT, EMOJI, ID, REPLY_TO, THREAD_OF, StrictBoolean, Text


class SendSchema(Schema):
    """A send: `send-self-message`, and the body of `POST .../messages`."""

    Content = CONTENT
    ClientId = CLIENT_ID
    ReplyTo = REPLY_TO
    ThreadOf = THREAD_OF
    Attachments = ATTACHMENTS


class ReactSchema(Schema):
    """`react-message`: put (On true) or take back (On false) one reaction."""

    MessageId = Text(required=True, validate=ID)
    Emoji = EMOJI
    On = StrictBoolean(required=True)


class ReadSchema(Schema):
    """A read position: up to which message (default: the latest)."""

    UpTo = Text(validate=ID)


class ChatIdSchema(Schema):
    """A payload about one personal chat, on `/personal`."""

    ChatId = Text(required=True, validate=ID)


class GroupIdSchema(Schema):
    """A payload about one group, on `/group`."""

    GroupId = Text(required=True, validate=ID)


class SendPersonalSchema(ChatIdSchema, SendSchema):
    """`send-personal-message`."""


class SendGroupSchema(GroupIdSchema, SendSchema):
    """`send-group-message`."""


class ReactPersonalSchema(ChatIdSchema, ReactSchema):
    """`react-message` on `/personal`."""


class ReactGroupSchema(GroupIdSchema, ReactSchema):
    """`react-message` on `/group`."""


class ReadPersonalSchema(ChatIdSchema, ReadSchema):
    """`read-personal-message`."""


class ReadGroupSchema(GroupIdSchema, ReadSchema):
    """`read-group-message`."""
