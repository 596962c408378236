"""`GET /openapi.json`: the REST API as an OpenAPI 3 document, generated with apispec.

Requests (query strings and JSON bodies) are described by the very marshmallow schemas the routes
load, through apispec's MarshmallowPlugin; responses by the small documentation schemas below, which
say what the routes dump. `OPERATIONS` is the one table that says, per endpoint, what a route loads,
which token it wants and what it answers; `tests/test_openapi.py` fails when it drifts from
`app.url_map` or from what the routes really load. Summaries come from the views' docstrings.
"""
import re
from dataclasses import dataclass, field

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, current_app
from marshmallow import EXCLUDE, Schema, fields, validate

from .auth.schemas import LoginSchema, LogoutSchema, ResendSchema, SignupSchema, VerifyQuerySchema
from .chats.schemas import EditBodySchema, HistoryQuerySchema, InboxQuerySchema, ReadBodySchema, SendBodySchema
from .users.schemas import SearchQuerySchema

bp = Blueprint("openapi", __name__)


# Documentation schemas for responses (never used to load anything). Open to additions: EXCLUDE
# leaves `additionalProperties` out, so a client may ignore keys a later version adds.

class _Out(Schema):
    class Meta:
        unknown = EXCLUDE


def _req(cls, **kwargs):
    return cls(required=True, **kwargs)


class Error(_Out):
    code = _req(fields.String, metadata={"description": "Stable snake_case code: build on this."})
    message = _req(fields.String, metadata={"description": "Human text; may change."})
    fields_ = fields.Dict(keys=fields.String(), values=fields.List(fields.String()), data_key="fields",
                          metadata={"description": "validation_error only: field name → reasons."})


class ErrorEnvelope(_Out):
    error = _req(fields.Nested, nested=Error)


class User(_Out):
    id = _req(fields.String)
    username = _req(fields.String)


class OwnUser(User):
    email = _req(fields.String)
    verified = _req(fields.Boolean)


class Message(_Out):
    MessageId = _req(fields.String)
    ChatId = fields.String(metadata={"description": "Self and personal chats (GroupId in groups)."})
    GroupId = fields.String(metadata={"description": "Group chats (ChatId elsewhere)."})
    Sender = _req(fields.Nested, nested=User)
    Content = _req(fields.String, metadata={"description": "Empty when Deleted."})
    CreatedAt = _req(fields.DateTime)
    EditedAt = _req(fields.DateTime, allow_none=True)
    Deleted = _req(fields.Boolean)
    ClientId = _req(fields.String, allow_none=True)
    Seq = _req(fields.Integer)


class Group(_Out):
    GroupId = _req(fields.String)
    Name = _req(fields.String)
    Description = _req(fields.String)
    Admin = _req(fields.Nested, nested=User, allow_none=True)
    Members = _req(fields.List, cls_or_instance=fields.Nested(User))
    CreatedAt = _req(fields.DateTime)


class Partner(User):
    Online = _req(fields.Boolean)


class InboxEntry(_Out):
    """Kind personal: ChatId and Partner; kind group: the fields of a Group."""
    Kind = _req(fields.String, validate=validate.OneOf(["personal", "group"]))
    ChatId = fields.String()
    Partner = fields.Nested(Partner)
    GroupId = fields.String()
    Name = fields.String()
    Description = fields.String()
    Admin = fields.Nested(User, allow_none=True)
    Members = fields.List(fields.Nested(User))
    CreatedAt = fields.DateTime()
    LastMessage = _req(fields.Nested, nested=Message, allow_none=True)
    Unread = _req(fields.Integer)
    UpdatedAt = _req(fields.DateTime)


def _body(name, **schema_fields):
    """A documentation schema class for a response body, built from keyword fields."""
    return type(name, (_Out,), {"__module__": __name__, **schema_fields})


