"""Looking users up: profiles and username search."""
from .. import errors

SEARCH_LIMIT = 20


class UserService:
    """Read-only rules about users."""

    def __init__(self, users):
        self.users = users

    def get(self, user_id):
        """The user document; not_found for unknown ids."""
        user = self.users.by_id(user_id)
        if user is None:
            raise errors.not_found("No such user.")
        return user

    def get_verified(self, user_id):
        """A verified user; not_found for unknown or unverified ones (they are invisible)."""
        user = self.users.by_id(user_id)
        if user is None or not user.get("verified"):
            raise errors.not_found("No such user.")
        return user

    def by_ids(self, user_ids):
        """{id: user document} for the ids that exist."""
        return self.users.by_ids(user_ids)

    def search(self, caller_id, prefix):
        """Verified users (not the caller) whose username starts with prefix, any case."""
        return self.users.search_prefix(prefix, caller_id, SEARCH_LIMIT)
