"""`GET /openapi.json`: the REST API as an OpenAPI 3 document, generated with apispec.

Each route declares what it loads, which token it wants and what it answers once, with
`chat.http.endpoint(...)`: that declaration validates its requests and is what this document is built
from. Requests are described by those marshmallow schemas, through apispec's MarshmallowPlugin;
responses by the small documentation schemas below, which say what the routes dump. Summaries are the
views' docstrings.
"""
import re

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, current_app
from marshmallow import EXCLUDE, Schema, fields, validate

from .http import Operation, endpoint
from .tokens.scopes import NO_TOKENS, SCOPES

bp = Blueprint("openapi", __name__)


# Response documentation (never used to load anything). EXCLUDE leaves `additionalProperties` out of
# these, so that a client may ignore the keys a later version adds.

def _str(**kwargs):
    return fields.String(required=True, **kwargs)


def _one(schema, **kwargs):
    return fields.Nested(schema, required=True, **kwargs)


def _many(schema):
    return fields.List(fields.Nested(schema), required=True)


def _doc(name, **schema_fields):
    """A documentation schema class; name is its name under components/schemas."""
    meta = type("Meta", (), {"unknown": EXCLUDE})
    return type(name, (Schema,), {"__module__": __name__, "Meta": meta, **schema_fields})


def _group_fields(required):
    return {"GroupId": fields.String(required=required), "Name": fields.String(required=required),
            "Description": fields.String(required=required), "Public": fields.Boolean(required=required),
            "Admin": fields.Nested(User, required=required, allow_none=True),
            "Members": fields.List(fields.Nested(User), required=required),
            "CreatedAt": fields.DateTime(required=required),
            "Moderators": fields.List(fields.String(), required=required, metadata={"description": "User ids."}),
            "SlowModeSeconds": fields.Integer(required=required, metadata={"description": "0: off."}),
            "RetentionDays": fields.Integer(required=required, metadata={
                "description": "Days a message is kept (0: as long as the server keeps them)."})}


Error = _doc("Error", code=_str(metadata={"description": "Stable snake_case code: build on this."}),
             message=_str(metadata={"description": "Human text; may change."}),
             fields_=fields.Dict(keys=fields.String(), values=fields.List(fields.String()), data_key="fields",
                                 metadata={"description": "validation_error only: field → reasons."}))
ErrorEnvelope = _doc("ErrorEnvelope", error=_one(Error))
BOT = {"Bot": fields.Boolean(required=True, metadata={"description": "A bot user (POST /bots); false for people."})}
User = _doc("User", id=_str(), username=_str(), **BOT)
OwnUser = _doc("OwnUser", id=_str(), username=_str(), **BOT, email=_str(allow_none=True, metadata={
    "description": "null for a bot."}), verified=fields.Boolean(required=True))
ReplyTo = _doc("ReplyTo", MessageId=_str(), Sender=_one(User),
               Excerpt=_str(metadata={"description": "The first 120 characters at send time; empty once deleted."}),
               Deleted=fields.Boolean(required=True))
Reaction = _doc("Reaction", Emoji=_str(), Count=fields.Integer(required=True),
                UserIds=fields.List(fields.String(), required=True, metadata={"description": "The first 20."}))
File = _doc("File", FileId=_str(), Name=_str(), ContentType=_str(metadata={"description": "Decided from the bytes."}),
            Size=fields.Integer(required=True), Width=fields.Integer(metadata={"description": "Images only."}),
            Height=fields.Integer(metadata={"description": "Images only."}),
            Url=_str(metadata={"description": "A signed path (no Bearer needed) that expires in minutes."}),
            ThumbnailUrl=fields.String(metadata={"description": "Images only: longest side at most 320 px."}))
ThreadSummary = _doc("ThreadSummary", ReplyCount=fields.Integer(required=True),
                     LastReplyAt=fields.DateTime(required=True),
                     Participants=fields.List(fields.String(), required=True,
                                              metadata={"description": "The first 10 repliers' ids."}))
