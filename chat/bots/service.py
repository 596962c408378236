"""Bot users: created, listed and deleted by their owner. No Flask.

A bot is a user document with `bot: true` and `owner_id` (chat/users/repository.py `insert_bot`): verified, no
password (a login by password fails as for a wrong one), no address, no sessions (sockets refuse it: they need
a session's JWT). It signs in only with its personal access token, which has every scope and no expiry and is
shown once, when the bot is created. Deleting a bot is an account deletion (chat/auth/deletion.py): it leaves its
groups, its messages show "deleted user", its tokens go. Deleting the owner's account deletes their bots
(`remove_owned_by`, one of the deletion's leftovers).
"""
from ..kernel import errors
from ..users.repository import DuplicateUser


class BotService:
    """The rules of bot users."""

    def __init__(self, user_repo, tokens, deletion, max_per_owner):
        self.user_repo = user_repo
        self.tokens = tokens
        self.deletion = deletion
        self.max_per_owner = max_per_owner

    def create(self, owner_id, username):
        """A new bot of owner_id: (its user document, its token value, shown this once). Raises conflict
        `username_taken`, or `too_many_bots` past BOTS_PER_USER."""
        owner = self.user_repo.by_id(owner_id)
        if owner is None or owner.get("deleting_at") or owner.get("bot"):
            raise errors.unauthorized("The account no longer exists.")
        if len(self.user_repo.bots_of(owner_id)) >= self.max_per_owner:
            raise errors.conflict("too_many_bots", f"You have {self.max_per_owner} bots; delete one first.")
        try:
            bot = self.user_repo.insert_bot(owner_id, username)
        except DuplicateUser:
            raise errors.conflict("username_taken", "That username is taken.") from None
        _, token = self.tokens.issue_for_bot(bot["_id"], f"bot {username}")
        return bot, token

    def list(self, owner_id):
        """The owner's bots (not those being deleted), oldest first."""
        return [bot for bot in self.user_repo.bots_of(owner_id) if not bot.get("deleting_at")]

    def delete(self, owner_id, bot_id):
        """Delete one of the owner's bots (as an account deletion); not_found for anyone else's or none."""
        bot = self.user_repo.by_id(bot_id) if isinstance(bot_id, str) else None
        if bot is None or not bot.get("bot") or bot.get("owner_id") != str(owner_id):
            raise errors.not_found("You have no such bot.")
        self.deletion.delete_without_password(bot)

    def remove_owned_by(self, owner_id):
        """Delete every bot of an account being deleted."""
        for bot in self.user_repo.bots_of(owner_id):
            self.deletion.delete_without_password(bot)
