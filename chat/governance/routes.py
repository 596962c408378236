"""The logs over HTTP: `GET /groups/<id>/audit` (the group's admin) and `GET /me/security-log` (the account)."""
from flask import Blueprint
from flask_jwt_extended import get_jwt_identity
from marshmallow import Schema, fields, validate

from ..bearer import bearer_required
from ..http import endpoint
from ..openapi import User, _doc, json_response
from ..services import services
from ..tokens.scopes import GROUPS_READ, NO_TOKENS

bp = Blueprint("governance", __name__)


class LogPageSchema(Schema):
    """`?page=&per_page=` of a log."""

    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


STATE = _doc("LogState", **{key: fields.Integer(required=True) for key in ("page", "per_page", "total", "total_pages")})
DETAIL = fields.Dict(required=True, metadata={"description": "What changed, by action (e.g. {\"Name\": [old, new]})."})
AuditPage = _doc("AuditPage", entries=fields.List(fields.Nested(_doc(
    "AuditEntry", At=fields.DateTime(required=True), Actor=fields.Nested(User, required=True, allow_none=True),
    Action=fields.String(required=True, metadata={"description": "admin_changed, member_kicked, member_added, "
                                                                 "group_updated (more to come)."}),
    Target=fields.Nested(User, required=True, allow_none=True), Detail=DETAIL)), required=True),
    state=fields.Nested(STATE, required=True))
SecurityPage = _doc("SecurityPage", entries=fields.List(fields.Nested(_doc(
    "SecurityEntry", At=fields.DateTime(required=True),
    Action=fields.String(required=True, metadata={"description": "sign_in, sign_in_failed, session_ended, "
                                                                 "sessions_ended, two_factor_enabled, "
                                                                 "two_factor_disabled, password_changed, "
                                                                 "password_reset, email_changed, export_requested."}),
    Address=fields.String(required=True, allow_none=True, metadata={"description": "The client's IP (sign-ins)."}),
    UserAgent=fields.String(required=True, allow_none=True), Detail=DETAIL)), required=True),
    state=fields.Nested(STATE, required=True))


@bp.get("/groups/<group_id>/audit")
@bearer_required()
@endpoint({200: json_response(AuditPage, "One page of the group's audit log, newest first.")}, auth="access",
          scope=GROUPS_READ, query=LogPageSchema, errors={403: "`forbidden`: a member who is not the admin.",
                                       404: "`not_found`: no such group, or not a member."})
def audit(group_id, query):
    """The group's audit log (admin only): who did what to whom and when, newest first."""
    return services().audit.page(get_jwt_identity(), group_id, query["page"], query["per_page"])


@bp.get("/me/security-log")
@bearer_required()
@endpoint({200: json_response(SecurityPage, "One page of the caller's security log, newest first.")},
          auth="access", scope=NO_TOKENS, query=LogPageSchema)
def security_log(query):
    """The caller's security log: sign-ins (address, user agent), failed ones, 2FA, password, address and session
    changes, newest first."""
    return services().security.page(get_jwt_identity(), query["page"], query["per_page"])


def register(app):
    """Register the governance blueprints: the logs, and the export (chat/governance/export_routes.py)."""
    from .export_routes import bp as export_bp
    app.register_blueprint(bp)
    app.register_blueprint(export_bp)
