"""Two-factor sign-in (TOTP, RFC 6238, through pyotp): enrolment, recovery codes, and the second step of a login.

No Flask, no Socket.IO. The secret is kept encrypted (Fernet, a key from TOTP_ENCRYPTION_KEY or derived from
JWT_SECRET_KEY) and shown only by `setup`; recovery codes are kept as keyed hashes and shown only by `enable`.
A TOTP code is accepted once: its time step must be newer than the last one used, recorded atomically in the
database (chat/auth/twofactor_repository.py), so a replay fails on every process. A password checked at
`/login` for an account with 2FA yields a short-lived, single-use `mfa_token` (stored hashed, not a JWT, so no
route or socket takes it as a token) instead of a session.
"""
import base64
import hashlib
import hmac
import secrets
from datetime import datetime, timedelta, timezone

import pyotp
import segno
from cryptography.fernet import Fernet, InvalidToken

from ..governance import service as logs
from ..kernel import errors
from ..kernel.clock import as_utc, utcnow
from .service import hash_token, links_epoch

RECOVERY_CODES = 10
MAX_FAILURES = 5  # wrong codes per mfa_token before it is used up (a new /login is needed)
DIGITS = 6


class OtpRequired(errors.ApiError):
    """401 otp_required: the password was right; send a code with this `mfa_token` to `/login/2fa`."""

    def __init__(self, mfa_token, expires_in):
        super().__init__("otp_required", "Enter the code from your authenticator app (or a recovery code).", 401)
        self.extra = {"mfa_token": mfa_token, "expires_in": expires_in}


def invalid_otp():
    return errors.ApiError("invalid_otp", "The code is wrong, expired or already used.", 401)


def _normalised(code):
    return "".join(code.split()).replace("-", "").lower()


