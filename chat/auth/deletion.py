"""Deleting an account, and removing the ones that are gone: deleted on request, or never verified.

No Flask, no Socket.IO. A deletion is several writes to several collections, and the store has no
multi-document transaction, so it is a sequence of idempotent steps behind a mark:

1. the user document gets `deleting_at`: from then on the account cannot log in (it is no longer live),
   so no failure later can leave an account that signs in with its groups gone;
2. every other session ends (their sockets close);
3. the user leaves each group as `leave-grp` does (a departing admin hands over);
4. the user's messages lose their content and earlier versions and show "deleted user" (chat by chat, each at a
   new Rev, so that clients catching up with `sync-chat` see it); their partners'
   personal chats show that name; the notes to self go;
5. what other features keep of the user goes (`leftovers`: uploads, push subscriptions, notification settings);
6. the current session ends, step 4 runs once more for a message that raced the revocation, and the
   user's tokens, sessions and document go: the username and address are free.

Any step can fail (the database goes away); nothing is acknowledged until the last one is done. Retrying
`DELETE /me` with the same session (it stays live until step 6) runs the steps again from the top and
finishes; so does the background sweep (`chat/auth/sweeper.py`), for a deletion whose client gave up.
"""
import logging
from datetime import timedelta

from ..events import Origin
from ..kernel import errors
from ..kernel.clock import utcnow
from ..kernel.kinds import GROUP

log = logging.getLogger(__name__)

DELETED_NAME = "deleted user"
# A deletion started this long ago and not finished has stalled. The process that claims one marks it started
# again, so it has this long to finish before another one may claim it.
STALLED_AFTER = timedelta(minutes=2)


class AccountDeletion:
    """Deletes accounts (on request, and stalled ones) and expires unverified ones."""

    def __init__(self, auth, user_repo, session_repo, token_repo, chat_repo, message_repo, groups, leftovers=()):
        self.auth = auth
        self.user_repo = user_repo
        self.session_repo = session_repo
        self.token_repo = token_repo
        self.chat_repo = chat_repo
        self.message_repo = message_repo
        self.groups = groups
        self.leftovers = list(leftovers)  # functions of the user id removing what other features keep of a user

    def delete(self, user_id, session_id, password):
        """Delete the caller's account after checking the password (invalid_credentials otherwise). A retry after
        a failure half-way finishes the deletion."""
        self._run(self.auth.user_with_password(user_id, password, deleting=True), session_id)

    def delete_without_password(self, user):
        """Delete an account that has no password to check: a bot, by its owner or with its owner's account. The
        same steps (its tokens go with `leftovers`); a retry finishes a deletion that failed half-way."""
        self._run(user)

    def _run(self, user, session_id=None):
        user_id = str(user["_id"])
        member = {"id": user_id, "username": user["username"], "Bot": bool(user.get("bot"))}
        self.user_repo.begin_deletion(user_id)
        self.auth.end_sessions(user_id, "account_deleted", keep=session_id)
        for group in self.chat_repo.for_member(user_id, GROUP):
            try:
                self.groups.leave(user_id, group.id, Origin(member))  # announces `member_left`
            except errors.ApiError as exc:  # it left meanwhile (not_found), or the group kept changing (conflict)
                if exc.code != "not_found":
                    raise
        self._forget_messages(user_id)
        for forget in self.leftovers:  # uploads, push subscriptions, notification settings
            forget(user_id)
        if session_id:
            self.auth.end_session(session_id, "account_deleted")
            self._forget_messages(user_id)  # a send that raced the end of the session
        self.token_repo.remove_all(user_id)
        self.session_repo.remove_all(user_id)
        self.user_repo.remove(user_id)
        log.info("account %s deleted", user_id)

    def _forget_messages(self, user_id):
        self.message_repo.remove_chat_of(user_id, user_id)  # the self chat's id is the user's id
        self.chat_repo.remove_self_chat(user_id)
        self._forget_sent(user_id)
        self.chat_repo.close_personal(user_id, DELETED_NAME)

    def _forget_sent(self, user_id):
        """Blank the user's messages (and the quotes of them) chat by chat, each chat at a new Rev, so that a
        syncing client sees them blanked (`sync-chat`): one Rev per chat with messages not yet blanked, taken
        before they are written, as any change does (chat/chats/revs.py). A retry takes a Rev only for the chats
        left to do. A deleted group takes none (nobody can sync it)."""
        for chat_id, marker in self.message_repo.chats_to_forget(user_id, DELETED_NAME).items():
            rev = self.chat_repo.take_rev(chat_id, marker)
            self.message_repo.forget_sender_in(chat_id, user_id, DELETED_NAME, marker, rev or 0)

    def finish_stalled(self, limit=20):
        """Finish deletions that started a while ago and were left half-way (a crash, an outage, a client that
        gave up). Claiming one marks it started again, so several processes never work on the same one at once.
        Returns how many finished."""
        finished = 0
        while finished < limit:
            user = self.user_repo.claim_stalled_deletion(utcnow() - STALLED_AFTER)
            if user is None:
                break
            self._run(user)
            finished += 1
        return finished

    def expire_unverified(self):
        """Remove the accounts not verified within UNVERIFIED_TTL (they have no sessions, chats or messages: they
        never signed in). Returns how many."""
        removed = self.user_repo.remove_expired_unverified(self.auth.unverified_before())
        if removed:
            log.info("removed %d unverified accounts older than %s", removed, self.auth.unverified_ttl)
        return removed
