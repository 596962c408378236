"""Accounts and sessions: the rules of signup, verification, login, rotation and logout.

No Flask, no Socket.IO: callers pass plain values in and get plain values (or ApiError) out.
Token minting lives in the transport (flask-jwt-extended needs the app); this module decides
who gets a session and when a session ends.
"""
import hashlib
import logging
import secrets
import uuid

from pymongo.errors import PyMongoError

from .. import errors
from ..clock import as_utc, utcnow
from ..users.repository import DuplicateUser
from .mailer import verification_message

log = logging.getLogger(__name__)

VERIFY_EMAIL = "verify_email"


def hash_token(token):
    """Tokens are stored hashed, so a database leak does not leak working links."""
    return hashlib.sha256(token.encode()).hexdigest()


class AuthService:
    """Signup, email verification, login, refresh-token rotation and logout."""

    def __init__(self, user_repo, session_repo, token_repo, passwords, outbox, settings, on_session_revoked=None,
                 on_mail_queued=None):
        self.user_repo = user_repo
        self.session_repo = session_repo
        self.token_repo = token_repo
        self.passwords = passwords
        # Mails are queued (chat/auth/outbox.py) and sent by the mail worker, never within a request.
        self.outbox = outbox
        self.on_mail_queued = on_mail_queued or (lambda: None)
        self.public_url = settings["PUBLIC_URL"]
        self.mail_from = settings["MAIL_FROM"]
        self.verify_ttl = settings["VERIFY_TOKEN_TTL"]
        self.refresh_ttl = settings["JWT_REFRESH_TOKEN_EXPIRES"]
        # Called with a session id when a session ends, so live sockets can be closed.
        self.on_session_revoked = on_session_revoked or (lambda session_id: None)

    # Signup and verification

    def signup(self, username, email, password):
        """Create an unverified user and queue its verification mail.

        Returns (user, email_sent): email_sent is True once the mail is queued (the mail worker sends it, and
        retries while the mail server is down), False only when it could not be queued; the account exists
        either way and `/resend` queues a new link. Raises username_taken / email_taken (409).
        """
        taken = self.user_repo.exists(username=username, email=email)
        if taken:
            raise self._taken(taken)
        password_hash = self.passwords.hash(password)
        try:
            user = self.user_repo.create(username, email, password_hash)
        except DuplicateUser as exc:
            raise self._taken(exc.field) from None
        try:
            self._queue_verification(user["email"])
        except PyMongoError as exc:
            log.error("verification mail for user %s not queued: %s", user["_id"], exc)
            return user, False
        return user, True

    @staticmethod
    def _taken(field):
        if field == "username":
            return errors.conflict("username_taken", "That username is taken.")
        return errors.conflict("email_taken", "An account with that email exists.")

    def _queue_verification(self, address):
        self.outbox.queue(VERIFY_EMAIL, address.lower())
        self.on_mail_queued()

    def compose_verification(self, address):
        """(message, link) of a verification mail to address, with a new token that supersedes the older
        ones; None when the address has no unverified account. The mail worker calls this when it sends the
        mail, so the token (only its hash is stored) is minted then and nowhere kept in clear."""
        user = self.user_repo.by_email(address)
        if user is None or user.get("verified"):
            return None
        token = secrets.token_urlsafe(32)
        expires_at = utcnow() + self.verify_ttl
        self.token_repo.issue(hash_token(token), user["_id"], VERIFY_EMAIL, expires_at)
        link = f"{self.public_url}/verify?token={token}"
        message = verification_message(self.mail_from, user["email"], user["username"], link,
                                       int(self.verify_ttl.total_seconds() // 3600))
        return message, link

    def resend(self, email):
        """Queue a new link for the address. The request does the same work (one insert into the outbox) for
        every address; the mail worker finds out whether there is an unverified account to mail."""
        self._queue_verification(email)

    def verify_email(self, token):
        """Mark the token's user verified and return the user. A second click of the same link is fine.

        Raises invalid_token for an unknown, expired, superseded or other-purpose token.
        """
        record = self.token_repo.find(hash_token(token))
        if (not record or record["purpose"] != VERIFY_EMAIL or record.get("superseded")
                or as_utc(record["expires_at"]) <= utcnow()):
            raise errors.invalid_token()
        user = self.user_repo.by_id(record["user_id"])
        if user is None:
            raise errors.invalid_token()
        if record.get("used_at"):
            if user.get("verified"):
                return user
            raise errors.invalid_token()
        user = self.user_repo.mark_verified(user["_id"])
        self.token_repo.mark_used(record["_id"])
        return user

    # Sessions

    def login(self, login, password):
        """Check credentials and open a session. Returns (user, session_id, refresh_jti).

        Unknown users and wrong passwords both raise invalid_credentials, after the same hashing work.
        """
        user = self.user_repo.by_login(login)
        if not self.passwords.verify(user["password_hash"] if user else None, password) or user is None:
            raise errors.invalid_credentials()
        if not user.get("verified"):
            raise errors.email_not_verified()
        if self.passwords.needs_rehash(user["password_hash"]):
            self.user_repo.set_password_hash(user["_id"], self.passwords.hash(password))
        refresh_jti = uuid.uuid4().hex
        session_id = self.session_repo.create(user["_id"], refresh_jti, utcnow() + self.refresh_ttl)
        return user, session_id, refresh_jti

    def session_is_active(self, session_id, user_id):
        """True when the session exists for this user, is unrevoked and unexpired."""
        session = self.session_repo.active(session_id) if session_id else None
        return bool(session and session["user_id"] == str(user_id))

    def rotate_refresh(self, user_id, session_id, refresh_jti):
        """Exchange a refresh token id for a new one. Returns the new id.

        A refresh token that is no longer current is being reused: the whole session is revoked
        (both holders lose it) and token_revoked is raised.
        """
        if not self.session_is_active(session_id, user_id):
            raise errors.token_revoked()
        new_jti = uuid.uuid4().hex
        if not self.session_repo.rotate(session_id, refresh_jti, new_jti, utcnow() + self.refresh_ttl):
            log.warning("refresh token reuse in session %s: revoking it", session_id)
            self.end_session(session_id, "refresh_reuse")
            raise errors.token_revoked("This refresh token was already used; the session has been ended.")
        return new_jti

    def refresh_is_current(self, session_id, user_id, refresh_jti):
        """True when refresh_jti is the session's current refresh token (sockets use this)."""
        session = self.session_repo.active(session_id) if session_id else None
        return bool(session and session["user_id"] == str(user_id) and session["refresh_jti"] == refresh_jti)

    def end_session(self, session_id, reason="logout"):
        """Revoke the session's tokens and close its sockets."""
        self.session_repo.revoke(session_id, reason)
        self.on_session_revoked(session_id)