Message = _doc("Message", MessageId=_str(), ChatId=fields.String(metadata={"description": "Self, personal."}),
               GroupId=fields.String(metadata={"description": "Groups (instead of ChatId)."}),
               Sender=_one(User), Content=_str(metadata={"description": "Empty when Deleted."}),
               CreatedAt=fields.DateTime(required=True),
               EditedAt=fields.DateTime(required=True, allow_none=True),
               Deleted=fields.Boolean(required=True), ClientId=_str(allow_none=True),
               Seq=fields.Integer(required=True, allow_none=True, metadata={
                   "description": "Null for a thread reply (it has ThreadSeq instead)."}),
               ReplyTo=_one(ReplyTo, allow_none=True),
               Reactions=fields.List(fields.Nested(Reaction), required=True,
                                     metadata={"description": "Most used first."}),
               Mentions=fields.List(fields.String(), required=True,
                                    metadata={"description": "User ids (group messages)."}),
               Attachments=fields.List(fields.Nested(File), required=True, metadata={
                   "description": "Files sent with the message (empty when Deleted)."}),
               Rev=fields.Integer(required=True, metadata={
                   "description": "The chat's revision at the message's latest change (catch-up)."}),
               Pinned=fields.Boolean(required=True),
               DeletedBy=_one(User, allow_none=True, metadata={
                   "description": "The group's admin or moderator who deleted someone else's message."}),
               ThreadOf=_str(allow_none=True, metadata={"description": "A thread reply: its root's MessageId."}),
               ThreadSeq=fields.Integer(metadata={"description": "A thread reply: 1, 2, ... within its thread."}),
               Thread=fields.Nested(ThreadSummary, allow_none=True, metadata={
                   "description": "A top-level message: null until its first reply."}))
Group = _doc("Group", **_group_fields(required=True))
Partner = _doc("Partner", id=_str(), username=_str(), **BOT, Online=fields.Boolean(required=True))
InboxEntry = _doc("InboxEntry", Kind=_str(validate=validate.OneOf(["personal", "group"])),
                  ChatId=fields.String(metadata={"description": "Kind personal, with Partner."}),
                  Partner=fields.Nested(Partner), **_group_fields(required=False),
                  PartnerRead=fields.Integer(metadata={"description": "Kind personal: the Seq the partner has "
                                                                      "read up to (0: nothing yet)."}),
                  Closed=fields.Boolean(metadata={"description": "Kind personal: the partner deleted their "
                                                                 "account; the history stays, nobody can send."}),
                  LastMessage=_one(Message, allow_none=True), Unread=fields.Integer(required=True),
                  UnreadMentions=fields.Integer(metadata={"description": "Kind group: unread messages that "
                                                                         "mention the caller."}),
                  UpdatedAt=fields.DateTime(required=True),
                  Rev=fields.Integer(required=True, metadata={"description": "The chat's revision: it moved "
                                                                             "since the last sync-chat, sync."}),
                  Muted=fields.Boolean(required=True, metadata={"description": "The caller muted it (and the mute "
                                                                               "has not ended)."}),
                  MutedUntil=fields.DateTime(required=True, allow_none=True, metadata={
                      "description": "When the mute ends; null when not muted or muted with no end."}))
INVITE = _doc("Invite", Code=_str(), Url=_str(metadata={"description": "The web client's page that accepts it."}),
              MaxUses=fields.Integer(required=True, allow_none=True), Uses=fields.Integer(required=True),
              ExpiresAt=fields.DateTime(required=True, allow_none=True))
