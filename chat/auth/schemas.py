"""marshmallow schemas for the auth bodies (unknown keys and wrong types are rejected)."""
from marshmallow import Schema, fields, validate

USERNAME = validate.Regexp(r"^[A-Za-z0-9_.-]{3,32}$",
                           error="3 to 32 characters: letters, digits, '_', '.' or '-'.")


class SignupSchema(Schema):
    username = fields.String(required=True, validate=USERNAME)
    email = fields.Email(required=True, validate=validate.Length(max=254))
    password = fields.String(required=True, validate=validate.Length(min=8, max=128))


class ResendSchema(Schema):
    email = fields.Email(required=True, validate=validate.Length(max=254))


class LoginSchema(Schema):
    login = fields.String(required=True, validate=validate.Length(min=1, max=254))
    password = fields.String(required=True, validate=validate.Length(min=1, max=128))


class LogoutSchema(Schema):
    refresh_token = fields.String(validate=validate.Length(max=4096))


class VerifyQuerySchema(Schema):
    token = fields.String(required=True, validate=validate.Length(min=1, max=512))
