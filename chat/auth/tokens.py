"""JWTs: minting token pairs, the blocklist check, and the socket connect check.

Every token carries `sid`, its session id; revoking the session revokes every token of it.
flask-jwt-extended's `decode_token()` neither consults the blocklist nor checks the token
type, so `check_socket_tokens` does both itself.
"""
from flask_jwt_extended import create_access_token, create_refresh_token, decode_token
from jwt import ExpiredSignatureError, InvalidTokenError

from ..kernel import errors
from ..tokens.scopes import is_personal_token


def mint_access(user_id, session_id):
    """A new access token for the user's session."""
    return create_access_token(identity=str(user_id), additional_claims={"sid": session_id})


def mint_pair(user_id, session_id, refresh_jti):
    """{"access_token", "refresh_token"} for the session; refresh_jti is recorded in the session."""
    refresh = create_refresh_token(identity=str(user_id), additional_claims={"sid": session_id, "jti": refresh_jti})
    return {"access_token": mint_access(user_id, session_id), "refresh_token": refresh}


def _decode(token, allow_expired=False):
    if not isinstance(token, str) or not token:
        raise errors.unauthorized("A token is required.")
    try:
        return decode_token(token, allow_expired=allow_expired)
    except ExpiredSignatureError:
        raise errors.token_expired() from None
    except (InvalidTokenError, ValueError, KeyError) as exc:
        raise errors.unauthorized(f"Invalid token: {exc}") from None


def check_socket_tokens(auth_service, access_token, refresh_token=None):
    """Validate a socket's token pair. Returns (user_id, session_id, new_access_token_or_None, expires_at): the
    access token's expiry (epoch seconds) when it passed on its own.

    Accepts a valid unrevoked access token, or an expired one together with the current refresh
    token of the same user and session (a new access token is minted then). The session's LastUsedAt
    moves when the tokens pass (with an unexpired access token, in the same command as the session
    check). A personal access token is refused (unauthorized). Raises unauthorized, token_expired or token_revoked.
    """
    if is_personal_token(access_token) or is_personal_token(refresh_token):  # REST only, and bots have no sessions
        raise errors.unauthorized("Personal access tokens cannot open sockets; sign in for a session.")
    claims = _decode(access_token, allow_expired=True)
    if claims.get("type") != "access":
        raise errors.unauthorized("An access token is required.")
    user_id, session_id = claims.get("sub"), claims.get("sid")
    if not _is_expired(claims):  # the common case: the session check is its LastUsedAt write too
        if not auth_service.use_session(session_id, user_id):
            raise errors.token_revoked()
        return user_id, session_id, None, claims["exp"]
    if not auth_service.session_is_active(session_id, user_id):  # a refused renewal writes nothing
        raise errors.token_revoked()
    if not refresh_token:
        raise errors.token_expired("The access token has expired; send the refresh token too.")
    refresh = _decode(refresh_token)
    if refresh.get("type") != "refresh" or refresh.get("sub") != user_id or refresh.get("sid") != session_id:
        raise errors.unauthorized("The refresh token does not belong to this session.")
    if not auth_service.refresh_is_current(session_id, user_id, refresh.get("jti")) \
            or not auth_service.use_session(session_id, user_id):
        raise errors.token_revoked("The refresh token has been revoked.")
    return user_id, session_id, mint_access(user_id, session_id), None


def refresh_token_session(token, user_id):
    """The session id of a refresh token of user_id, or None (bad, foreign or absent token)."""
    if not token:
        return None
    try:
        claims = _decode(token, allow_expired=True)
    except errors.ApiError:
        return None
    if claims.get("type") != "refresh" or claims.get("sub") != str(user_id):
        return None
    return claims.get("sid")


def _is_expired(claims):
    import time
    return claims.get("exp", 0) <= time.time()
