"""marshmallow schemas for the auth bodies (unknown keys and wrong types are rejected)."""
from marshmallow import Schema, ValidationError, validate

from ..kernel.fields import Email, Text


class WholeMatch(validate.Regexp):
    """A Regexp the whole value must match: re.match with "$" lets a final "\\n" through."""

    def __call__(self, value):
        if self.regex.fullmatch(value) is None:
            raise ValidationError(self._format_error(value))
        return value


# ASCII letters, digits and "_.-" only, and nothing else: no control, zero-width or bidi (override, embedding,
# isolate) character can reach a username. The pattern stays ECMA-compatible for /openapi.json.
USERNAME = WholeMatch(r"^[A-Za-z0-9_.-]{3,32}$", error="3 to 32 characters: letters, digits, '_', '.' or '-'.")
PASSWORD = validate.Length(min=8, max=128)  # a new password
GIVEN_PASSWORD = validate.Length(min=1, max=128)  # the account's password, to check


class SignupSchema(Schema):
    username = Text(required=True, validate=USERNAME)
    email = Email(required=True, validate=validate.Length(max=254))
    password = Text(required=True, validate=PASSWORD)


class ResendSchema(Schema):
    email = Email(required=True, validate=validate.Length(max=254))


class LoginSchema(Schema):
    login = Text(required=True, validate=validate.Length(min=1, max=254))
    password = Text(required=True, validate=GIVEN_PASSWORD)


class LogoutSchema(Schema):
    refresh_token = Text(validate=validate.Length(max=4096))


class VerifyQuerySchema(Schema):
    token = Text(required=True, validate=validate.Length(max=512))  # empty: invalid_token, as an unknown one


class ForgotPasswordSchema(Schema):
    email = Email(required=True, validate=validate.Length(max=254))


class ResetPasswordSchema(Schema):
    token = Text(required=True, validate=validate.Length(min=1, max=512))
    password = Text(required=True, validate=PASSWORD)


class ChangePasswordSchema(Schema):
    current_password = Text(required=True, validate=GIVEN_PASSWORD)
    new_password = Text(required=True, validate=PASSWORD)


class ChangeEmailSchema(Schema):
    email = Email(required=True, validate=validate.Length(max=254))
    password = Text(required=True, validate=GIVEN_PASSWORD)


class DeleteAccountSchema(Schema):
    password = Text(required=True, validate=GIVEN_PASSWORD)


class CancelEmailChangeSchema(Schema):
    token = Text(required=True, validate=validate.Length(min=1, max=512))


class ResetPageQuerySchema(Schema):
    token = Text(load_default="", validate=validate.Length(max=512))