TOKENS = {"access_token": _req(fields.String), "refresh_token": _req(fields.String)}
PAGE = {"Messages": _req(fields.List, cls_or_instance=fields.Nested(Message)), "HasMore": _req(fields.Boolean)}
SENT = _body("MessageReply", Message=_req(fields.Nested, nested=Message))
RESPONSES = {
    "signup": _body("SignupReply", user=_req(fields.Nested, nested=OwnUser), email_sent=_req(fields.Boolean)),
    "verify": _body("VerifyReply", verified=_req(fields.Boolean), user=_req(fields.Nested, nested=OwnUser)),
    "status": _body("StatusReply", status=_req(fields.String)),
    "login": _body("LoginReply", **TOKENS, user=_req(fields.Nested, nested=OwnUser)),
    "tokens": _body("TokenPair", **TOKENS),
    "me": _body("MeReply", user=_req(fields.Nested, nested=OwnUser)),
    "users": _body("UserList", users=_req(fields.List, cls_or_instance=fields.Nested(User))),
    "inbox": _body("Inbox", state=_req(fields.Nested, nested=_body(
        "InboxState", **{k: _req(fields.Integer) for k in ("page", "per_page", "total", "total_pages")})),
        entries=_req(fields.List, cls_or_instance=fields.Nested(InboxEntry))),
    "personal": _body("PersonalPage", ChatId=_req(fields.String), UserId=_req(fields.String),
                      User=_req(fields.Nested, nested=User), Partner=_req(fields.Nested, nested=User), **PAGE),
    "self": _body("SelfPage", Name=_req(fields.String), **PAGE),
    "group": _body("GroupReply", Group=_req(fields.Nested, nested=Group)),
    "group_page": _body("GroupPage", GroupId=_req(fields.String), Group=_req(fields.Nested, nested=Group), **PAGE),
    "receipt": _body("ReadReceipt", ChatId=fields.String(), GroupId=fields.String(), Moved=_req(fields.Boolean),
                     ReaderId=fields.String(), UpTo=fields.String(), ReadAt=fields.DateTime()),
    "health": _body("Health", status=_req(fields.String, validate=validate.OneOf(["ok", "degraded", "unavailable"])),
                    db=_req(fields.String, validate=validate.OneOf(["ok", "unreachable"])),
                    redis=fields.String(validate=validate.OneOf(["ok", "unreachable"]),
                                        metadata={"description": "Only with REDIS_URL set."}),
                    error=fields.Nested(Error, metadata={"description": "Only with 503."})),
    "client_config": _body("ClientConfig", devOutbox=_req(fields.String, allow_none=True)),
}


def json_response(schema, description):
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def html_response(description):
    return {"description": description, "content": {"text/html": {"schema": {"type": "string"}}}}


RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}}
ERRORS = {  # status → what it means, unless an operation says more
    400: "`invalid_token`.",
    401: "`unauthorized`, `token_expired` or `token_revoked`.",
    403: "`forbidden`.",
    404: "`not_found`.",
    409: "`conflict`.",
    413: "`payload_too_large`: the body is larger than MAX_BODY_BYTES.",
    422: "`validation_error`, with `fields`.",
    429: "`rate_limited`; see Retry-After.",
    503: "`unavailable`: the database is unreachable and nothing was changed; see Retry-After.",
}


@dataclass(frozen=True)
class Operation:
    """What one endpoint loads, wants and answers.

    `ok`: {status: response object}. `errors`: {status: description, or None for the default one};
    401 comes with `auth`, 413 and 422 with a body, 422 with a query, 503 with `db`.
    """

    ok: dict
    query: type = None
    body: type = None
    body_required: bool = True
    auth: str = None  # "access" or "refresh"
    errors: dict = field(default_factory=dict)
    db: bool = True


def _ok(key, description, status=200):
    return {status: json_response(RESPONSES[key], description)}


SEND_OK = {201: json_response(SENT, "Stored and pushed to the chat's sockets."),
           200: json_response(SENT, "A repeated ClientId: the message stored the first time.")}
OPERATIONS = {
    "auth.signup": Operation(_ok("signup", "The unverified account; a verification mail was sent.", 201),
                             body=SignupSchema, errors={409: "`username_taken` or `email_taken`.", 429: None}),
    "auth.verify": Operation(
        {200: {"description": "Verified (also when clicked again): JSON, or a page for browsers.",
               "content": {"application/json": {"schema": RESPONSES["verify"]}, "text/html": {"schema": {"type": "string"}}}},
         303: {"description": "Browsers, when CLIENT_URL is set: to CLIENT_URL/?verified=1.",
               "headers": {"Location": {"schema": {"type": "string"}}}}},
        query=VerifyQuerySchema,
        errors={400: "`invalid_token` (unknown, expired, superseded); browsers get an HTML page for every failure."}),
    "auth.resend": Operation(_ok("status", "The same answer whether or not the address has an account.", 202),
                             body=ResendSchema, errors={429: None}),
    "auth.login": Operation(_ok("login", "A new session's token pair."), body=LoginSchema,
                            errors={401: "`invalid_credentials` (the same for an unknown login).",
                                    403: "`email_not_verified` (only after a correct password).", 429: None}),
    "auth.refresh": Operation(_ok("tokens", "A new pair; the refresh token sent is used up."), auth="refresh",
                              errors={401: "`unauthorized`, `token_expired`, or `token_revoked` (also on reuse, "
                                           "which ends the session).", 429: None}),
    "auth.logout": Operation(_ok("status", "The session is ended and its sockets are closed."), auth="access",
                             body=LogoutSchema, body_required=False),
    "users.me": Operation(_ok("me", "The caller, with email and verified."), auth="access"),
    "users.search": Operation(_ok("users", "At most 20 verified users, by username."), auth="access",
                              query=SearchQuerySchema),
    "users.get_user": Operation({200: json_response(User, "The user.")}, auth="access", errors={404: None}),
    "chats.inbox": Operation(_ok("inbox", "One page of the inbox."), auth="access", query=InboxQuerySchema),
    "chats.personal_history": Operation(_ok("personal", "A history page."), auth="access", query=HistoryQuerySchema,
                                        errors={404: "`not_found`: no such verified user."}),
    "chats.personal_send": Operation(SEND_OK, auth="access", body=SendBodySchema,
                                     errors={404: "`not_found`: no such verified user."}),
    "chats.self_history": Operation(_ok("self", "A history page."), auth="access", query=HistoryQuerySchema),
    "chats.self_send": Operation(SEND_OK, auth="access", body=SendBodySchema),
    "chats.edit_message": Operation({200: json_response(SENT, "The edited message.")}, auth="access",
                                    body=EditBodySchema, errors={403: "`forbidden`: not the author.", 404: None}),
    "chats.delete_message": Operation({200: json_response(SENT, "The deleted message (it keeps its Seq).")},
                                      auth="access", errors={403: "`forbidden`: not the author.", 404: None}),
    "chats.mark_read": Operation(_ok("receipt", "Where the caller's read position is; Moved says if it moved."),
                                 auth="access", body=ReadBodySchema, body_required=False, errors={404: None}),
    "groups.detail": Operation(_ok("group", "The group."), auth="access", errors={404: "`not_found`: not a member."}),
    "groups.group_history": Operation(_ok("group_page", "A history page."), auth="access", query=HistoryQuerySchema,
                                      errors={404: "`not_found`: not a member."}),
    "groups.group_send": Operation(SEND_OK, auth="access", body=SendBodySchema,
                                   errors={404: "`not_found`: not a member."}),
    "health.health": Operation({200: json_response(RESPONSES["health"], "Up, and the database answers."),
                                503: {**json_response(RESPONSES["health"], "The database is unreachable "
                                                                           "(with the error envelope).")}},
                               db=False),
    "web.index": Operation({200: html_response("The web client (or how to build it).")}, db=False),
    "web.client_config": Operation(_ok("client_config", "What the client shows before sign-in."), db=False),
    "openapi.spec": Operation({200: {"description": "This document.",
                                     "content": {"application/json": {"schema": {"type": "object"}}}}}, db=False),
}

