"""Accounts people manage themselves: a forgotten password, a new password, their sessions, a new address.

No Flask, no Socket.IO. Mails go through the outbox like the verification mail: the request queues one
document whatever the address, and the mail worker composes the mail (minting its single-use token) when
it sends it, so `/password/forgot` does the same work, and answers the same, for every address. Ending
sessions goes through `AuthService.end_sessions`, which closes their sockets on every process.
"""
import secrets
from datetime import timedelta

from ..governance import service as logs
from ..kernel import errors
from ..kernel.clock import as_utc, iso, utcnow
from .mailer import email_change_message, email_change_notice, reset_message
from .service import CANCEL_EMAIL_CHANGE, CHANGE_EMAIL, hash_token, is_current, links_epoch

RESET_PASSWORD = "reset_password"  # the token purpose, and the mail kind
EMAIL_CHANGE_NOTICE = "email_change_notice"  # the mail to the old address


class AccountService:
    """Password reset and change, the session list, and changing the account's address."""

    def __init__(self, auth, user_repo, session_repo, token_repo, passwords, settings):
        self.auth = auth
        self.user_repo = user_repo
        self.session_repo = session_repo
        self.token_repo = token_repo
        self.passwords = passwords
        self.mail_from = settings["MAIL_FROM"]
        self.public_url = settings["PUBLIC_URL"]
        # Links open the web client: the hosted one when CLIENT_URL is set, the one this server serves otherwise.
        self.client_url = settings["CLIENT_URL"] or settings["PUBLIC_URL"]
        self.reset_ttl = timedelta(seconds=settings["RESET_TOKEN_TTL"])
        self.change_ttl = settings["VERIFY_TOKEN_TTL"]

    def composers(self):
        """The mail worker's composers for this service's mails, by kind."""
        return {RESET_PASSWORD: self.compose_reset, CHANGE_EMAIL: self.compose_email_change,
                EMAIL_CHANGE_NOTICE: self.compose_email_notice}

    # A forgotten password

    def forgot_password(self, email):
        """Queue a reset mail to the address: one insert, whether or not an account has it."""
        self.auth.queue_mail(RESET_PASSWORD, email.lower(), {"asked_at": utcnow()})

    def compose_reset(self, address, asked_at=None):
        """(message, link) of a reset mail with a new token that supersedes the older ones; None when no live
        account has the address (the mail is skipped, and nobody can tell from the answer), or when the account's
        password or address changed after the mail was asked for (its link would reach a stale address)."""
        user = self.user_repo.by_email(address)
        if not self.auth.is_live(user):
            return None
        changed_at = user.get("links_changed_at")
        if asked_at is not None and changed_at is not None and as_utc(asked_at) <= as_utc(changed_at):
            return None
        token = secrets.token_urlsafe(32)
        self.token_repo.issue(hash_token(token), user["_id"], RESET_PASSWORD, utcnow() + self.reset_ttl,
                              epoch=links_epoch(user))
        link = f"{self.client_url}/reset-password?token={token}"
        return reset_message(self.mail_from, user["email"], user["username"], link,
                             self.reset_ttl.total_seconds()), link

    def reset_password(self, token, password):
        """Set a new password from a reset link, once: the token is used up, every session of the account ends
        (their sockets close), and the address counts as verified (the link came through it). Returns the user.

        Raises invalid_token for an unknown, used, superseded, expired or other-purpose token, and for one mailed
        before the account's password or address last changed.
        """
        record, user = self._usable(token, RESET_PASSWORD)
        password_hash = self.passwords.hash(password)
        if not self.token_repo.mark_used(record["_id"]):  # another request used it first
            raise errors.invalid_token()
        # Only while no other change came in between; every other pending link of the account stops working.
        if self.user_repo.change_credentials(user["_id"], links_epoch(user), password_hash=password_hash,
                                             verified=True) is None:
            raise errors.invalid_token()
        self.auth.security.record(user["_id"], logs.PASSWORD_RESET)
        self.auth.end_sessions(user["_id"], "password_reset")
        return user

    def _usable(self, token, purpose):
        """(token record, live user) of an unused, current token of purpose; invalid_token otherwise."""
        record = self.token_repo.find(hash_token(token))
        if (not record or record["purpose"] != purpose or record.get("superseded") or record.get("used_at")
                or as_utc(record["expires_at"]) <= utcnow()):
            raise errors.invalid_token()
        user = self.user_repo.by_id(record["user_id"])
        if not self.auth.is_live(user) or not is_current(record, user):
            raise errors.invalid_token()
        return record, user

    # Password and sessions of a signed-in user

    def change_password(self, user_id, session_id, current_password, new_password):
        """Replace the password after checking the current one; every other session ends, this one stays."""
        user = self.auth.user_with_password(user_id, current_password)
        # Every reset and address-change link mailed before stops working (a pending new address too).
        self.user_repo.change_credentials(user["_id"], None, password_hash=self.passwords.hash(new_password))
        self.auth.security.record(user["_id"], logs.PASSWORD_CHANGED)
        self.auth.end_sessions(user["_id"], "password_changed", keep=session_id)

    def sessions(self, user_id, session_id):
        """The user's live sessions, most recently used first, as the wire shows them."""
        return [{"SessionId": s["_id"], "CreatedAt": iso(s["created_at"]),
                 "LastUsedAt": iso(s.get("last_used_at") or s["created_at"]), "UserAgent": s.get("user_agent"),
                 "Current": s["_id"] == session_id}
                for s in self.session_repo.for_user(user_id)]

    def end_own_session(self, user_id, session_id):
        """End one of the user's live sessions (its sockets close); not_found for anything else."""
        if not self.session_repo.revoke_own(session_id, user_id, "signed_out"):
            raise errors.not_found("No such session.")
        self.auth.security.record(user_id, logs.SESSION_ENDED, detail={"reason": "signed_out"})
        self.auth.events.session_revoked(session_id)

    def end_other_sessions(self, user_id, session_id):
        """End every session of the user but this one; returns how many ended."""
        return self.auth.end_sessions(user_id, "signed_out", keep=session_id)

    # A new address

    def request_email_change(self, user_id, new_email, password):
        """Mail a confirmation link to the new address and a notice to the current one. The address changes only
        when the link is opened (`AuthService.verify_email`). Raises invalid_credentials, email_taken."""
        user = self.auth.user_with_password(user_id, password)
        new_email = new_email.lower()
        if new_email == user["email"]:
            raise errors.validation_error({"email": ["This is already your address."]})
        if self.auth.taken(email=new_email):
            raise errors.conflict("email_taken", "An account with that email exists.")
        # The mails name the account's link generation: a change before they go out leaves them unsent.
        data = {"user_id": str(user["_id"]), "epoch": links_epoch(user)}
        self.auth.queue_mail(CHANGE_EMAIL, new_email, data)
        self.auth.queue_mail(EMAIL_CHANGE_NOTICE, user["email"], {**data, "new_email": new_email})

    def _current_user(self, user_id, epoch):
        """The live user when its link generation is still epoch (None: a mail queued before epochs counted)."""
        user = self.user_repo.by_id(user_id)
        if not self.auth.is_live(user) or (epoch is not None and epoch != links_epoch(user)):
            return None
        return user

    def compose_email_change(self, address, user_id, epoch=None):
        """(message, link) of the confirmation mail to the new address; None when the account is gone or its
        password or address changed (or the change was cancelled) since the request."""
        user = self._current_user(user_id, epoch)
        if user is None:
            return None
        token = secrets.token_urlsafe(32)
        self.token_repo.issue(hash_token(token), user["_id"], CHANGE_EMAIL, utcnow() + self.change_ttl, email=address,
                              epoch=links_epoch(user))
        link = f"{self.public_url}/verify?token={token}"
        return email_change_message(self.mail_from, address, user["username"], link,
                                    self.change_ttl.total_seconds()), link

    def compose_email_notice(self, address, user_id, new_email, epoch=None):
        """(message, link) of the notice to the old address, whose single-use link cancels the change; None as for
        compose_email_change (the change it tells of can no longer happen)."""
        user = self._current_user(user_id, epoch)
        if user is None:
            return None
        token = secrets.token_urlsafe(32)
        self.token_repo.issue(hash_token(token), user["_id"], CANCEL_EMAIL_CHANGE, utcnow() + self.change_ttl,
                              epoch=links_epoch(user))
        link = f"{self.public_url}/cancel-email-change?token={token}"
        return email_change_notice(self.mail_from, address, user["username"], new_email, link, self.client_url), link

    def cancel_email_change(self, token):
        """Cancel a pending address change with the link from the notice to the old address (no sign-in): every
        reset and address-change link of the account stops working. Raises invalid_token for an unknown, used,
        expired or superseded token, or when the password or address changed since (nothing is pending then)."""
        record, user = self._usable(token, CANCEL_EMAIL_CHANGE)
        if not self.token_repo.mark_used(record["_id"]):
            raise errors.invalid_token()
        if self.user_repo.change_credentials(user["_id"], links_epoch(user)) is None:
            raise errors.invalid_token()

    def cancel_own_email_change(self, user_id):
        """A signed-in user cancels any pending address change (fine when there is none): every reset and
        address-change link of the account mailed so far stops working."""
        self.user_repo.change_credentials(user_id, None)