TOKENS = {"access_token": _str(), "refresh_token": _str()}
PAGE = {"Messages": _many(Message), "HasMore": fields.Boolean(required=True)}
STATES = validate.OneOf(["ok", "unreachable"])
REPLIES = {
    "signup": _doc("SignupReply", user=_one(OwnUser), email_sent=fields.Boolean(required=True)),
    "verify": _doc("VerifyReply", verified=fields.Boolean(required=True), user=_one(OwnUser)),
    "status": _doc("StatusReply", status=_str()),
    "login": _doc("LoginReply", **TOKENS, user=_one(OwnUser)),
    "tokens": _doc("TokenPair", **TOKENS),
    "me": _doc("MeReply", user=_one(_doc("Me", id=_str(), username=_str(), **BOT, email=_str(allow_none=True),
                                         verified=fields.Boolean(required=True), TwoFactor=fields.Boolean(
                                             required=True, metadata={"description": "2FA (TOTP) is on."})))),
    "user": User,
    "users": _doc("UserList", users=_many(User)),
    "inbox": _doc("Inbox", entries=_many(InboxEntry), state=_one(_doc("InboxState", **{
        key: fields.Integer(required=True) for key in ("page", "per_page", "total", "total_pages")}))),
    "personal": _doc("PersonalPage", ChatId=_str(), UserId=_str(), User=_one(User), Partner=_one(User),
                     **PAGE),
    "self": _doc("SelfPage", Name=_str(), **PAGE),
    "group": _doc("GroupReply", Group=_one(Group)),
    "directory": _doc("PublicGroups", entries=_many(_doc(
        "PublicGroup", GroupId=_str(), Name=_str(), Description=_str(), MemberCount=fields.Integer(required=True),
        Joined=fields.Boolean(required=True, metadata={"description": "The caller is a member."}))),
        state=_one(_doc("PublicGroupsState", **{
            key: fields.Integer(required=True) for key in ("page", "per_page", "total", "total_pages")}))),
    "group_page": _doc("GroupPage", GroupId=_str(), Group=_one(Group), **PAGE),
    "message": _doc("MessageReply", Message=_one(Message)),
    "changes": _doc("Changes", Messages=_many(Message), Rev=fields.Integer(required=True, metadata={
        "description": "Pass it as since_rev next time."}), HasMore=fields.Boolean(required=True)),
    "thread": _doc("ThreadPage", ChatId=fields.String(), GroupId=fields.String(), Root=_one(Message), **PAGE),
    "threads": _doc("FollowedThreads", entries=_many(_doc(
        "FollowedThread", ChatId=fields.String(), GroupId=fields.String(),
        Kind=_str(validate=validate.OneOf(["self", "personal", "group"])), Root=_one(Message),
        Unread=fields.Integer(required=True, metadata={"description": "Replies beyond the caller's read position."}))),
        state=_one(_doc("FollowedThreadsState", **{
            key: fields.Integer(required=True) for key in ("page", "per_page", "total", "total_pages")}))),
    "file": _doc("FileReply", File=_one(File)),
    "reactions": _doc("Reactions", ChatId=fields.String(), GroupId=fields.String(), MessageId=_str(),
                      Reactions=_many(Reaction), Rev=fields.Integer(required=True, metadata={
                          "description": "The message's Rev after the change."})),
    "history": _doc("MessageHistory", MessageId=_str(), Versions=_many(_doc(
        "MessageVersion", Content=_str(), EditedAt=fields.DateTime(required=True, allow_none=True, metadata={
            "description": "When this version was written; null for the original."})))),
    "receipt": _doc("ReadReceipt", ChatId=fields.String(), GroupId=fields.String(),
                    Moved=fields.Boolean(required=True), ReaderId=fields.String(), UpTo=fields.String(),
                    ReadAt=fields.DateTime()),
    "health": _doc("Health", status=_str(validate=validate.OneOf(["ok", "degraded", "unavailable"])),
                   db=_str(validate=STATES), redis=fields.String(validate=STATES, metadata={
                       "description": "Only with REDIS_URL set."}),
                   error=fields.Nested(Error, metadata={"description": "With 503 only."})),
    "client_config": _doc("ClientConfig", devOutbox=_str(allow_none=True)),
    "sessions": _doc("SessionList", sessions=_many(_doc(
        "Session", SessionId=_str(), CreatedAt=fields.DateTime(required=True),
        LastUsedAt=fields.DateTime(required=True, metadata={"description": "The last sign-in, refresh or socket "
                                                                           "connect (not every request)."}),
        UserAgent=_str(allow_none=True), Current=fields.Boolean(required=True)))),
    "ended": _doc("SessionsEnded", status=_str(), ended=fields.Integer(required=True)),
    "block": _doc("BlockReply", user=_one(User), blocked=fields.Boolean(required=True, metadata={
        "description": "Whether the caller blocks this user now."})),
    "mute": _doc("MuteReply", ChatId=fields.String(metadata={"description": "Self and personal chats."}),
                 GroupId=fields.String(metadata={"description": "Groups (instead of ChatId)."}),
                 Muted=fields.Boolean(required=True), MutedUntil=fields.DateTime(required=True, allow_none=True)),
    "search": _doc("SearchReply", Results=_many(_doc(
        "SearchResult", Message=_one(Message), ChatId=fields.String(metadata={"description": "Self, personal."}),
        GroupId=fields.String(metadata={"description": "Groups (instead of ChatId)."}),
        Kind=_str(validate=validate.OneOf(["self", "personal", "group"])))),
        Next=_str(allow_none=True, metadata={"description": "Pass as `cursor` for the next page; null: no more."})),
    "pins": _doc("Pins", Messages=_many(Message)),  # chat/moderation/routes.py
    "invite": INVITE, "invites": _doc("Invites", Invites=_many(INVITE)),
    "revoked": _doc("InviteRevoked", Code=_str(), Revoked=fields.Boolean(required=True)),
    "reported": _doc("Reported", ReportId=_str()),
    "resolved": _doc("ReportResolved", ReportId=_str(), Status=_str(validate=validate.OneOf(
        ["dismissed", "deleted", "kicked"]))),
    "reports": _doc("Reports", Reports=_many(_doc(
        "Report", ReportId=_str(), Message=_one(Message), Count=fields.Integer(required=True),
        Reasons=fields.Dict(keys=fields.String(), values=fields.Integer(), required=True, metadata={
            "description": "spam, abuse, other: how many reporters gave each."}),
        Notes=fields.List(fields.String(), required=True, metadata={"description": "The reporters' notes, unnamed."}),
        Status=_str()))),
}


