"""Two-factor sign-in over HTTP: `/me/2fa/setup`, `/me/2fa/enable`, `/me/2fa/disable` and `/login/2fa`.

The three `/me/2fa` calls check the password or a code, so they are limited per account like `/me/password`
(RATE_LIMIT_PASSWORD_CHECK). `/login/2fa` is limited per client address (RATE_LIMIT_2FA_IP, every request) and
per account (RATE_LIMIT_2FA_ACCOUNT, wrong codes only), on top of each mfa_token's own MAX_FAILURES.
"""
from flask import Blueprint, current_app, request
from flask_jwt_extended import get_jwt_identity
from marshmallow import Schema, fields, validate

from ..bearer import bearer_required
from ..extensions import limiter
from ..http import endpoint, json_object
from ..kernel.fields import Text
from ..openapi import json_response, ok
from ..services import services
from ..tokens.scopes import NO_TOKENS
from ..users.schemas import own_user
from .schemas import GIVEN_PASSWORD
from .tokens import mint_pair

bp = Blueprint("twofactor", __name__)
CODE = validate.Length(min=1, max=64)  # a 6-digit TOTP code or a recovery code ("xxxxx-xxxxx")
WRONG = {401: "`invalid_credentials` (password) or `invalid_otp` (code); or `unauthorized`, `token_expired`, "
              "`token_revoked`.", 429: "`rate_limited`: too many password or code checks for this account."}


class SetupSchema(Schema):
    password = Text(required=True, validate=GIVEN_PASSWORD)


class EnableSchema(Schema):
    Code = Text(required=True, validate=CODE)


class DisableSchema(Schema):
    password = Text(required=True, validate=GIVEN_PASSWORD)
    Code = Text(required=True, validate=CODE)


class LoginCodeSchema(Schema):
    mfa_token = Text(required=True, validate=validate.Length(min=1, max=128))
    Code = Text(required=True, validate=CODE)


class SetupReply(Schema):
    Secret = fields.String(required=True, metadata={"description": "Base32; shown this once."})
    OtpauthUrl = fields.String(required=True, metadata={"description": "otpauth://totp/... for authenticator apps."})
    QrCode = fields.String(required=True, metadata={"description": "The OtpauthUrl as a QR code: an SVG data URI, "
                                                                   "made by the server (no third party sees it)."})


class RecoveryReply(Schema):
    RecoveryCodes = fields.List(fields.String(), required=True, metadata={
        "description": "Ten single-use codes, shown this once."})


def _limit(setting, **kwargs):
    return limiter.limit(lambda: current_app.config[setting], **kwargs)


def _per_account():
    return f"{request.endpoint}:user:{get_jwt_identity()}"


def _challenge_account():
    """The per-account key of /login/2fa: the account whose password the mfa_token proved."""
    body = json_object() or {}
    token = body.get("mfa_token")
    owner = services().twofactor.challenge_owner(token) if isinstance(token, str) and len(token) <= 128 else None
    return f"login_2fa:user:{owner or '-'}"


@bp.post("/me/2fa/setup")
@bearer_required()
@_limit("RATE_LIMIT_PASSWORD_CHECK", key_func=_per_account)
@endpoint({200: json_response(SetupReply, "A new secret, not enforced until /me/2fa/enable.")}, auth="access",
          scope=NO_TOKENS,
          body=SetupSchema, errors={**WRONG, 409: "`two_factor_enabled`: disable it first."})
def setup(body):
    """Begin enrolment (the password is checked): a new TOTP secret with its otpauth URL and QR code."""
    return services().twofactor.setup(get_jwt_identity(), body["password"])


@bp.post("/me/2fa/enable")
@bearer_required()
@_limit("RATE_LIMIT_PASSWORD_CHECK", key_func=_per_account)
@endpoint({200: json_response(RecoveryReply, "2FA is on; keep the recovery codes.")}, auth="access", scope=NO_TOKENS,
          body=EnableSchema, errors={**WRONG, 409: "`two_factor_enabled`, or `two_factor_not_set_up`."})
def enable(body):
    """Turn 2FA on with a first code from the app; answers the ten recovery codes, this once."""
    return {"RecoveryCodes": services().twofactor.enable(get_jwt_identity(), body["Code"])}


@bp.post("/me/2fa/disable")
@bearer_required()
@_limit("RATE_LIMIT_PASSWORD_CHECK", key_func=_per_account)
@endpoint(ok("status", "2FA is off; the secret and recovery codes are gone."), auth="access",
          scope=NO_TOKENS, body=DisableSchema,
          errors={**WRONG, 409: "`two_factor_disabled`: it is not on."})
def disable(body):
    """Turn 2FA off: the password and a code (TOTP or recovery) are checked."""
    services().twofactor.disable(get_jwt_identity(), body["password"], body["Code"])
    return {"status": "two_factor_disabled"}


@bp.post("/login/2fa")
@_limit("RATE_LIMIT_2FA_IP")
@_limit("RATE_LIMIT_2FA_ACCOUNT", key_func=_challenge_account, deduct_when=lambda r: r.status_code == 401)
@endpoint(ok("login", "The token pair of a new session."), body=LoginCodeSchema, errors={
    401: "`invalid_otp`: the code is wrong, expired or used (five per mfa_token); `unauthorized`: the mfa_token "
         "is unknown, used or expired (sign in again).", 429: None})
def login_code(body):
    """The second step of a login: the mfa_token of `POST /login` and a TOTP or recovery code → the tokens."""
    user, session_id, refresh_jti = services().twofactor.complete(body["mfa_token"], body["Code"],
                                                                  request.remote_addr)
    return {**mint_pair(user["_id"], session_id, refresh_jti), "user": own_user(user)}