class TwoFactorService:
    """TOTP enrolment and the second step of a login."""

    def __init__(self, auth, repo, challenges, settings):
        self.auth = auth
        self.repo = repo
        self.challenges = challenges
        key = settings.get("TOTP_ENCRYPTION_KEY") or settings["JWT_SECRET_KEY"]
        self._key = hashlib.sha256(b"chat-totp:" + key.encode()).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(self._key))
        self.issuer = settings.get("TOTP_ISSUER") or "Chat"
        self.mfa_ttl = int(settings.get("MFA_TOKEN_TTL") or 300)

    # Enrolment

    def enabled(self, user_id):
        """True when the account has 2FA on."""
        record = self.repo.get(user_id)
        return bool(record and record.get("enabled"))

    def setup(self, user_id, password):
        """Begin (or begin again) enrolment after checking the password: a new secret, not yet enforced.
        Returns {"Secret", "OtpauthUrl", "QrCode"}; raises invalid_credentials, or two_factor_enabled (409)."""
        user = self.auth.user_with_password(user_id, password)
        secret = pyotp.random_base32()
        if not self.repo.set_pending(user["_id"], self._encrypt(secret)):
            raise _already_enabled()
        url = pyotp.TOTP(secret).provisioning_uri(name=user["username"], issuer_name=self.issuer)
        # An SVG data URI made here: the client shows it as an image, and the secret goes to no QR service.
        qr = segno.make(url, error="m").svg_data_uri(scale=5, border=2)
        return {"Secret": secret, "OtpauthUrl": url, "QrCode": qr}

    def enable(self, user_id, code):
        """Turn 2FA on with a first code from the app; returns the ten recovery codes (shown this once).
        Raises two_factor_enabled, two_factor_not_set_up (409) or invalid_otp."""
        record = self.repo.get(user_id)
        if record and record.get("enabled"):
            raise _already_enabled()
        if not record or not record.get("pending_secret"):
            raise errors.conflict("two_factor_not_set_up", "Start with POST /me/2fa/setup.")
        step = self._matching_step(self._decrypt(record["pending_secret"]), code)
        if step is None:
            raise invalid_otp()
        codes = [f"{secrets.token_hex(5)[:5]}-{secrets.token_hex(5)[:5]}" for _ in range(RECOVERY_CODES)]
        if not self.repo.enable(user_id, record["pending_secret"], [self._hash(c) for c in codes], step):
            raise errors.conflict("two_factor_not_set_up", "The setup changed meanwhile; start again.")
        self.auth.security.record(user_id, logs.TWO_FACTOR_ENABLED)
        return codes

    def disable(self, user_id, password, code):
        """Turn 2FA off after checking the password and a code (TOTP or recovery). Raises invalid_credentials,
        two_factor_disabled (409) or invalid_otp."""
        user = self.auth.user_with_password(user_id, password)
        record = self.repo.get(user["_id"])
        if not record or not record.get("enabled"):
            raise errors.conflict("two_factor_disabled", "Two-factor sign-in is not on.")
        if not self._use_code(record, code):
            raise invalid_otp()
        self.repo.remove(user["_id"])
        self.auth.security.record(user["_id"], logs.TWO_FACTOR_DISABLED)

    def forget_user(self, user_id):
        """A deleted account keeps no enrolment and no pending challenge."""
        self.repo.remove(user_id)
        self.challenges.remove_all(user_id)

    # The second step of a login

    def challenge_if_enabled(self, user, user_agent=None):
        """Called by AuthService.login once the password is right: raises OtpRequired (with a new mfa_token)
        when the account has 2FA on, and returns otherwise."""
        if not self.enabled(user["_id"]):
            return
        token = secrets.token_urlsafe(32)
        self.challenges.create(hash_token(token), user["_id"], utcnow() + timedelta(seconds=self.mfa_ttl),
                               user_agent, epoch=links_epoch(user))
        raise OtpRequired(token, self.mfa_ttl)

    def challenge_owner(self, mfa_token):
        """The user id of a live challenge (for the per-account rate limit), or None."""
        record = self._challenge(mfa_token)
        return record["user_id"] if record else None

    def complete(self, mfa_token, code, address=None):
        """Exchange an mfa_token and a code for a session: (user, session_id, refresh_jti). Raises unauthorized for
        an unknown, used or expired mfa_token (sign in again), invalid_otp for a wrong or used code."""
        record = self._challenge(mfa_token)
        user = self.auth.user_repo.by_id(record["user_id"]) if record else None
        # The password this challenge proved must still be the account's (no reset or change since).
        if not self.auth.is_live(user) or (record.get("epoch") or 0) != links_epoch(user):
            raise _sign_in_again()
        enrolment = self.repo.get(user["_id"])
        if not enrolment or not enrolment.get("enabled") or not self._use_code(enrolment, code):
            if self.challenges.failed(record["_id"]) >= MAX_FAILURES:
                self.challenges.consume(record["_id"])
            self.auth.security.record(user["_id"], logs.SIGN_IN_FAILED, address, record.get("user_agent"),
                                      {"step": "2fa"})
            raise invalid_otp()
        if not self.challenges.consume(record["_id"]):  # a concurrent request used it first
            raise _sign_in_again()
        session_id, refresh_jti = self.auth.open_session(user, record.get("user_agent"), address)
        return user, session_id, refresh_jti

    def _challenge(self, mfa_token):
        record = self.challenges.find(hash_token(mfa_token)) if mfa_token else None
        if not record or as_utc(record["expires_at"]) <= utcnow():
            return None
        return record

    # Codes

    def _use_code(self, enrolment, code):
        """Use up a TOTP code (its step, once) or a recovery code; False when neither works."""
        step = self._matching_step(self._decrypt(enrolment["secret"]), code)
        if step is not None:
            return self.repo.use_step(enrolment["_id"], step)
        return self.repo.use_recovery(enrolment["_id"], self._hash(code))

    @staticmethod
    def _matching_step(secret, code):
        """The time step (now, or one either side for clock drift) whose code this is, or None."""
        code = _normalised(code)
        if len(code) != DIGITS or not code.isdigit():
            return None
        totp = pyotp.TOTP(secret, digits=DIGITS)
        now = totp.timecode(datetime.now(timezone.utc))
        for step in (now, now - 1, now + 1):
            if hmac.compare_digest(totp.generate_otp(step), code):
                return step
        return None

    def _hash(self, recovery_code):
        # Keyed: a copy of the database alone cannot be searched for the codes.
        return hmac.new(self._key, _normalised(recovery_code).encode(), hashlib.sha256).hexdigest()

    def _encrypt(self, secret):
        return self._fernet.encrypt(secret.encode()).decode()

    def _decrypt(self, stored):
        try:
            return self._fernet.decrypt(stored.encode()).decode()
        except InvalidToken:  # the key changed: the secret is unreadable, only recovery codes work
            return pyotp.random_base32()


def _already_enabled():
    return errors.conflict("two_factor_enabled", "Two-factor sign-in is already on; disable it first.")


def _sign_in_again():
    return errors.unauthorized("This sign-in has expired or was used; sign in with your password again.")