SECURITY_SCHEMES = {
    "access": ("accessToken", "An access token (from POST /login or POST /refresh)."),
    "refresh": ("refreshToken", "A refresh token: POST /refresh only."),
}


def openapi_path(rule):
    """`/users/<user_id>` → `/users/{user_id}`."""
    return re.sub(r"<(?:[^<>:]+:)?([^<>]+)>", r"{\1}", rule.rule)


def _operation(rule, view, op):
    doc = (view.__doc__ or "").strip()
    summary, _, description = doc.partition("\n")
    operation = {"operationId": rule.endpoint, "tags": [rule.endpoint.split(".")[0]], "summary": summary.strip()}
    if description.strip():
        operation["description"] = " ".join(description.split())
    parameters = [{"in": "path", "name": name, "required": True,
                   "schema": {"type": "string", "minLength": 1, "pattern": "^[^/]+$"}}
                  for name in sorted(rule.arguments)]
    if op.query:
        parameters.append({"in": "query", "schema": op.query})
    if parameters:
        operation["parameters"] = parameters
    if op.body:
        operation["requestBody"] = {"required": op.body_required,
                                    "content": {"application/json": {"schema": op.body}}}
    if op.auth:
        operation["security"] = [{SECURITY_SCHEMES[op.auth][0]: []}]
    statuses = dict(op.errors)
    statuses.update({401: statuses.get(401)} if op.auth else {})
    statuses.update({413: None, 422: statuses.get(422)} if op.body else {})
    statuses.update({422: statuses.get(422)} if op.query else {})
    statuses.update({503: None} if op.db else {})
    responses = {str(status): response for status, response in op.ok.items()}
    for status in sorted(statuses):
        response = json_response(ErrorEnvelope, statuses[status] or ERRORS[status])
        if status in (429, 503):
            response["headers"] = RETRY_AFTER
        responses[str(status)] = response
    operation["responses"] = responses
    return operation


def build_spec(app):
    """The OpenAPI 3 document (a dict) for every route of app but `static`."""
    spec = APISpec(title="Chat backend REST API", version="1", openapi_version="3.0.3",
                   plugins=[MarshmallowPlugin()],
                   info={"description": "The REST side of the chat backend (docs/api.md). Errors are "
                                        "`{\"error\": {\"code\", \"message\", \"fields\"?}}`."})
    for scheme, description in SECURITY_SCHEMES.values():
        spec.components.security_scheme(scheme, {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                                                 "description": description})
    for schema in (Error, ErrorEnvelope, User, OwnUser, Message, Group):
        spec.components.schema(schema.__name__, schema=schema)
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        if rule.endpoint == "static":
            continue
        op = OPERATIONS.get(rule.endpoint, Operation({"default": {"description": "Undocumented."}}))
        view = app.view_functions[rule.endpoint]
        operations = {method.lower(): _operation(rule, view, op)
                      for method in sorted(rule.methods - {"HEAD", "OPTIONS"})}
        spec.path(path=openapi_path(rule), operations=operations)
    return spec.to_dict()


@bp.get("/openapi.json")
def spec():
    """This API as an OpenAPI 3 document (no auth)."""
    document = current_app.extensions.get("chat.openapi")
    if document is None:
        document = current_app.extensions["chat.openapi"] = build_spec(current_app)
    return document
