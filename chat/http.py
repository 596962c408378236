"""Helpers for the HTTP edge: JSON bodies and query strings through marshmallow."""
from flask import request

from .errors import validation_error


def load_body(schema):
    """The request's JSON object loaded through schema; 422 for anything else."""
    if not request.is_json:
        raise validation_error({"_body": ["Send a JSON object with Content-Type: application/json."]})
    try:
        data = request.get_json(silent=False)
    except (ValueError, RecursionError):
        data = None
    except Exception as exc:  # werkzeug's BadRequest for malformed JSON
        if getattr(exc, "code", None) == 413:
            raise
        data = None
    if not isinstance(data, dict):
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
