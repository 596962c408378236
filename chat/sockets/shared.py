"""One token check per Engine.IO connection, shared by the namespaces that join it.

A browser opens one WebSocket (one Engine.IO connection) and connects `/`, `/self`, `/personal` and `/group`
over it. The first namespace checks the tokens (signature, type, the session in the database) and reads the
user; the identity it found is kept for that Engine.IO connection, and a namespace that joins it later with
the same access token, before that token expires, reuses it instead of checking again.

Revocation: the shared check lives only as long as every namespace that used it. When any namespace of the
connection disconnects or is refused (`drop`), the check is forgotten and the next namespace checks in full.
A logout or a revoked session disconnects every socket of the session in every namespace
(`SocketPublisher.session_revoked`), so a namespace that joins after it is checked against the database
again and refused. A new Engine.IO connection always checks in full (an expired access token needs its
refresh token there, as before), and a check never outlives its access token's expiry.
"""
import threading
import time
from dataclasses import dataclass

from ..auth.tokens import check_socket_tokens
from ..services import services


@dataclass(frozen=True)
class Identity:
    """Who the tokens of a connect proved to be, and until when the access token that proved it holds."""

    user_id: str
    session_id: str
    username: str
    hidden: frozenset
    access_token: str
    expires_at: float


def check_identity(access_token, refresh_token=None):
    """(Identity, new access token or None) for a connect's tokens: `check_socket_tokens` (which raises
    unauthorized, token_expired or token_revoked) and the user (not_found when gone)."""
    user_id, session_id, new_access, expires_at = check_socket_tokens(services().auth, access_token, refresh_token)
    user = services().users.get(user_id)
    hidden = frozenset(services().blocks.hidden_in(user))
    return Identity(user_id, session_id, user["username"], hidden, access_token, expires_at), new_access


class _Entry:
    def __init__(self):
        self.lock = threading.Lock()  # namespaces connecting at once wait for the first one's check
        self.identity = None
        self.dropped = False


class SharedChecks:
    """The identity each Engine.IO connection of this process proved, by Engine.IO session id."""

    def __init__(self):
        self._entries = {}
        self._lock = threading.Lock()

    def check(self, eio_sid, access_token, refresh_token=None):
        """(Identity, new access token or None) for a namespace connecting over eio_sid: the connection's shared
        identity when this namespace presents the same unexpired access token, else a full `check_identity`
        (whose errors it raises), kept for the namespaces that follow when it needed no refresh."""
        with self._lock:
            entry = self._entries.setdefault(eio_sid, _Entry())
        with entry.lock:
            known = entry.identity
            if known is not None and not entry.dropped and known.access_token == access_token \
                    and time.time() < known.expires_at:
                return known, None
            identity, new_access = check_identity(access_token, refresh_token)
            if new_access is None and not entry.dropped:
                entry.identity = identity
            return identity, new_access

    def drop(self, eio_sid):
        """Forget eio_sid's shared check (a namespace of it disconnected or was refused): the next namespace that
        joins the connection checks in full."""
        with self._lock:
            entry = self._entries.pop(eio_sid, None)
        if entry is not None:
            entry.dropped = True

    def __len__(self):
        with self._lock:
            return len(self._entries)
