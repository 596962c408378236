"""Personal access tokens: issue one (shown once), list, revoke, and authenticate a presented one.

No Flask. A token is `PREFIX` + 32 random bytes (URL-safe base64): guessing one is hopeless, so its SHA-256
is a safe thing to store and to look up by (chat/tokens/repository.py). Expiry is checked here, when a token
is used (no TTL index: an expired token answers `token_expired`, not `unauthorized`, and stays listed).
"""
import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from ..kernel import errors
from ..kernel.clock import as_utc, utcnow
from .scopes import PREFIX, SCOPES, is_personal_token

# LastUsedAt moves at most this often per token: a busy integration does not write on every request.
TOUCH_EVERY = timedelta(seconds=60)


@dataclass(frozen=True)
class TokenUse:
    """An authenticated personal access token: whose it is, which one, what it may do."""

    user_id: str
    token_id: str
    scopes: tuple


def token_hash(token):
    """The SHA-256 (hex) a token is stored and found by."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token():
    """A new token value."""
    return PREFIX + secrets.token_urlsafe(32)


class TokenService:
    """The rules of personal access tokens."""

    def __init__(self, repo, user_repo, max_per_user):
        self.repo = repo
        self.user_repo = user_repo
        self.max_per_user = max_per_user

    def create(self, user_id, name, scopes, expires_in=None):
        """A new token of user_id: (its record, the token value, which is not kept). expires_in: seconds, or None
        for a token that does not expire. Raises conflict `too_many_tokens` past TOKENS_PER_USER."""
        if self.repo.count_live(user_id) >= self.max_per_user:
            raise errors.conflict("too_many_tokens", f"You have {self.max_per_user} tokens; revoke one first.")
        wanted = [scope for scope in SCOPES if scope in set(scopes)]  # in a stable order, without repeats
        expires_at = utcnow() + timedelta(seconds=expires_in) if expires_in else None
        token = new_token()
        return self.repo.insert(user_id, token_hash(token), name, wanted, expires_at), token

    def list(self, user_id):
        """The user's unrevoked tokens (without their values, which are not kept), newest first."""
        return self.repo.for_user(user_id)

    def revoke(self, user_id, token_id):
        """Revoke one of the user's tokens: it answers 401 from now on. not_found when there is no such token."""
        if not isinstance(token_id, str) or not self.repo.revoke_own(token_id, user_id):
            raise errors.not_found("You have no such token.")

    def authenticate(self, token):
        """The TokenUse of a presented token. Raises unauthorized (unknown, or its user is gone or being
        deleted), token_revoked or token_expired."""
        record = self.repo.by_hash(token_hash(token)) if is_personal_token(token) else None
        if record is None:
            raise errors.unauthorized("Unknown personal access token.")
        if record.get("revoked_at"):
            raise errors.token_revoked("This personal access token has been revoked.")
        now = utcnow()
        if record.get("expires_at") and as_utc(record["expires_at"]) <= now:
            raise errors.token_expired("This personal access token has expired.")
        user = self.user_repo.by_id(record["user_id"])
        if user is None or user.get("deleting_at"):
            raise errors.unauthorized("The token's user no longer exists.")
        last = record.get("last_used_at")
        if last is None or now - as_utc(last) >= TOUCH_EVERY:
            self.repo.touch(record["_id"], now)
        return TokenUse(record["user_id"], record["_id"], tuple(record["scopes"]))

    def issue_for_bot(self, bot_id, name):
        """The token a new bot signs in with: every scope, no expiry. Returns (record, value)."""
        token = new_token()
        return self.repo.insert(bot_id, token_hash(token), name, SCOPES, None), token

    def forget_user(self, user_id):
        """Remove every token of a deleted account or bot."""
        self.repo.remove_all(user_id)
