"""Accounts and sessions: the rules of signup, verification, login, rotation and logout.

No Flask, no Socket.IO: callers pass plain values in and get plain values (or ApiError) out.
Token minting lives in the transport (flask-jwt-extended needs the app); this module decides
who gets a session and when a session ends.
"""
import hashlib
import logging
import secrets
import uuid
from datetime import timedelta

from pymongo.errors import PyMongoError

from ..events import Publisher
from ..governance import service as logs
from ..kernel import errors
from ..kernel.clock import as_utc, utcnow
from ..users.repository import DuplicateUser
from .mailer import verification_message

log = logging.getLogger(__name__)

VERIFY_EMAIL = "verify_email"
CHANGE_EMAIL = "change_email"  # a token confirming a new address; the same /verify link
CANCEL_EMAIL_CHANGE = "cancel_email_change"  # a token in the notice to the old address, cancelling the change


def links_epoch(user):
    """The account's link generation: a reset or address-change token works only while it names the current one.
    A password change or reset, a confirmed or cancelled address change move it on (`change_credentials`)."""
    return user.get("links_epoch") or 0


def is_current(record, user):
    """True when a reset/address-change token record was minted in the account's current link generation."""
    return (record.get("epoch") or 0) == links_epoch(user)


def hash_token(token):
    """Tokens are stored hashed, so a database leak does not leak working links."""
    return hashlib.sha256(token.encode()).hexdigest()