def json_response(schema, description):
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def ok(reply, description, status=200):
    return {status: json_response(REPLIES[reply], description)}


RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}}
ERRORS = {  # status → what it means, unless an operation says more
    400: "`invalid_token`.",
    401: "`unauthorized`, `token_expired` or `token_revoked`.",
    403: "`forbidden`.",
    404: "`not_found`.",
    413: "`payload_too_large`: the body is larger than MAX_BODY_BYTES.",
    422: "`validation_error`, with `fields`.",
    429: "`rate_limited`; see Retry-After.",
    503: "`unavailable`: the database is unreachable and nothing was changed; see Retry-After.",
}
NOT_MEMBER = {404: "`not_found`: no such group, or not a member."}
NO_USER = {404: "`not_found`: no such verified user."}


SENT = {201: json_response(REPLIES["message"], "Stored, and pushed to the chat's sockets."),
        200: json_response(REPLIES["message"], "A repeated ClientId: the message stored the first time.")}
VERIFIED = {200: {"description": "Verified (again, too): JSON, or a page for browsers.",
                  "content": {"application/json": {"schema": REPLIES["verify"]},
                              "text/html": {"schema": {"type": "string"}}}},
            303: {"description": "Browsers, when CLIENT_URL is set: to CLIENT_URL/?verified=1.",
                  "headers": {"Location": {"schema": {"type": "string"}}}}}
SECURITY_SCHEMES = {
    "access": ("accessToken", "An access token (from POST /login or POST /refresh)."),
    "refresh": ("refreshToken", "A refresh token: POST /refresh only."),
}
# A personal access token (POST /me/tokens, or a bot's): each operation that takes one names, in its security
# requirement, the one scope it needs. Operations without it (account management) refuse every such token.
PERSONAL_TOKEN = ("personalToken", "A personal access token (`chatpat_...`, from POST /me/tokens or POST /bots), "
                  "REST only, limited to its scopes: " + ", ".join(f"`{scope}`" for scope in SCOPES) + ". Without "
                  "the scope an operation names: 403 `insufficient_scope`.")
SCOPE_REFUSED = "`insufficient_scope`: a personal access token without the scope this operation names."
NO_TOKEN_REFUSED = "`insufficient_scope`: personal access tokens cannot be used here (sign in with a password)."


def openapi_path(rule):
    """`/users/<user_id>` → `/users/{user_id}`."""
    return re.sub(r"<(?:[^<>:]+:)?([^<>]+)>", r"{\1}", rule.rule)


