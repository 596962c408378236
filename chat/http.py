"""Helpers for the HTTP edge: JSON bodies and query strings through marshmallow, and per-user limits."""
import functools

from flask import current_app, request

from .errors import validation_error


def json_object():
    """The request body as a dict, or None when it is not a JSON object (never raises for bad JSON)."""
    if not request.is_json:
        return None
    try:
        data = request.get_json(silent=True)
    except RecursionError:  # absurdly deep nesting
        return None
    return data if isinstance(data, dict) else None


def load_body(schema):
    """The request's JSON object loaded through schema; 422 for anything else."""
    if not request.is_json:
        raise validation_error({"_body": ["Send a JSON object with Content-Type: application/json."]})
    data = json_object()
    if data is None:
        raise validation_error({"_body": ["The body must be a JSON object."]})
    return schema.load(data)


def load_optional_body(schema):
    """Like load_body, but an empty body counts as {}."""
    if not request.get_data(cache=True):
        return schema.load({})
    return load_body(schema)


def load_query(schema):
    """The query string loaded through schema (repeated keys are a validation error)."""
    args = {}
    for key in request.args:
        values = request.args.getlist(key)
        if len(values) > 1:
            raise validation_error({key: ["Give this parameter once."]})
        args[key] = values[0]
    return schema.load(args)


def counted(category):
    """Count a chat call against the same per-user limits as the socket events of its category
    (chat/sockets/ratelimit.py), so REST is no way around them; per "connection" here means per client address.
    Answers 429 rate_limited with Retry-After when a limit is exceeded. Use below @jwt_required()."""
    def decorate(view):
        @functools.wraps(view)
        def limited(*args, **kwargs):
            from flask_jwt_extended import get_jwt_identity
            limits = current_app.extensions["chat.socket_limits"]
            limits.hit(category, get_jwt_identity(), f"http:{request.remote_addr}")
            return view(*args, **kwargs)
        limited.rate_category = category  # the OpenAPI description lists 429 for these
        return limited
    return decorate
