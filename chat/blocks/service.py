"""Blocking: the rules of `PUT`/`DELETE /users/<id>/block` and `GET /me/blocks`, whatever the transport.

Once A blocks B, B's sends to A are refused (`blocked`) by the Seq update of their personal chat, which carries
the block (chat/chats/repository.py `take_seq`), and a first message or page that would create that chat is
refused by the partner check that reads A's user document anyway (chat/chats/service.py `create`). Typing and
read receipts (chat/sockets/publisher.py) and presence (chat/sockets/root.py) read the same state; search skips A for B
(chat/users/repository.py). In groups, B cannot bring A into a group (chat/groups/service.py) and B's `@A` is no
mention (each group the two share keeps the pair, `blocks`); messages, typing and receipts in groups they already
share flow as before. Blocking is silent: B is told nothing.
"""
from ..events import Publisher
from ..kernel import errors
from ..kernel.kinds import pair_key
from .repository import hidden_from

DEFAULT_MOST = 1000


class BlockService:
    """Block, unblock and list blocked users."""

    def __init__(self, block_repo, user_repo, chat_repo, most=DEFAULT_MOST, events=None):
        self.events = events or Publisher()
        self.block_repo = block_repo
        self.user_repo = user_repo
        self.chat_repo = chat_repo
        self.most = most

    def block(self, user_id, target_id):
        """Block a verified user: (their user document, whether the block is new). Blocking twice changes
        nothing. Yourself: validation_error; an unknown or unverified user: not_found; more than `most`
        blocks: validation_error.

        Four idempotent writes after the checks: the blocker's list, the blocked user's, the personal chat when
        there is one, and the groups both are members of.
        Any of them failing leaves a state that blocking again completes.
        """
        user_id = str(user_id)
        target = self._other_user(user_id, target_id)
        blocked_id = str(target["_id"])
        mine = self.block_repo.lists(user_id)
        created = blocked_id not in mine["blocks"]
        if created and len(mine["blocks"]) >= self.most:
            raise errors.validation_error({"user_id": [f"You can block at most {self.most} users."]})
        self.block_repo.add(user_id, blocked_id)
        self.block_repo.mark_blocked_by(blocked_id, user_id, True)
        self.chat_repo.set_blocked(pair_key(user_id, blocked_id), blocked_id, True)
        self.block_repo.mark_in_groups(user_id, blocked_id, True)
        self.events.user_blocked(user_id, blocked_id)  # each reads as offline to the other, at once
        return target, created

    def unblock(self, user_id, target_id):
        """Undo a block: (the user as {"id", "username"}, visible). `visible` is True when the two may see each
        other's presence again now (the block was there, the other has not blocked back, and they share a chat).
        Unblocking someone not blocked changes nothing; an id that is neither blocked nor a verified user is
        not_found.
        """
        user_id = str(user_id)
        if str(target_id) == user_id:
            raise errors.validation_error({"user_id": ["You cannot block or unblock yourself."]})
        mine = self.block_repo.lists(user_id)
        was = isinstance(target_id, str) and target_id in mine["blocks"]
        target = self.user_repo.by_id(target_id)
        if not was and (target is None or not target.get("verified")):
            raise errors.not_found("No such user.")
        blocked_id = str(target_id)
        self.block_repo.remove(user_id, blocked_id)
        self.block_repo.mark_blocked_by(blocked_id, user_id, False)
        self.chat_repo.set_blocked(pair_key(user_id, blocked_id), blocked_id, False)
        self.block_repo.mark_in_groups(user_id, blocked_id, False)
        visible = (was and blocked_id not in mine["blocked_by"]
                   and blocked_id in self.chat_repo.partners_of(user_id))
        name = target["username"] if target is not None else "deleted user"
        if visible:  # both are told the other's current presence
            self.events.user_unblocked(user_id, blocked_id)
        return {"id": blocked_id, "username": name, "Bot": bool(target and target.get("bot"))}, visible

    def blocked_users(self, user_id):
        """The user documents of everyone the user blocks, most recently blocked first (deleted accounts
        left out): two lookups whatever the number."""
        ids = self.block_repo.lists(user_id)["blocks"]
        found = self.user_repo.by_ids(ids)
        return [found[blocked_id] for blocked_id in reversed(ids) if blocked_id in found]

    def hidden(self, user_id):
        """The ids whose presence the user must not see, and who must not see theirs (one lookup)."""
        return hidden_from(self.block_repo.lists(user_id))

    @staticmethod
    def hidden_in(user_doc):
        """hidden, from a user document already read (a socket's connect reads it anyway): no lookup."""
        return hidden_from(user_doc)

    def _other_user(self, user_id, target_id):
        if str(target_id) == user_id:
            raise errors.validation_error({"user_id": ["You cannot block or unblock yourself."]})
        target = self.user_repo.by_id(target_id)
        if target is None or not target.get("verified"):
            raise errors.not_found("No such user.")
        return target
