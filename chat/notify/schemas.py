"""What the notification routes load (strictly: unknown keys are refused) and answer."""
from marshmallow import EXCLUDE, Schema, fields, validate

from ..kernel.fields import Text
from .endpoints import MAX_ENDPOINT_CHARS
from .service import EMAIL_CHOICES


class KeysSchema(Schema):
    p256dh = Text(required=True, validate=validate.Length(min=1, max=200),
                  metadata={"description": "The browser's P-256 public key, base64url (65 bytes)."})
    auth = Text(required=True, validate=validate.Length(min=1, max=200),
                metadata={"description": "The 16-byte authentication secret, base64url."})


class SubscriptionSchema(Schema):
    """`POST /me/push-subscriptions`: the browser's `PushSubscription.toJSON()`."""

    endpoint = Text(required=True, validate=validate.Length(min=1, max=MAX_ENDPOINT_CHARS),
                    metadata={"description": "The push service URL: https, a public host."})
    keys = fields.Nested(KeysSchema, required=True)
    expirationTime = fields.Float(allow_none=True, load_default=None, metadata={
        "description": "Accepted and ignored (browsers send null)."})


class EndpointSchema(Schema):
    """`DELETE /me/push-subscriptions`: which subscription (the whole PushSubscription JSON may be sent)."""

    endpoint = Text(required=True, validate=validate.Length(min=1, max=MAX_ENDPOINT_CHARS))
    keys = fields.Dict(keys=Text(), values=Text(), metadata={"description": "Ignored."})
    expirationTime = fields.Float(allow_none=True, metadata={"description": "Ignored."})


class SettingsPatchSchema(Schema):
    """`PATCH /me/settings`: the settings to change."""

    EmailNotifications = Text(validate=validate.OneOf(EMAIL_CHOICES), metadata={
        "description": "Email digests: all unread chats, only personal messages and mentions, or none."})


class TokenQuerySchema(Schema):
    token = Text(required=True, validate=validate.Length(min=1, max=200),
                 metadata={"description": "The token of the digest's unsubscribe link."})


def _reply(name, **schema_fields):
    meta = type("Meta", (), {"unknown": EXCLUDE})
    return type(name, (Schema,), {"__module__": __name__, "Meta": meta, **schema_fields})


PublicKeyReply = _reply("PushPublicKey", PublicKey=fields.String(required=True, metadata={
    "description": "The VAPID application server key (uncompressed P-256 point, base64url)."}))
SubscribedReply = _reply("PushSubscribed", endpoint=fields.String(required=True),
                         created=fields.Boolean(required=True))
SettingsReply = _reply("NotificationSettings", EmailNotifications=fields.String(
    required=True, validate=validate.OneOf(EMAIL_CHOICES)))
