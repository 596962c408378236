"""The HTTP edge of the one error envelope (chat/kernel/errors.py): every error Flask can see becomes
`{"error": {"code", "message", "fields"?}}` with its status.
"""
from flask import jsonify
from marshmallow import ValidationError
from pymongo.errors import ConnectionFailure, WriteConcernError
from werkzeug.exceptions import HTTPException

from .kernel.errors import ApiError, from_exception, payload_too_large, rate_limited, unavailable


def register_error_handlers(app):
    """Route every error Flask can see through the one envelope."""
    def respond(error):
        # A few refusals carry more than the error (otp_required: its mfa_token, chat/auth/twofactor.py).
        response = jsonify({"error": error.to_dict(), **getattr(error, "extra", {})})
        response.status_code = error.status
        response.headers.update(error.headers)
        return response

    @app.errorhandler(ApiError)
    def handle_api_error(exc):
        return respond(exc)

    @app.errorhandler(ValidationError)
    def handle_validation_error(exc):
        return respond(from_exception(exc))

    @app.errorhandler(ConnectionFailure)
    def handle_database_down(exc):
        app.logger.warning("database unavailable: %s", exc)
        return respond(unavailable())

    @app.errorhandler(WriteConcernError)
    def handle_unconfirmed_write(exc):
        app.logger.warning("database write not confirmed: %s", exc)
        return respond(from_exception(exc))

    @app.errorhandler(HTTPException)
    def handle_http_exception(exc):
        status = exc.code or 500
        if status == 429:
            retry_after = exc.get_response().headers.get("Retry-After")
            return respond(rate_limited(float(retry_after) if retry_after else 60))
        if status == 413:
            return respond(payload_too_large())
        code = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
                405: "method_not_allowed", 415: "validation_error"}.get(status, "http_error")
        kept = {k: v for k, v in exc.get_headers() if k.lower() == "allow"}  # 405 must say what is allowed
        return respond(ApiError(code, exc.description or exc.name, status, headers=kept))

    @app.errorhandler(Exception)
    def handle_unexpected(exc):
        # HTTPExceptions never get here: Flask picks the handler of the nearest class in the MRO.
        app.logger.exception("unhandled error")
        return respond(ApiError("internal_error", "Something went wrong on our side.", 500))