def _operation(rule, view, op):
    summary, _, description = (view.__doc__ or "").strip().partition("\n")
    operation = {"operationId": rule.endpoint, "tags": [rule.endpoint.split(".")[0]],
                 "summary": summary.strip()}
    if description.strip():
        operation["description"] = " ".join(description.split())
    parameters = [{"in": "path", "name": name, "required": True,
                   "schema": {"type": "string", "minLength": 1, "pattern": "^[^/]+$"}}
                  for name in sorted(rule.arguments)]
    if op.query:
        parameters.append({"in": "query", "schema": op.query})  # expanded into parameters by the plugin
    if parameters:
        operation["parameters"] = parameters
    if op.body:
        operation["requestBody"] = {"required": op.body_required,
                                    "content": {"application/json": {"schema": op.body}}}
    if op.form:
        operation["requestBody"] = {"required": True,
                                    "content": {"application/x-www-form-urlencoded": {"schema": op.form}}}
    if op.multipart:
        operation["requestBody"] = {"required": True, "content": {"multipart/form-data": {"schema": op.multipart}}}
    if op.auth:
        operation["security"] = [{SECURITY_SCHEMES[op.auth][0]: []}]
        if op.scope in SCOPES:
            operation["security"].append({PERSONAL_TOKEN[0]: [op.scope]})
    loads_body = op.body or op.form or op.multipart
    errors = dict.fromkeys([401] if op.auth else []) | dict.fromkeys([413, 422] if loads_body else []) \
        | dict.fromkeys([422] if op.query else []) | dict.fromkeys([503] if op.db else []) \
        | dict.fromkeys([429] if getattr(view, "rate_category", None) else []) | op.errors | _refused_tokens(op)
    responses = {str(status): response for status, response in op.ok.items()}
    for status in sorted(errors):
        responses[str(status)] = json_response(ErrorEnvelope, errors[status] or ERRORS[status])
        if status in (429, 503):
            responses[str(status)]["headers"] = RETRY_AFTER
        if status in op.html_errors:
            responses[str(status)]["content"]["text/html"] = {"schema": {"type": "string"}}
    operation["responses"] = responses
    return operation


def _refused_tokens(op):
    """The 403 of an operation with auth: a personal access token without its scope, or any on NO_TOKENS ones."""
    if not op.auth or op.scope not in (*SCOPES, NO_TOKENS):
        return {}
    why = SCOPE_REFUSED if op.scope in SCOPES else NO_TOKEN_REFUSED
    return {403: why if 403 not in op.errors else f"{op.errors[403] or ERRORS[403]} Or {why}"}


def build_spec(app):
    """The OpenAPI 3 document (a dict) for every route of app but `static`."""
    spec = APISpec(title="Chat backend REST API", version="1", openapi_version="3.0.3",
                   plugins=[MarshmallowPlugin()],
                   info={"description": "The REST side of the chat backend (docs/api.md). Every error is "
                                        "`{\"error\": {\"code\", \"message\", \"fields\"?}}`."})
    for scheme, description in SECURITY_SCHEMES.values():
        spec.components.security_scheme(scheme, {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                                                 "description": description})
    spec.components.security_scheme(PERSONAL_TOKEN[0], {"type": "http", "scheme": "bearer",
                                                        "description": PERSONAL_TOKEN[1]})
    for schema in (Error, ErrorEnvelope, User, OwnUser, Message, Group):
        spec.components.schema(schema.__name__, schema=schema)
    undocumented = Operation({"default": {"description": "Not documented yet."}})
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        if rule.endpoint == "static":
            continue
        view = app.view_functions[rule.endpoint]
        op = getattr(view, "operation", undocumented)
        methods = sorted(rule.methods - {"HEAD", "OPTIONS"})
        spec.path(path=openapi_path(rule),
                  operations={method.lower(): _operation(rule, view, op) for method in methods})
    return spec.to_dict()


@bp.get("/openapi.json")
@endpoint({200: json_response({"type": "object"}, "This document.")}, db=False)
def spec():
    """This API as an OpenAPI 3 document (no auth)."""
    document = current_app.extensions.get("chat.openapi")
    if document is None:
        document = current_app.extensions["chat.openapi"] = build_spec(current_app)
    return document
