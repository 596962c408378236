"""marshmallow schemas of the webhook routes: what they load (strict) and, for /openapi.json, what they answer."""
from marshmallow import EXCLUDE, Schema, fields, validate

from ..kernel.fields import CONTENT, Text

NAME = validate.Length(min=1, max=80)


class CreateWebhookSchema(Schema):
    """`POST /groups/<id>/webhooks`: {"Name"} makes an incoming webhook, {"Name", "Url"} an outgoing one."""

    Name = Text(required=True, validate=NAME)
    Url = Text(validate=validate.Length(min=1, max=2048))


class IncomingPostSchema(Schema):
    """`POST /hooks/<secret>`: {"Content"}, as a send."""

    Content = CONTENT


class _Doc(Schema):
    class Meta:
        unknown = EXCLUDE


class CreatedWebhook(_Doc):
    WebhookId = fields.String(required=True)
    Url = fields.String(metadata={"description": "Incoming: the secret URL to POST {\"Content\"} to (shown once)."})
    Secret = fields.String(metadata={"description": "Outgoing: the HMAC key of X-Chat-Signature (shown once)."})


class Webhook(_Doc):
    WebhookId = fields.String(required=True)
    Kind = fields.String(required=True, validate=validate.OneOf(["incoming", "outgoing"]))
    Name = fields.String(required=True)
    Url = fields.String(required=True, allow_none=True, metadata={"description": "Outgoing: where it POSTs; "
                                                                                  "incoming: null."})
    BotId = fields.String(required=True, allow_none=True, metadata={"description": "Incoming: the bot user."})
    CreatedAt = fields.DateTime(required=True)
    Disabled = fields.Boolean(required=True, metadata={"description": "Outgoing: failed for too long."})


class WebhookList(_Doc):
    Webhooks = fields.List(fields.Nested(Webhook), required=True)
