"""Bearer authentication of REST routes: a JWT access token (a signed-in person's session) or a personal access
token (chat/tokens/), checked against the scope the route declares in its `@endpoint`.

`@bearer_required()` takes the place of flask-jwt-extended's `@jwt_required()` on every Bearer route (above the
other decorators, so that nothing runs before the caller is known). A JWT goes through
`verify_jwt_in_request`, exactly as with `jwt_required` (signature, expiry, type, the session check of
chat/http.py's blocklist loader). A value with the personal token prefix never reaches the JWT decoder: it is
looked up by its hash, and passes only on a route whose declared scope it holds (403 `insufficient_scope`
otherwise, and on `NO_TOKENS` routes always). Then the request carries the token's user exactly where a JWT's
would be, so `get_jwt_identity()` answers the same for both; `get_jwt()` shows `"type": "personal"` and the
`scopes`, and no `sid` (no route that needs a session takes a token).
"""
import functools

from flask import current_app, g, request
from flask_jwt_extended import verify_jwt_in_request

from .kernel.errors import insufficient_scope
from .services import services
from .tokens.scopes import NO_TOKENS, SCOPES, is_personal_token


def bearer_required(optional=False, refresh=False):
    """Require a Bearer token on the route: a JWT (access, or refresh with refresh=True; none at all with
    optional=True) or a personal access token holding the scope the route's `@endpoint` declares. Put it right
    below the route decorator. Raises TypeError at import when the route declares no scope (or NO_TOKENS)."""
    def decorate(view):
        operation = getattr(view, "operation", None)
        scope = getattr(operation, "scope", None)
        if scope not in (*SCOPES, NO_TOKENS):
            raise TypeError(f"{view.__name__}: declare scope= (one of {SCOPES} or NO_TOKENS) in its @endpoint")

        @functools.wraps(view)
        def guarded(*args, **kwargs):
            token = presented_personal_token()
            if token is None:
                verify_jwt_in_request(optional=optional, refresh=refresh)
            else:
                _use_personal_token(token, scope)
            return current_app.ensure_sync(view)(*args, **kwargs)
        guarded.bearer_scope = scope  # what tests/test_token_scopes.py walks
        return guarded
    return decorate


def presented_personal_token():
    """The personal access token of the request's `Authorization: Bearer` header, or None (none, or a JWT)."""
    kind, _, value = request.headers.get("Authorization", "").partition(" ")
    value = value.strip()
    return value if kind.lower() == "bearer" and is_personal_token(value) else None


def _use_personal_token(token, scope):
    use = services().tokens.authenticate(token)  # 401 for unknown, revoked, expired, or a deleted user's
    if scope == NO_TOKENS:
        raise insufficient_scope("Personal access tokens cannot be used here: sign in with your password.")
    if scope not in use.scopes:
        raise insufficient_scope(f"This token lacks the {scope} scope.")
    # Where verify_jwt_in_request keeps a verified token (flask-jwt-extended 4): get_jwt_identity() reads it.
    g._jwt_extended_jwt = {"sub": use.user_id, "type": "personal", "token_id": use.token_id,
                           "scopes": list(use.scopes)}
    g._jwt_extended_jwt_header = {}
    g._jwt_extended_jwt_user = {"loaded_user": None}
    g._jwt_extended_jwt_location = "headers"
