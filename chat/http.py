"""The HTTP edge shared by every blueprint: each route's input and output declared once (`endpoint`), JSON
bodies and query strings loaded through marshmallow, per-user limits, the caller, a sent message's answer, and
flask-jwt-extended's callbacks (the session check and the one error envelope).
"""
import functools
from dataclasses import dataclass, field

from flask import current_app, jsonify, request
from flask_jwt_extended import get_jwt_identity
from marshmallow import ValidationError

from .kernel.errors import ApiError, from_exception, token_expired, token_revoked, unauthorized, validation_error
from .kernel.kinds import kind_of
from .messages.schemas import message_out
from .services import services


@dataclass(frozen=True)
class Operation:
    """What one endpoint loads, wants and answers: the declaration that validates its requests and that
    `/openapi.json` is built from (chat/openapi.py).

    `ok`: {status: response}. `query`, `body`: marshmallow schema classes, loaded before the view runs and
    passed to it as `query=` and `body=`. `errors`: {status: description, or None for the usual one}; 401
    comes with `auth` (and 403 with it, for personal access tokens), 413 and 422 with a body, 422 with a query,
    503 with `db`. `html_errors`: browsers get a page with these statuses instead; `refused`, a function of the
    ApiError, answers a refused load then.
    """

    ok: dict
    query: type | None = None
    body: type | None = None
    body_required: bool = True
    form: type | None = None  # a form post (application/x-www-form-urlencoded) loaded as the body, for pages
    multipart: dict | None = None  # a multipart/form-data body (an OpenAPI schema): documented only, the view reads it
    auth: str | None = None  # "access" or "refresh"
    # With auth: what a personal access token needs to call the route, one of chat/tokens/scopes.py's SCOPES,
    # or NO_TOKENS (account management: tokens are refused). `@bearer_required()` (chat/bearer.py) enforces it.
    scope: str | None = None
    errors: dict = field(default_factory=dict)
    db: bool = True
    html_errors: tuple = ()
    refused: object = None


def endpoint(ok, **declared):
    """Declare a route (see Operation): its query and body are loaded through their schemas before the view
    runs, and the same declaration documents it. Put it right above the view, below @bearer_required()."""
    operation = Operation(ok, **declared)

    def decorate(view):
        @functools.wraps(view)
        def loaded(*args, **kwargs):
            try:
                if operation.query:
                    kwargs["query"] = load_query(operation.query())
                if operation.body:
                    load = load_body if operation.body_required else load_optional_body
                    kwargs["body"] = load(operation.body())
                if operation.form:
                    kwargs["body"] = operation.form().load(_single_values(request.form))
            except (ApiError, ValidationError) as exc:
                if operation.refused is None:
                    raise
                return operation.refused(from_exception(exc))
            return view(*args, **kwargs)
        loaded.operation = operation
        return loaded
    return decorate


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
    return schema.load(_single_values(request.args))


def _single_values(multidict):
    values = {}
    for key in multidict:
        given = multidict.getlist(key)
        if len(given) > 1:
            raise validation_error({key: ["Give this parameter once."]})
        values[key] = given[0]
    return values


def counted(category):
    """Count a chat call against the same per-user limits as the socket events of its category
    (chat/sockets/ratelimit.py), so REST is no way around them; per "connection" here means per client address.
    Answers 429 rate_limited with Retry-After when a limit is exceeded. Use below @bearer_required()."""
    def decorate(view):
        @functools.wraps(view)
        def limited(*args, **kwargs):
            limits = current_app.extensions["chat.socket_limits"]
            limits.hit(category, get_jwt_identity(), f"http:{request.remote_addr}")
            return view(*args, **kwargs)
        limited.rate_category = category  # the OpenAPI description lists 429 for these
        return limited
    return decorate


def caller():
    """The authenticated user as {"id", "username", "Bot"} (the sender is never taken from a body)."""
    user = services().users.get(get_jwt_identity())
    return {"id": str(user["_id"]), "username": user["username"], "Bot": bool(user.get("bot"))}


def sent(chat, message, created):
    """Answer a send: 201 {"Message"}, or 200 with the stored one for a repeated ClientId (the service has
    announced a new one)."""
    return {"Message": message_out(message, services().file_urls, group=kind_of(chat).room)}, 201 if created else 200


def history_page(user, ref, query):
    """(chat, messages, has_more) of the chat ref names, for a loaded history query (before/after/limit)."""
    return services().messages.page(user, ref, query.get("before"), query.get("after"), query.get("limit"))


def register_jwt_callbacks(jwt):
    """Route flask-jwt-extended's checks and errors through the session store and the one envelope."""
    def envelope(error):
        return jsonify({"error": error.to_dict()}), error.status

    @jwt.token_in_blocklist_loader
    def is_revoked(_header, payload):
        return not services().auth.session_is_active(payload.get("sid"), payload.get("sub"))

    @jwt.expired_token_loader
    def expired(_header, _payload):
        return envelope(token_expired())

    @jwt.revoked_token_loader
    def revoked(_header, _payload):
        return envelope(token_revoked())

    @jwt.invalid_token_loader
    def invalid(reason):
        return envelope(unauthorized(f"Invalid token: {reason}"))

    @jwt.unauthorized_loader
    def missing(reason):
        return envelope(unauthorized(f"Authentication is required: {reason}"))

    @jwt.user_lookup_error_loader
    def unknown_user(_header, _payload):
        return envelope(unauthorized("The token's user no longer exists."))
