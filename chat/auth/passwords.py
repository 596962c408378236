"""argon2id password hashing, run off the event loop."""
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from ..kernel.concurrency import offload


class Passwords:
    """Hash and check passwords; every call runs in a real thread under gevent/eventlet."""

    def __init__(self, time_cost=3, memory_cost=64 * 1024, parallelism=1):
        self._hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)
        # Checked against when the user is unknown, so both paths cost the same.
        self._dummy_hash = self._hasher.hash("not-a-real-password")

    def hash(self, password):
        """The argon2id hash of password."""
        return offload(self._hasher.hash, password)

    def verify(self, password_hash, password):
        """True when password matches; unknown users pass password_hash=None and still pay the cost."""
        try:
            return offload(self._hasher.verify, password_hash or self._dummy_hash, password) and bool(password_hash)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash):
        """True when the hash was made with weaker parameters than today's."""
        return self._hasher.check_needs_rehash(password_hash)
