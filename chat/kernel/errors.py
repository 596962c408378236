"""The one error envelope, for HTTP responses and Socket.IO acks alike.

Every failure becomes `{"error": {"code", "message", "fields"?}}`. Services raise
`ApiError` (through the named factories below); transports turn it into a response
or an ack. Nothing here imports Flask: the HTTP handlers are chat/error_handlers.py.
"""
from marshmallow import ValidationError
from pymongo.errors import ConnectionFailure, ServerSelectionTimeoutError, WriteConcernError


class ApiError(Exception):
    """A failure with a stable code, a human message and an HTTP status."""

    def __init__(self, code, message, status=400, fields=None, headers=None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.fields = fields
        self.headers = headers or {}

    def to_dict(self):
        """The `error` object of the envelope."""
        error = {"code": self.code, "message": self.message}
        if self.fields:
            error["fields"] = self.fields
        return error


def validation_error(fields, message="The request is not valid."):
    return ApiError("validation_error", message, 422, fields=_as_field_lists(fields))


def invalid_credentials():
    return ApiError("invalid_credentials", "Wrong login or password.", 401)


def unauthorized(message="Authentication is required."):
    return ApiError("unauthorized", message, 401)


def token_expired(message="The token has expired."):
    return ApiError("token_expired", message, 401)


def token_revoked(message="The token has been revoked."):
    return ApiError("token_revoked", message, 401)


def email_not_verified():
    return ApiError("email_not_verified", "Verify your email address before logging in.", 403)


def forbidden(message="You are not allowed to do that."):
    return ApiError("forbidden", message, 403)


def insufficient_scope(message="This token's scopes do not allow that."):
    """A personal access token without the scope a route needs, or on a route no token may use: 403."""
    return ApiError("insufficient_scope", message, 403)


def not_found(message="Not found."):
    return ApiError("not_found", message, 404)


def blocked(message="You cannot write to this user."):
    """The recipient has blocked the caller (SPEC v2): 403, and nothing was stored."""
    return ApiError("blocked", message, 403)


def conflict(code, message):
    return ApiError(code, message, 409)


def invalid_token(message="This link is invalid or has expired."):
    return ApiError("invalid_token", message, 400)


def rate_limited(retry_after):
    seconds = max(1, int(retry_after + 0.999))
    return ApiError("rate_limited", f"Too many requests; retry in {seconds} s.", 429,
                    headers={"Retry-After": str(seconds)})


def payload_too_large(message="The request is too large."):
    return ApiError("payload_too_large", message, 413)


def unavailable(message="The database is unavailable; nothing was changed. Try again shortly."):
    return ApiError("unavailable", message, 503, headers={"Retry-After": "5"})


DATABASE_DOWN = (ConnectionFailure, ServerSelectionTimeoutError)
# A writeConcernError (a replica set that could not replicate the write in time, a primary shutting down): the
# write is on the primary but not confirmed, so the answer is unavailable (it was a 500) and says that a retry
# is safe (docs/reliability.md).
UNCONFIRMED = ("The database did not confirm the change; it may have been stored. Try again shortly: a retry "
               "finds it (a send with the same ClientId is stored once).")


def _as_field_lists(fields):
    """Normalise marshmallow's nested messages to {"field": ["why", ...]}."""
    flat = {}
    for key, value in (fields or {}).items():
        if isinstance(value, dict):
            for sub_key, sub_value in _as_field_lists(value).items():
                flat[f"{key}.{sub_key}"] = sub_value
        elif isinstance(value, list):
            flat[str(key)] = [str(v) for v in value]
        else:
            flat[str(key)] = [str(value)]
    return flat


def from_exception(exc):
    """Map any exception raised below a transport to an ApiError, or None if it is a bug."""
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, ValidationError):
        messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
        return validation_error(messages)
    if isinstance(exc, DATABASE_DOWN):
        return unavailable()
    if isinstance(exc, WriteConcernError):
        return unavailable(UNCONFIRMED)
    return None