class AuthService:
    """Signup, email verification, login, refresh-token rotation and logout."""

    def __init__(self, user_repo, session_repo, token_repo, passwords, outbox, settings, events=None,
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
        self.unverified_ttl = timedelta(seconds=settings["UNVERIFIED_TTL"])
        self.refresh_ttl = settings["JWT_REFRESH_TOKEN_EXPIRES"]
        # Told of each session that ends (`session_revoked`), so live sockets can be closed: chat/events.py.
        self.events = events or Publisher()
        # Called with (user, user_agent) after a right password; raises to ask for a second factor (build_services).
        self.second_factor = None
        # The account's security log (chat/governance/service.py): sign-ins, failures, ended sessions, changes.
        self.security = logs.NoLog()

    # Signup and verification

    def signup(self, username, email, password):
        """Create an unverified user and queue its verification mail.

        Returns (user, email_sent): email_sent is True once the mail is queued (the mail worker sends it, and
        retries while the mail server is down), False only when it could not be queued; the account exists
        either way and `/resend` queues a new link. Raises username_taken / email_taken (409).
        """
        taken = self.taken(username=username, email=email)
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
        self.queue_mail(VERIFY_EMAIL, address.lower())

    def queue_mail(self, kind, address, data=None):
        """Queue a mail of kind (a composer of the mail worker) to address; it goes out after the request."""
        self.outbox.queue(kind, address, data)
        self.on_mail_queued()

    def taken(self, username=None, email=None):
        """Which of username/email an account holds ("username", "email" or None), once an expired unverified
        holder is gone: removed here, or by the account sweep meanwhile (so the look is taken again either way)."""
        taken = self.user_repo.exists(username=username, email=email)
        if taken:
            self.user_repo.remove_expired_unverified(self.unverified_before(), username, email)
            taken = self.user_repo.exists(username=username, email=email)
        return taken

    def unverified_before(self):
        """Accounts created before this time and still unverified have expired (UNVERIFIED_TTL)."""
        return utcnow() - self.unverified_ttl

    def is_live(self, user):
        """False for an account that is being deleted, or unverified past UNVERIFIED_TTL: it is as good as gone."""
        if user is None or user.get("deleting_at"):
            return False
        return bool(user.get("verified")) or as_utc(user["created_at"]) >= self.unverified_before()

    def compose_verification(self, address):
        """(message, link) of a verification mail to address, with a new token that supersedes the older
        ones; None when the address has no unverified account. The mail worker calls this when it sends the
        mail, so the token (only its hash is stored) is minted then and nowhere kept in clear."""
        user = self.user_repo.by_email(address)
        if not self.is_live(user) or user.get("verified"):
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
        """Confirm an address from its link: the account's first (it becomes verified) or a new one (it becomes
        the account's address). Returns the user. A second click of the same link is fine.

        Raises invalid_token for an unknown, expired, superseded or other-purpose token, or a gone account;
        email_taken when another account took the new address meanwhile.
        """
        record = self.token_repo.find(hash_token(token))
        if (not record or record["purpose"] not in (VERIFY_EMAIL, CHANGE_EMAIL) or record.get("superseded")
                or as_utc(record["expires_at"]) <= utcnow()):
            raise errors.invalid_token()
        user = self.user_repo.by_id(record["user_id"])
        if not self.is_live(user):
            raise errors.invalid_token()
        if record["purpose"] == CHANGE_EMAIL:
            return self._confirm_new_address(record, user)
        if record.get("used_at"):
            if user.get("verified"):
                return user
            raise errors.invalid_token()
        user = self.user_repo.mark_verified(user["_id"])
        self.token_repo.mark_used(record["_id"])
        return user

    def _confirm_new_address(self, record, user):
        if record.get("used_at"):
            if user["email"] == record["email"]:
                return user
            raise errors.invalid_token()
        if not is_current(record, user):  # a password change, reset or other address change came after the mail
            raise errors.invalid_token()
        self.user_repo.remove_expired_unverified(self.unverified_before(), email=record["email"])
        try:
            changed = self.user_repo.change_credentials(user["_id"], links_epoch(user), email=record["email"])
        except DuplicateUser:
            raise self._taken("email") from None
        if changed is None:
            raise errors.invalid_token()
        self.token_repo.mark_used(record["_id"])
        self.security.record(user["_id"], logs.EMAIL_CHANGED)
        return changed

    # Sessions

    def login(self, login, password, user_agent=None, address=None):
        """Check credentials and open a session (remembering the device's user agent). Returns (user, session_id,
        refresh_jti).

        Unknown users, gone ones (expired, being deleted) and wrong passwords all raise invalid_credentials, after
        the same hashing work.
        """
        user = self.user_repo.by_login(login)
        if not self.passwords.verify(user.get("password_hash") if user else None, password) or not self.is_live(user):
            self.security.record(user and user["_id"], logs.SIGN_IN_FAILED, address, user_agent)
            raise errors.invalid_credentials()
        if not user.get("verified"):
            raise errors.email_not_verified()
        if self.passwords.needs_rehash(user["password_hash"]):
            self.user_repo.set_password_hash(user["_id"], self.passwords.hash(password))
        if self.second_factor is not None:  # 2FA on: raises otp_required with an mfa_token (chat/auth/twofactor.py)
            self.second_factor(user, user_agent)
        return (user, *self.open_session(user, user_agent, address))

    def open_session(self, user, user_agent=None, address=None):
        """A new session of a user who has proved who they are: (session_id, refresh_jti); a sign-in from address
        (the client's IP) with user_agent in the security log."""
        refresh_jti = uuid.uuid4().hex
        session_id = self.session_repo.create(user["_id"], refresh_jti, utcnow() + self.refresh_ttl, user_agent)
        self.security.record(user["_id"], logs.SIGN_IN, address, user_agent)
        return session_id, refresh_jti

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

    def user_with_password(self, user_id, password, deleting=False):
        """The live user (or, with deleting, one whose deletion has begun) when password is theirs;
        invalid_credentials otherwise, after the same hashing work."""
        user = self.user_repo.by_id(user_id)
        usable = self.is_live(user) or (deleting and user is not None and bool(user.get("deleting_at")))
        if not self.passwords.verify(user.get("password_hash") if user else None, password) or not usable:
            raise errors.invalid_credentials()
        return user

    def use_session(self, session_id, user_id):
        """session_is_active for a socket's connect, which also moves the session's LastUsedAt (the session list;
        one write per Engine.IO connection, none per request), in one command."""
        return bool(isinstance(session_id, str) and session_id and self.session_repo.use(session_id, user_id))

    def end_session(self, session_id, reason="logout"):
        """Revoke the session's tokens and close its sockets."""
        self.session_repo.revoke(session_id, reason)
        self.security.session_ended(session_id, reason)
        self.events.session_revoked(session_id)

    def end_sessions(self, user_id, reason, keep=None):
        """End every session of the user but keep (and close their sockets); returns how many ended."""
        ended = self.session_repo.revoke_all(user_id, reason, keep)
        for session_id in ended:
            self.events.session_revoked(session_id)
        if ended:
            self.security.record(user_id, logs.SESSIONS_ENDED, detail={"reason": reason, "count": len(ended)})
        return len(ended)

