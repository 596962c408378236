"""Looking users up: profiles and username search."""
from ..kernel import errors

SEARCH_LIMIT = 20


class UserService:
    """Read-only rules about users."""

    def __init__(self, user_repo):
        self.user_repo = user_repo

    def get(self, user_id):
        """The user document; not_found for unknown ids."""
        user = self.user_repo.by_id(user_id)
        if user is None:
            raise errors.not_found("No such user.")
        return user

    def get_verified(self, user_id):
        """A verified user; not_found for unknown or unverified ones (they are invisible)."""
        user = self.user_repo.by_id(user_id)
        if user is None or not user.get("verified"):
            raise errors.not_found("No such user.")
        return user

    def by_ids(self, user_ids):
        """{id: user document} for the ids that exist."""
        return self.user_repo.by_ids(user_ids)

    def search(self, caller_id, prefix):
        """Verified users (not the caller, nor anyone who blocks the caller) whose username starts with prefix,
        any case."""
        return self.user_repo.search_prefix(prefix, caller_id, SEARCH_LIMIT)
